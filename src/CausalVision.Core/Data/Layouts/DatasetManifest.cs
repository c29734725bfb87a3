// The generic manifest format (also written by the built-in synthetic benchmark):
//   <root>/dataset.json = {"name": str, "classes": [str], "tags": [str], "multiLabel": bool,
//                          "splits": {"train": "train.csv", "test_iid": "test_iid.csv", ...}}
//   per-split CSV (header "path,labels,tags", RFC 4180 quoting; path relative to the root with
//   '/'; labels and tags ';'-separated names; exactly one label for single-label data; tags may
//   be empty), or JSON lines (".jsonl": {"path", "labels", "tags"} per line) chosen by extension.
using System.Text;
using System.Text.Json;

namespace CausalVision.Data.Layouts;

/// <summary>The <c>dataset.json</c> of a generic manifest dataset.</summary>
/// <param name="Name">The dataset name.</param>
/// <param name="Classes">Class names (index = class id).</param>
/// <param name="Tags">Tag names (index = tag id); may be empty.</param>
/// <param name="MultiLabel">Whether rows carry label sets.</param>
/// <param name="Splits">Split name -> split file relative to the root (".csv" or ".jsonl").</param>
public sealed record DatasetManifest(string Name, IReadOnlyList<string> Classes, IReadOnlyList<string> Tags, bool MultiLabel, IReadOnlyDictionary<string, string> Splits)
{
    /// <summary>The manifest file name inside the dataset root.</summary>
    public const string FileName = "dataset.json";

    /// <summary>Reads and checks <c>root/dataset.json</c>.</summary>
    /// <param name="root">The dataset root.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="InvalidDataException">The file is missing or malformed (the message names it and the field).</exception>
    public static DatasetManifest Read(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var path = Path.Combine(root, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"Manifest '{path}' does not exist (a generic dataset needs dataset.json; use ImageFolderDataset for a plain class-folder layout).");
        }

        try
        {
            using var doc = StrictJson.ParseFile(path);
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: the top level must be a JSON object.");
            }

            var name = r.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : throw new InvalidDataException($"{path}: \"name\" (string) is missing.");
            var classes = StringArray(r, "classes", path, required: true);
            if (classes.Count == 0)
            {
                throw new InvalidDataException($"{path}: \"classes\" is empty.");
            }

            var tags = StringArray(r, "tags", path, required: false);
            var multi = false;
            if (r.TryGetProperty("multiLabel", out var m))
            {
                multi = m.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new InvalidDataException($"{path}: \"multiLabel\" must be true or false."),
                };
            }

            if (!r.TryGetProperty("splits", out var s) || s.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: \"splits\" (object of split name -> file) is missing.");
            }

            var splits = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in s.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                {
                    throw new InvalidDataException($"{path}: split \"{p.Name}\" must map to a file name.");
                }

                splits[p.Name] = p.Value.GetString()!;
            }

            DatasetBuilder.IndexNames(classes, path + " (classes)");
            DatasetBuilder.IndexNames(tags, path + " (tags)");
            return new DatasetManifest(name, classes, tags, multi, splits);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: invalid JSON at line {ex.LineNumber + 1}: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw StrictJson.NotUnicode(path, ex);
        }
    }

    /// <summary>Writes <c>root/dataset.json</c> (creating the folder).</summary>
    /// <param name="root">The dataset root.</param>
    public void Write(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Directory.CreateDirectory(root);
        using var stream = File.Create(Path.Combine(root, FileName));
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("name", Name);
        w.WriteStartArray("classes");
        foreach (var c in Classes)
        {
            w.WriteStringValue(c);
        }

        w.WriteEndArray();
        w.WriteStartArray("tags");
        foreach (var t in Tags)
        {
            w.WriteStringValue(t);
        }

        w.WriteEndArray();
        w.WriteBoolean("multiLabel", MultiLabel);
        w.WriteStartObject("splits");
        foreach (var (k, v) in Splits)
        {
            w.WriteString(k, v);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Writes a split CSV (header <c>path,labels,tags</c>, RFC 4180 quoting where needed).</summary>
    /// <param name="path">The CSV path.</param>
    /// <param name="rows">(relative path, label names, tag names) per image.</param>
    public static void WriteSplitCsv(string path, IEnumerable<(string Path, IEnumerable<string> Labels, IEnumerable<string> Tags)> rows)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder("path,labels,tags\n");
        foreach (var (p, labels, tags) in rows)
        {
            sb.Append(Quote(p)).Append(',').Append(Quote(string.Join(';', labels))).Append(',').Append(Quote(string.Join(';', tags))).Append('\n');
        }

        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
    }

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    private static List<string> StringArray(JsonElement r, string name, string path, bool required)
    {
        if (!r.TryGetProperty(name, out var a))
        {
            return required ? throw new InvalidDataException($"{path}: \"{name}\" (array of strings) is missing.") : [];
        }

        if (a.ValueKind != JsonValueKind.Array || a.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new InvalidDataException($"{path}: \"{name}\" must be an array of strings.");
        }

        return [.. a.EnumerateArray().Select(e => e.GetString()!)];
    }
}
