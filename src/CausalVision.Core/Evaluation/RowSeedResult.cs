// The saved result of one (row, seed) run.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CausalVision.Evaluation;

/// <summary>The metrics and wall time of one row for one seed, as saved under <c>out/runs/ROW/seed-S.json</c>.</summary>
/// <param name="Row">The row name.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Metrics">Metric name to value.</param>
/// <param name="Seconds">Wall-clock seconds the row took for this seed (the shared per-seed work is charged to the row that first asked for it).</param>
public sealed record RowSeedResult(string Row, int Seed, IReadOnlyDictionary<string, double> Metrics, double Seconds)
{
    /// <summary>Writes the result atomically: to a temporary file in the same folder, then renamed over <paramref name="path"/>.</summary>
    /// <param name="path">The destination.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("row", Row);
            json.WriteNumber("seed", Seed);
            json.WriteNumber("seconds", Seconds);
            json.WriteStartObject("metrics");
            foreach (var (name, value) in Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                ExperimentReport.WriteNumberOrNull(json, name, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp");
        File.WriteAllBytes(temp, stream.ToArray());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads a result saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The result.</returns>
    /// <exception cref="InvalidDataException">The file is not a saved result.</exception>
    public static RowSeedResult Load(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path, Encoding.UTF8));
            var r = doc.RootElement;
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var p in r.GetProperty("metrics").EnumerateObject())
            {
                metrics[p.Name] = p.Value.ValueKind == JsonValueKind.Null ? double.NaN : p.Value.GetDouble();
            }

            return new RowSeedResult(r.GetProperty("row").GetString()!, r.GetProperty("seed").GetInt32(), metrics, r.GetProperty("seconds").GetDouble());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a saved (row, seed) result: {e.Message}", e);
        }
    }
}
