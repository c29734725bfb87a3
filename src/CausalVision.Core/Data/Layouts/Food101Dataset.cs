// Food-101 (Bossard et al., ECCV 2014) with optional Ingredient-101 (Bolaños et al., 2017) tags.
//
// Food-101 layout (as distributed in food-101.tar.gz):
//   <root>/images/<class>/<id>.jpg
//   <root>/meta/classes.txt            one class name per line ("apple_pie"), index = class id
//   <root>/meta/train.txt, test.txt    one image per line: "<class>/<id>" (no extension)
// Ingredient-101 layout (the annotation archive; file names checked against public loaders):
//   <ingredients>/annotations/classes.txt               the 101 class names, one per line
//   <ingredients>/annotations/ingredients_simplified.txt line i: comma-separated ingredients of class i
//   <ingredients>/annotations/ingredients.txt           the complete (unsimplified) lists, same form
//   <ingredients>/annotations/{train,val,test}_images.txt  "<class>/<id>" per line (its own split)
//   <ingredients>/annotations/{train,val,test}_labels.txt  0-based class index per line (optional here)
// Assumptions (documented, checked where possible): class names are matched after lowercasing and
// replacing spaces with '_'; an image line may carry a ".jpg" suffix; a labels file, when present,
// must agree with the class folder of every image line (a disagreement is a bad row, never a
// silently chosen label); the tag vocabulary is the set of ingredient names in ordinal order.
namespace CausalVision.Data.Layouts;

/// <summary>Which file lists the images of a Food-101 split.</summary>
public enum Food101SplitSource
{
    /// <summary>Food-101's <c>meta/&lt;split&gt;.txt</c> (splits "train", "test").</summary>
    Food101,

    /// <summary>Ingredient-101's <c>annotations/&lt;split&gt;_images.txt</c> (splits "train", "val", "test").</summary>
    Ingredient101,
}

/// <summary>Options for <see cref="Food101Dataset"/>.</summary>
public sealed class Food101Options : DatasetLoadOptions
{
    /// <summary>Gets or sets the Ingredient-101 root (holding <c>annotations/</c>); null loads no tags. <value>null</value>.</summary>
    public string? IngredientsRoot { get; set; }

    /// <summary>Gets or sets whether the simplified ingredient lists are used (else the complete ones). <value>true</value>.</summary>
    public bool SimplifiedIngredients { get; set; } = true;

    /// <summary>Gets or sets which file lists the split's images. <value><see cref="Food101SplitSource.Food101"/></value>.</summary>
    public Food101SplitSource SplitSource { get; set; } = Food101SplitSource.Food101;
}

