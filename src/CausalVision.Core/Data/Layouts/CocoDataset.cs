// MS-COCO / COCO-Stuff instance annotations (the "instances_*.json" / "stuff_*.json" format):
//   {"images": [{"id", "file_name", ...}], "annotations": [{"image_id", "category_id", ...}],
//    "categories": [{"id", "name", "supercategory"}]}
// Multi-label targets: the set of category ids annotated on each image, mapped to contiguous ids
// 0..K-1 in the order of the "categories" array (COCO's 80 things: ids 1..90 with gaps).
using System.Text.Json;

namespace CausalVision.Data.Layouts;

/// <summary>
/// Loads a COCO-format annotation file as a multi-label dataset (the ML-GCN / Query2Label
/// protocol). Images with no annotation are dropped and counted in
/// <see cref="DataLoadReport.Filtered"/> (they have no label). Crowd annotations count.
/// Sample ids are the file names. Line numbers in errors are 1-based indexes into the
/// "images" or "annotations" arrays (the message says which).
/// </summary>
public static class CocoDataset
{
    /// <summary>Loads an annotation file.</summary>
    /// <param name="annotationFile">e.g. <c>annotations/instances_train2017.json</c> or <c>stuff_train2017.json</c>.</param>
    /// <param name="imageDirectory">The folder holding the images (e.g. <c>train2017</c>); file names resolve inside it.</param>
    /// <param name="options">Options. <value>null: defaults</value>.</param>
    /// <returns>The dataset (multi-label, no tags).</returns>
    /// <exception cref="InvalidDataException">The file is missing or malformed, or a bad record under <see cref="DataErrorPolicy.Throw"/>.</exception>
    public static ImageFileDataset Load(string annotationFile, string imageDirectory, DatasetLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(annotationFile);
        ArgumentException.ThrowIfNullOrWhiteSpace(imageDirectory);
        options ??= new DatasetLoadOptions();
        var builder = new DatasetBuilder(imageDirectory, options, requireTagsByDefault: false);
        if (!File.Exists(annotationFile))
        {
            throw new InvalidDataException($"COCO annotation file '{annotationFile}' does not exist.");
        }

        using var doc = StrictJson.ParseFile(annotationFile);
        try
        {
            var root = doc.RootElement;
            var categories = Array(root, "categories", annotationFile);
            var images = Array(root, "images", annotationFile);
            var annotations = Array(root, "annotations", annotationFile);

            var names = new List<string>();
            var categoryIndex = new Dictionary<long, int>();
            var k = 0;
            foreach (var c in categories.EnumerateArray())
            {
                k++;
                if (!TryLong(c, "id", out var id) || !c.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
                {
                    throw new InvalidDataException($"{annotationFile}: categories[{k}] needs an integer \"id\" and a string \"name\".");
                }

                if (!categoryIndex.TryAdd(id, names.Count))
                {
                    throw new InvalidDataException($"{annotationFile}: categories[{k}]: category id {id} appears twice.");
                }

                names.Add(n.GetString()!);
            }

            if (names.Count == 0)
            {
                throw new InvalidDataException($"{annotationFile}: \"categories\" is empty.");
            }

            var labelsOf = new Dictionary<long, SortedSet<int>>();
            var badImages = new HashSet<long>();
            k = 0;
            foreach (var a in annotations.EnumerateArray())
            {
                k++;
                if (!TryLong(a, "image_id", out var imageId) || !TryLong(a, "category_id", out var categoryId))
                {
                    builder.Fail(annotationFile, k, $"annotations[{k}] needs integer \"image_id\" and \"category_id\".");
                    continue;
                }

                if (!categoryIndex.TryGetValue(categoryId, out var label))
                {
                    builder.Fail(annotationFile, k, $"annotations[{k}]: unknown category id {categoryId} (image {imageId}).");
                    badImages.Add(imageId);
                    continue;
                }

                if (!labelsOf.TryGetValue(imageId, out var set))
                {
                    labelsOf[imageId] = set = [];
                }

                set.Add(label);
            }

            var known = new HashSet<long>();
            k = 0;
            var unlabelled = 0;
            foreach (var img in images.EnumerateArray())
            {
                k++;
                if (!TryLong(img, "id", out var id) || !img.TryGetProperty("file_name", out var f) || f.ValueKind != JsonValueKind.String)
                {
                    builder.Fail(annotationFile, k, $"images[{k}] needs an integer \"id\" and a string \"file_name\".");
                    continue;
                }

                if (!known.Add(id))
                {
                    builder.Fail(annotationFile, k, $"images[{k}]: duplicate image id {id}.");
                    continue;
                }

                if (badImages.Contains(id))
                {
                    // Its label set would be incomplete: never train on a silently wrong label.
                    builder.Fail(annotationFile, k, $"images[{k}]: image {id} has an annotation with an unknown category; skipped.");
                    continue;
                }

                if (!labelsOf.TryGetValue(id, out var labels) || labels.Count == 0)
                {
                    unlabelled++;
                    continue;
                }

                var fileName = f.GetString()!;
                if (!builder.TryResolve(annotationFile, k, fileName, out var full))
                {
                    continue;
                }

                builder.Add(annotationFile, k, fileName, full, -1, labels, [], names.Count, 0);
            }

            foreach (var imageId in labelsOf.Keys.Where(i => !known.Contains(i)).Take(1))
            {
                builder.Fail(annotationFile, 0, $"annotations refer to image id {imageId}, which is not in \"images\".");
            }

            if (unlabelled > 0)
            {
                builder.Filter(unlabelled);
                builder.Note($"{unlabelled} image(s) without annotations dropped.");
            }

            return builder.Build(new DatasetInfo(Path.GetFileNameWithoutExtension(annotationFile), names, [], MultiLabel: true));
        }
        catch (InvalidOperationException ex)
        {
            throw StrictJson.NotUnicode(annotationFile, ex);
        }
    }

    private static JsonElement Array(JsonElement root, string name, string file)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(name, out var a) || a.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{file}: \"{name}\" (array) is missing; not a COCO annotation file.");
        }

        return a;
    }

    private static bool TryLong(JsonElement o, string name, out long value)
    {
        value = 0;
        return o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out value);
    }
}
