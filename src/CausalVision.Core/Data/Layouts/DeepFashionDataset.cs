// DeepFashion "Category and Attribute Prediction Benchmark" (Liu et al., CVPR 2016). Layout:
//   <root>/img/<item folder>/img_XXXXXXXX.jpg
//   <root>/Anno/list_attr_cloth.txt      line 1: count; line 2: header; then "<attribute name> <type>"
//                                        (names may contain spaces; the type is the last token)
//   <root>/Anno/list_attr_img.txt        line 1: count; line 2: header; then "<image> v1 ... vK",
//                                        values -1 (absent), 1 (present), 0 (unknown, newer release)
//   <root>/Eval/list_eval_partition.txt  line 1: count; line 2: header; then "<image> train|val|test"
//   <root>/Anno/list_category_cloth.txt  (categories target) "<name> <type>" lines after 2 header lines
//   <root>/Anno/list_category_img.txt    (categories target) "<image> <1-based category>"
// Choices: 0 (unknown) counts as absent; with the Attributes target an image with no present
// attribute has no label and is dropped (counted in Filtered), as NUS-WIDE's unlabelled images.
namespace CausalVision.Data.Layouts;

/// <summary>What a DeepFashion sample's label is.</summary>
public enum DeepFashionTarget
{
    /// <summary>Multi-label over the attributes of <c>list_attr_cloth.txt</c>; no tags.</summary>
    Attributes,

    /// <summary>Single-label over the categories of <c>list_category_cloth.txt</c>; the attributes become tags.</summary>
    Categories,
}

/// <summary>Options for <see cref="DeepFashionDataset"/>.</summary>
public sealed class DeepFashionOptions : DatasetLoadOptions
{
    /// <summary>Gets or sets the target. <value><see cref="DeepFashionTarget.Attributes"/></value>.</summary>
    public DeepFashionTarget Target { get; set; } = DeepFashionTarget.Attributes;
}