/// <summary>
/// Loads Food-101 (single-label, 101 dishes), with Ingredient-101's per-class ingredient lists as
/// tags when <see cref="Food101Options.IngredientsRoot"/> is set (every image of a dish carries
/// that dish's ingredients; tags are then required by default). Sample ids are "class/id".
/// </summary>
public static class Food101Dataset
{
    /// <summary>Loads a split.</summary>
    /// <param name="root">The Food-101 root (holding <c>images/</c> and <c>meta/</c>).</param>
    /// <param name="split">"train" or "test" (and "val" with the Ingredient-101 split source).</param>
    /// <param name="options">Options. <value>null: defaults (no tags)</value>.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="InvalidDataException">A required file is missing or malformed, or a bad row under <see cref="DataErrorPolicy.Throw"/>.</exception>
    public static ImageFileDataset Load(string root, string split, Food101Options? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        options ??= new Food101Options();
        var withTags = options.IngredientsRoot is not null;
        var builder = new DatasetBuilder(root, options, requireTagsByDefault: withTags);
        var classesPath = Path.Combine(builder.Root, "meta", "classes.txt");
        var classes = DatasetBuilder.ReadNames(classesPath);
        var classIndex = DatasetBuilder.IndexNames(classes, classesPath);
        var normalized = classes.Select((c, i) => (Key: Normalize(c), i)).ToDictionary(x => x.Key, x => x.i, StringComparer.Ordinal);

        List<string> tags = [];
        var classTags = new int[classes.Count][];
        Array.Fill(classTags, []);
        string? annotations = null;
        if (withTags)
        {
            annotations = Path.Combine(Path.GetFullPath(options.IngredientsRoot!), "annotations");
            var ingClassesPath = Path.Combine(annotations, "classes.txt");
            var ingClasses = DatasetBuilder.ReadNames(ingClassesPath);
            var listPath = Path.Combine(annotations, options.SimplifiedIngredients ? "ingredients_simplified.txt" : "ingredients.txt");
            var lists = DatasetBuilder.ReadLines(listPath);
            while (lists.Length > 0 && string.IsNullOrWhiteSpace(lists[^1]))
            {
                lists = lists[..^1];
            }

            if (lists.Length != ingClasses.Count)
            {
                throw new InvalidDataException($"{listPath}: {lists.Length} ingredient lines for {ingClasses.Count} classes in {ingClassesPath} (line i must list the ingredients of class i).");
            }

            var perClass = new List<string>[classes.Count];
            for (var i = 0; i < ingClasses.Count; i++)
            {
                if (!normalized.TryGetValue(Normalize(ingClasses[i]), out var c))
                {
                    throw new InvalidDataException($"{ingClassesPath}:{i + 1}: class '{ingClasses[i]}' is not in {classesPath}.");
                }

                perClass[c] = [.. lists[i].Split(',').Select(s => s.Trim()).Where(s => s.Length > 0)];
            }

            tags = [.. perClass.Where(p => p is not null).SelectMany(p => p).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            var tagIndex = tags.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
            for (var c = 0; c < classes.Count; c++)
            {
                classTags[c] = perClass[c] is { } p ? [.. p.Select(t => tagIndex[t])] : [];
            }

            builder.Note($"Ingredient-101 tags from {Path.GetFileName(listPath)}: {tags.Count} ingredients.");
        }

        string listFile;
        string? labelFile = null;
        if (options.SplitSource == Food101SplitSource.Ingredient101)
        {
            if (annotations is null)
            {
                throw new ArgumentException("Food101SplitSource.Ingredient101 needs Food101Options.IngredientsRoot.", nameof(options));
            }

            listFile = Path.Combine(annotations, $"{split}_images.txt");
            var candidate = Path.Combine(annotations, $"{split}_labels.txt");
            labelFile = File.Exists(candidate) ? candidate : null;
        }
        else
        {
            listFile = Path.Combine(builder.Root, "meta", $"{split}.txt");
        }

        var lines = DatasetBuilder.ReadLines(listFile);
        var labelLines = labelFile is null ? null : DatasetBuilder.ReadLines(labelFile);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var id = line.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) ? line[..^4] : line;
            var slash = id.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == id.Length - 1)
            {
                builder.Fail(listFile, i + 1, $"expected '<class>/<id>', got '{line}'.");
                continue;
            }

            var className = id[..slash];
            if (!classIndex.TryGetValue(className, out var label))
            {
                builder.Fail(listFile, i + 1, $"unknown class '{className}' (not in {classesPath}).");
                continue;
            }

            if (labelLines is not null)
            {
                if (i >= labelLines.Length || !int.TryParse(labelLines[i].Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var listed))
                {
                    builder.Fail(labelFile!, i + 1, $"missing or non-integer label for '{line}'.");
                    continue;
                }

                if (listed < 0 || listed >= classes.Count)
                {
                    builder.Fail(labelFile!, i + 1, $"label {listed} is out of range [0, {classes.Count}).");
                    continue;
                }

                if (listed != label)
                {
                    builder.Fail(labelFile!, i + 1, $"label {listed} ('{classes[listed]}') disagrees with the image's class folder '{className}'.");
                    continue;
                }
            }

            if (!builder.TryResolve(listFile, i + 1, $"images/{id}.jpg", out var full))
            {
                continue;
            }

            builder.Add(listFile, i + 1, id, full, label, [label], classTags[label], classes.Count, tags.Count);
        }

        return builder.Build(new DatasetInfo(withTags ? "food101-ingredients" : "food101", classes, tags, MultiLabel: false));
    }

    private static string Normalize(string name) => name.Trim().ToLowerInvariant().Replace(' ', '_');
}
