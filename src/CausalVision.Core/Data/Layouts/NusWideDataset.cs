// NUS-WIDE (Chua et al., CIVR 2009). Assumed layout (the official archives unpacked into one root;
// file names checked against public loaders):
//   <root>/ImageList/TrainImagelist.txt, TestImagelist.txt   one image per line, Windows separators
//                                                           ("actor\0001_2124494179.jpg")
//   <root>/Flickr/<that path>                               the images (folder name configurable)
//   <root>/Concepts81.txt (or ConceptsList/Concepts81.txt)  the 81 concept names
//   concept labels, either
//     <root>/Groundtruth/TrainTestLabels/Labels_<concept>_{Train,Test}.txt  one 0/1 per image line, or
//     <root>/NUS_WID_Tags/{Train,Test}_Tags81.txt           a matrix, one row of 81 0/1 per image
//   <root>/NUS_WID_Tags/TagList1k.txt                        the 1000 tag names
//   <root>/NUS_WID_Tags/{Train,Test}_Tags1k.dat              one row of 1000 0/1 (tab-separated) per image
// Every per-image file must have exactly one row per image-list line. Images with no concept
// label are dropped by default (the usual protocol) and counted in the report's Filtered.
namespace CausalVision.Data.Layouts;

/// <summary>Options for <see cref="NusWideDataset"/>.</summary>
public sealed class NusWideOptions : DatasetLoadOptions
{
    /// <summary>Gets or sets the image folder under the root. <value>"Flickr"</value>.</summary>
    public string ImageFolder { get; set; } = "Flickr";

    /// <summary>Gets or sets whether images with no concept label are dropped (else each is a bad row). <value>true</value>.</summary>
    public bool DropUnlabeled { get; set; } = true;
}

/// <summary>
/// Loads NUS-WIDE: multi-label over the 81 concepts, with the 1000-tag bag as tags. Sample ids
/// are the image-list paths with '/' separators. Splits: "train" or "test".
/// </summary>
public static class NusWideDataset
{
    /// <summary>Loads a split.</summary>
    /// <param name="root">The NUS-WIDE root.</param>
    /// <param name="split">"train" or "test".</param>
    /// <param name="options">Options. <value>null: defaults</value>.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="InvalidDataException">A required file is missing, row counts differ, or a bad row under <see cref="DataErrorPolicy.Throw"/>.</exception>
    public static ImageFileDataset Load(string root, string split, NusWideOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        options ??= new NusWideOptions();
        var s = split?.ToLowerInvariant() switch
        {
            "train" => "Train",
            "test" => "Test",
            _ => throw new ArgumentException($"NUS-WIDE split must be \"train\" or \"test\", got \"{split}\".", nameof(split)),
        };
        var builder = new DatasetBuilder(root, options, requireTagsByDefault: false);
        var r = builder.Root;

        var listPath = Path.Combine(r, "ImageList", $"{s}Imagelist.txt");
        var images = DatasetBuilder.ReadLines(listPath).Select(l => l.Trim()).ToList();
        while (images.Count > 0 && images[^1].Length == 0)
        {
            images.RemoveAt(images.Count - 1);
        }

        var conceptsPath = Path.Combine(r, "Concepts81.txt");
        if (!File.Exists(conceptsPath))
        {
            conceptsPath = Path.Combine(r, "ConceptsList", "Concepts81.txt");
        }

        var concepts = DatasetBuilder.ReadNames(conceptsPath);
        DatasetBuilder.IndexNames(concepts, conceptsPath);

        // Concept rows: either per-concept files or one matrix.
        var labelRows = new List<int>[images.Count];
        for (var i = 0; i < labelRows.Length; i++)
        {
            labelRows[i] = [];
        }

        var bad = new Dictionary<int, (string File, int Line, string Reason)>();
        var perConceptDir = Path.Combine(r, "Groundtruth", "TrainTestLabels");
        if (Directory.Exists(perConceptDir))
        {
            for (var c = 0; c < concepts.Count; c++)
            {
                var file = Path.Combine(perConceptDir, $"Labels_{concepts[c]}_{s}.txt");
                var rows = Rows(file, images.Count);
                for (var i = 0; i < images.Count; i++)
                {
                    switch (rows[i].Trim())
                    {
                        case "1":
                            labelRows[i].Add(c);
                            break;
                        case "0":
                            break;
                        default:
                            bad.TryAdd(i, (file, i + 1, $"expected 0 or 1, got '{rows[i].Trim()}'."));
                            break;
                    }
                }
            }

            builder.Note($"concept labels from {perConceptDir}/Labels_<concept>_{s}.txt");
        }
        else
        {
            var file = Path.Combine(r, "NUS_WID_Tags", $"{s}_Tags81.txt");
            ReadMatrix(file, images.Count, concepts.Count, labelRows, bad);
            builder.Note($"concept labels from {file}");
        }

        var tagListPath = Path.Combine(r, "NUS_WID_Tags", "TagList1k.txt");
        var tags = DatasetBuilder.ReadNames(tagListPath);
        DatasetBuilder.IndexNames(tags, tagListPath);
        var tagRows = new List<int>[images.Count];
        for (var i = 0; i < tagRows.Length; i++)
        {
            tagRows[i] = [];
        }

        ReadMatrix(Path.Combine(r, "NUS_WID_Tags", $"{s}_Tags1k.dat"), images.Count, tags.Count, tagRows, bad);

        var unlabelled = 0;
        for (var i = 0; i < images.Count; i++)
        {
            if (bad.TryGetValue(i, out var b))
            {
                builder.Fail(b.File, b.Line, b.Reason);
                continue;
            }

            var rel = images[i].Replace('\\', '/');
            if (rel.Length == 0)
            {
                builder.Fail(listPath, i + 1, "empty image line.");
                continue;
            }

            if (labelRows[i].Count == 0 && options.DropUnlabeled)
            {
                unlabelled++;
                continue;
            }

            if (!builder.TryResolve(listPath, i + 1, options.ImageFolder.TrimEnd('/') + "/" + rel, out var full))
            {
                continue;
            }

            builder.Add(listPath, i + 1, rel, full, -1, labelRows[i], tagRows[i], concepts.Count, tags.Count);
        }

        if (unlabelled > 0)
        {
            builder.Filter(unlabelled);
            builder.Note($"{unlabelled} image(s) without any concept label dropped.");
        }

        return builder.Build(new DatasetInfo("nus-wide", concepts, tags, MultiLabel: true));
    }

    private static string[] Rows(string file, int expected)
    {
        var rows = DatasetBuilder.ReadLines(file);
        var n = rows.Length;
        while (n > 0 && string.IsNullOrWhiteSpace(rows[n - 1]))
        {
            n--;
        }

        if (n != expected)
        {
            throw new InvalidDataException($"{file}: {n} rows, but the image list has {expected} images (one row per image is required).");
        }

        return rows[..n];
    }

    private static void ReadMatrix(string file, int images, int width, List<int>[] target, Dictionary<int, (string, int, string)> bad)
    {
        var rows = Rows(file, images);
        for (var i = 0; i < images; i++)
        {
            var cells = rows[i].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length != width)
            {
                bad.TryAdd(i, (file, i + 1, $"expected {width} values, got {cells.Length}."));
                continue;
            }

            for (var k = 0; k < width; k++)
            {
                if (cells[k] == "1")
                {
                    target[i].Add(k);
                }
                else if (cells[k] != "0")
                {
                    bad.TryAdd(i, (file, i + 1, $"value {k + 1} is '{cells[k]}', expected 0 or 1."));
                    break;
                }
            }
        }
    }
}