/// <summary>Loads the DeepFashion attribute benchmark. Sample ids are the image paths ("img/...").</summary>
public static class DeepFashionDataset
{
    /// <summary>Loads a split.</summary>
    /// <param name="root">The benchmark root (holding <c>img/</c>, <c>Anno/</c>, <c>Eval/</c>).</param>
    /// <param name="split">"train", "val" or "test".</param>
    /// <param name="options">Options. <value>null: defaults (attributes, multi-label)</value>.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="InvalidDataException">A required file is missing or malformed, or a bad row under <see cref="DataErrorPolicy.Throw"/>.</exception>
    public static ImageFileDataset Load(string root, string split, DeepFashionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        options ??= new DeepFashionOptions();
        var builder = new DatasetBuilder(root, options, requireTagsByDefault: false);
        var r = builder.Root;
        var attrClothPath = Path.Combine(r, "Anno", "list_attr_cloth.txt");
        var attributes = NamedTypes(attrClothPath);
        DatasetBuilder.IndexNames(attributes, attrClothPath);

        var attrImgPath = Path.Combine(r, "Anno", "list_attr_img.txt");
        var attrRows = new Dictionary<string, (int Line, List<int>? Present, string? Error)>(StringComparer.Ordinal);
        foreach (var (line, cells) in Body(attrImgPath))
        {
            var image = cells[0];
            if (cells.Length != attributes.Count + 1)
            {
                attrRows[image] = (line, null, $"expected {attributes.Count} attribute values, got {cells.Length - 1}.");
                continue;
            }

            var present = new List<int>();
            string? error = null;
            for (var k = 0; k < attributes.Count; k++)
            {
                switch (cells[k + 1])
                {
                    case "1":
                        present.Add(k);
                        break;
                    case "-1":
                    case "0":
                        break;
                    default:
                        error ??= $"attribute value {k + 1} is '{cells[k + 1]}', expected -1, 0 or 1.";
                        break;
                }
            }

            if (!attrRows.TryAdd(image, (line, error is null ? present : null, error)))
            {
                attrRows[image] = (line, null, $"image '{image}' is listed twice.");
            }
        }

        List<string> classes = attributes;
        Dictionary<string, (int Line, int Category, string? Error)>? categoryRows = null;
        string? catImgPath = null;
        if (options.Target == DeepFashionTarget.Categories)
        {
            var catClothPath = Path.Combine(r, "Anno", "list_category_cloth.txt");
            classes = NamedTypes(catClothPath);
            DatasetBuilder.IndexNames(classes, catClothPath);
            catImgPath = Path.Combine(r, "Anno", "list_category_img.txt");
            categoryRows = new(StringComparer.Ordinal);
            foreach (var (line, cells) in Body(catImgPath))
            {
                if (cells.Length != 2 || !int.TryParse(cells[1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var c))
                {
                    categoryRows[cells[0]] = (line, -1, "expected '<image> <category number>'.");
                    continue;
                }

                categoryRows[cells[0]] = c < 1 || c > classes.Count
                    ? (line, -1, $"category {c} is out of range [1, {classes.Count}].")
                    : (line, c - 1, null);
            }
        }

        var partitionPath = Path.Combine(r, "Eval", "list_eval_partition.txt");
        var unlabelled = 0;
        foreach (var (line, cells) in Body(partitionPath))
        {
            if (cells.Length != 2)
            {
                builder.Fail(partitionPath, line, "expected '<image> <train|val|test>'.");
                continue;
            }

            if (!string.Equals(cells[1], split, StringComparison.Ordinal))
            {
                continue;
            }

            var image = cells[0];
            if (!attrRows.TryGetValue(image, out var attr))
            {
                builder.Fail(partitionPath, line, $"image '{image}' has no row in {attrImgPath}.");
                continue;
            }

            if (attr.Error is not null)
            {
                builder.Fail(attrImgPath, attr.Line, attr.Error);
                continue;
            }

            int label;
            IReadOnlyList<int> labels;
            IReadOnlyList<int> tags;
            if (categoryRows is not null)
            {
                if (!categoryRows.TryGetValue(image, out var cat))
                {
                    builder.Fail(partitionPath, line, $"image '{image}' has no row in {catImgPath}.");
                    continue;
                }

                if (cat.Error is not null)
                {
                    builder.Fail(catImgPath!, cat.Line, cat.Error);
                    continue;
                }

                label = cat.Category;
                labels = [label];
                tags = attr.Present!;
            }
            else
            {
                if (attr.Present!.Count == 0)
                {
                    unlabelled++;
                    continue;
                }

                label = -1;
                labels = attr.Present;
                tags = [];
            }

            if (!builder.TryResolve(partitionPath, line, image, out var full))
            {
                continue;
            }

            builder.Add(partitionPath, line, image, full, label, labels, tags, classes.Count, categoryRows is null ? 0 : attributes.Count);
        }

        if (unlabelled > 0)
        {
            builder.Filter(unlabelled);
            builder.Note($"{unlabelled} image(s) with no present attribute dropped.");
        }

        var multi = options.Target == DeepFashionTarget.Attributes;
        return builder.Build(new DatasetInfo(multi ? "deepfashion-attributes" : "deepfashion-categories", classes, multi ? [] : attributes, multi));
    }

    /// <summary>Reads "count / header / rows" files; returns (1-based line, whitespace-split cells).</summary>
    private static List<(int Line, string[] Cells)> Body(string path)
    {
        var lines = DatasetBuilder.ReadLines(path);
        if (lines.Length < 2 || !int.TryParse(lines[0].Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var count))
        {
            throw new InvalidDataException($"{path}:1: expected the row count on line 1 and a header on line 2.");
        }

        var rows = new List<(int, string[])>();
        for (var i = 2; i < lines.Length; i++)
        {
            var cells = lines[i].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length > 0)
            {
                rows.Add((i + 1, cells));
            }
        }

        if (rows.Count != count)
        {
            throw new InvalidDataException($"{path}:1: declares {count} rows but has {rows.Count} (truncated or corrupt).");
        }

        return rows;
    }

    /// <summary>Reads "&lt;name with spaces&gt; &lt;type&gt;" rows; the name is everything before the last token.</summary>
    private static List<string> NamedTypes(string path)
    {
        var names = new List<string>();
        var lines = DatasetBuilder.ReadLines(path);
        foreach (var (line, cells) in Body(path))
        {
            var text = lines[line - 1].Trim();
            var cut = text.LastIndexOfAny([' ', '\t']);
            if (cells.Length < 2 || cut <= 0 || !int.TryParse(cells[^1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                throw new InvalidDataException($"{path}:{line}: expected '<name> <type>'.");
            }

            names.Add(text[..cut].Trim());
        }

        return names;
    }
}
