namespace CausalVision.Data.Layouts;

/// <summary>
/// A plain class-folder layout with no manifest (torchvision's <c>ImageFolder</c>):
/// <c>root/&lt;class&gt;/**/&lt;image&gt;</c>. Classes are the sub-folder names in ordinal order;
/// images are files with an image extension (.jpg, .jpeg, .png, .bmp, .gif, .webp), found
/// recursively and sorted; other files are ignored (counted in the report's notes). No tags.
/// </summary>
public static class ImageFolderDataset
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp" };

    /// <summary>Loads the class-folder dataset at <paramref name="root"/>.</summary>
    /// <param name="root">The root folder whose sub-folders are the classes.</param>
    /// <param name="options">Load options. <value>null: defaults</value>.</param>
    /// <returns>The dataset (single-label, no tags).</returns>
    /// <exception cref="InvalidDataException">The root is missing or has no class folders; or a bad row under <see cref="DataErrorPolicy.Throw"/>.</exception>
    public static ImageFileDataset Load(string root, DatasetLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        options ??= new DatasetLoadOptions();
        var builder = new DatasetBuilder(root, options, requireTagsByDefault: false);
        var classes = Directory.GetDirectories(builder.Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
        {
            throw new InvalidDataException($"Image-folder dataset '{builder.Root}' has no class sub-folders.");
        }

        var ignored = 0;
        for (var c = 0; c < classes.Count; c++)
        {
            var dir = Path.Combine(builder.Root, classes[c]);
            var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            foreach (var file in files)
            {
                if (!Extensions.Contains(Path.GetExtension(file)))
                {
                    ignored++;
                    continue;
                }

                var rel = Path.GetRelativePath(builder.Root, file).Replace(Path.DirectorySeparatorChar, '/');
                if (builder.TryResolve(dir, 0, rel, out var full))
                {
                    builder.Add(file, 0, rel, full, c, [c], [], classes.Count, 0);
                }
            }
        }

        if (ignored > 0)
        {
            builder.Note($"{ignored} non-image file(s) ignored.");
        }

        return builder.Build(new DatasetInfo(Path.GetFileName(builder.Root), classes, [], MultiLabel: false));
    }
}
