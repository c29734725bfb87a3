using System.Text.Json;

namespace CausalVision.Data.Layouts;

/// <summary>
/// Loads one split of a generic manifest dataset (see <see cref="DatasetManifest"/> for the exact
/// format): the same path the built-in synthetic benchmark's on-disk form goes through.
/// </summary>
/// <remarks>
/// Rows are checked: the path must stay inside the root and exist; every label and tag name must
/// be in the manifest; single-label rows need exactly one label; multi-label rows at least one.
/// In JSON lines, <c>labels</c> and <c>tags</c> may be arrays of names or ';'-separated strings;
/// a missing or null <c>tags</c> is an empty list. Sample ids are the relative paths.
/// </remarks>
public static class ManifestDataset
{
    /// <summary>Loads split <paramref name="split"/> of the manifest dataset at <paramref name="root"/>.</summary>
    /// <param name="root">The dataset root (holding dataset.json).</param>
    /// <param name="split">The split name, a key of <c>splits</c> (e.g. "train", "test_iid").</param>
    /// <param name="options">Load options. <value>null: defaults (throw on bad rows)</value>.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="InvalidDataException">A file is missing or malformed, or a row is bad under <see cref="DataErrorPolicy.Throw"/>.</exception>
    public static ImageFileDataset Load(string root, string split, DatasetLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        options ??= new DatasetLoadOptions();
        var manifest = DatasetManifest.Read(root);
        var manifestPath = Path.Combine(root, DatasetManifest.FileName);
        if (!manifest.Splits.TryGetValue(split, out var splitFile))
        {
            throw new InvalidDataException($"{manifestPath}: no split \"{split}\"; available: {string.Join(", ", manifest.Splits.Keys)}.");
        }

        var builder = new DatasetBuilder(root, options, requireTagsByDefault: false);
        var splitPath = Path.GetFullPath(Path.Combine(builder.Root, splitFile));
        if (!splitPath.StartsWith(builder.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{manifestPath}: split file '{splitFile}' escapes the dataset root.");
        }

        var classIndex = DatasetBuilder.IndexNames(manifest.Classes, manifestPath);
        var tagIndex = DatasetBuilder.IndexNames(manifest.Tags, manifestPath);
        var rows = splitFile.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? ReadJsonLines(splitPath) : ReadCsv(splitPath);
        foreach (var (line, path, labels, tags, error) in rows)
        {
            if (error is not null)
            {
                builder.Fail(splitPath, line, error);
                continue;
            }

            AddRow(builder, manifest, classIndex, tagIndex, splitPath, line, path, labels, tags);
        }

        var info = new DatasetInfo(manifest.Name, manifest.Classes, manifest.Tags, manifest.MultiLabel);
        return builder.Build(info);
    }

    private static void AddRow(DatasetBuilder builder, DatasetManifest manifest, Dictionary<string, int> classIndex, Dictionary<string, int> tagIndex, string file, int line, string path, List<string> labelNames, List<string> tagNames)
    {
        if (path.Contains('\\', StringComparison.Ordinal))
        {
            builder.Fail(file, line, $"image path '{path}' must use '/' separators.");
            return;
        }

        var labels = new List<int>();
        foreach (var name in labelNames)
        {
            if (!classIndex.TryGetValue(name, out var id))
            {
                builder.Fail(file, line, $"unknown class '{name}' (not in dataset.json classes).");
                return;
            }

            labels.Add(id);
        }

        if (labels.Count == 0)
        {
            builder.Fail(file, line, $"sample '{path}' has an empty label list.");
            return;
        }

        if (!manifest.MultiLabel && labels.Count != 1)
        {
            builder.Fail(file, line, $"sample '{path}' has {labels.Count} labels but the dataset is single-label (multiLabel: false).");
            return;
        }

        var tags = new List<int>();
        foreach (var name in tagNames)
        {
            if (!tagIndex.TryGetValue(name, out var id))
            {
                builder.Fail(file, line, $"unknown tag '{name}' (not in dataset.json tags).");
                return;
            }

            tags.Add(id);
        }

        if (!builder.TryResolve(file, line, path, out var full))
        {
            return;
        }

        var label = manifest.MultiLabel ? -1 : labels[0];
        builder.Add(file, line, path, full, label, labels, tags, manifest.Classes.Count, manifest.Tags.Count);
    }

    private static List<string> SplitNames(string value) =>
        [.. value.Split(';').Select(s => s.Trim()).Where(s => s.Length > 0)];

    private static IEnumerable<(int Line, string Path, List<string> Labels, List<string> Tags, string? Error)> ReadCsv(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"Split file '{path}' does not exist.");
        }

        var records = CsvReader.Parse(File.ReadAllText(path), path);
        if (records.Count == 0)
        {
            throw new InvalidDataException($"{path}: empty file (expected the header 'path,labels,tags').");
        }

        var header = records[0].Fields.Select(h => h.Trim()).ToList();
        int pi = header.IndexOf("path"), li = header.IndexOf("labels"), ti = header.IndexOf("tags");
        if (pi < 0 || li < 0 || ti < 0)
        {
            throw new InvalidDataException($"{path}:1: header must be 'path,labels,tags', got '{string.Join(",", header)}'.");
        }

        var result = new List<(int, string, List<string>, List<string>, string?)>();
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count != header.Count)
            {
                result.Add((line, string.Empty, [], [], $"expected {header.Count} fields, got {fields.Count}."));
                continue;
            }

            result.Add((line, fields[pi].Trim(), SplitNames(fields[li]), SplitNames(fields[ti]), null));
        }

        return result;
    }

    private static IEnumerable<(int Line, string Path, List<string> Labels, List<string> Tags, string? Error)> ReadJsonLines(string path)
    {
        var lines = DatasetBuilder.ReadLines(path);
        var result = new List<(int, string, List<string>, List<string>, string?)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(lines[i], new JsonDocumentOptions { AllowDuplicateProperties = false });
                var o = doc.RootElement;
                if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("path", out var p) || p.ValueKind != JsonValueKind.String)
                {
                    result.Add((i + 1, string.Empty, [], [], "expected an object with a string \"path\"."));
                    continue;
                }

                var labels = Names(o, "labels");
                var tags = Names(o, "tags");
                if (labels is null || tags is null)
                {
                    result.Add((i + 1, string.Empty, [], [], "\"labels\" and \"tags\" must be arrays of strings or ';'-separated strings."));
                    continue;
                }

                result.Add((i + 1, p.GetString()!.Trim(), labels, tags, null));
            }
            catch (JsonException ex)
            {
                result.Add((i + 1, string.Empty, [], [], $"invalid JSON: {ex.Message}"));
            }
            catch (InvalidOperationException ex)
            {
                result.Add((i + 1, string.Empty, [], [], $"text that is not valid UTF-8 / Unicode: {ex.Message}"));
            }
        }

        return result;
    }

    private static List<string>? Names(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (v.ValueKind == JsonValueKind.String)
        {
            return SplitNames(v.GetString()!);
        }

        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
        {
            return [.. v.EnumerateArray().Select(e => e.GetString()!.Trim()).Where(s => s.Length > 0)];
        }

        return null;
    }
}
