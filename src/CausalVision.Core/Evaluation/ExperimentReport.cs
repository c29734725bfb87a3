// Writes an experiment summary: summary.json (the contract other tools read), results.csv and summary.md.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CausalVision.Evaluation;

/// <summary>Writes the report files of an experiment.</summary>
/// <remarks>
/// <para><c>summary.json</c> has exactly this shape (numbers that cannot be computed, such as the
/// interval of a single seed, are <c>null</c>):</para>
/// <code>
/// {"experiment": "...", "baseline": "ROW",
///  "rows": [{"name": "ROW", "seeds": [0, 1, 2],
///            "metrics":     {"METRIC": {"mean": 0.8, "ci_low": 0.7, "ci_high": 0.9}},
///            "vs_baseline": {"METRIC": {"diff": 0.1, "ci_low": 0.05, "ci_high": 0.15}},
///            "seconds": 12.3}]}
/// </code>
/// <para><c>results.csv</c>: <c>row,seed,metric,value</c>, one line per (row, seed, metric) plus
/// one <c>seconds</c> line per (row, seed). <c>summary.md</c>: the recipe, a table of means with
/// intervals and a table of paired differences against the baseline.</para>
/// </remarks>
public static class ExperimentReport
{
    /// <summary>The summary file name.</summary>
    public const string SummaryFileName = "summary.json";

    /// <summary>The per-seed CSV file name.</summary>
    public const string CsvFileName = "results.csv";

    /// <summary>The Markdown file name.</summary>
    public const string MarkdownFileName = "summary.md";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes summary.json, results.csv and summary.md into <paramref name="directory"/>.</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="results">The per-seed results the summary was made from.</param>
    /// <param name="directory">The output folder (created).</param>
    public static void WriteAll(ExperimentSummary summary, IEnumerable<RowSeedResult> results, string directory)
    {
        Directory.CreateDirectory(directory);
        WriteAtomically(Path.Combine(directory, SummaryFileName), ToJson(summary));
        WriteAtomically(Path.Combine(directory, CsvFileName), ToCsv(results));
        WriteAtomically(Path.Combine(directory, MarkdownFileName), ToMarkdown(summary));
    }

    /// <summary>The summary.json text.</summary>
    /// <param name="summary">The summary.</param>
    /// <returns>Indented JSON.</returns>
    public static string ToJson(ExperimentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("experiment", summary.Experiment);
            json.WriteString("baseline", summary.Baseline);
            json.WriteStartArray("rows");
            foreach (var row in summary.Rows)
            {
                json.WriteStartObject();
                json.WriteString("name", row.Name);
                json.WriteStartArray("seeds");
                foreach (var s in row.Seeds)
                {
                    json.WriteNumberValue(s);
                }

                json.WriteEndArray();
                json.WriteStartObject("metrics");
                foreach (var (name, e) in row.Metrics)
                {
                    json.WriteStartObject(name);
                    WriteNumberOrNull(json, "mean", e.Mean);
                    WriteNumberOrNull(json, "ci_low", e.Low);
                    WriteNumberOrNull(json, "ci_high", e.High);
                    json.WriteEndObject();
                }

                json.WriteEndObject();
                json.WriteStartObject("vs_baseline");
                foreach (var (name, e) in row.VsBaseline)
                {
                    json.WriteStartObject(name);
                    WriteNumberOrNull(json, "diff", e.Mean);
                    WriteNumberOrNull(json, "ci_low", e.Low);
                    WriteNumberOrNull(json, "ci_high", e.High);
                    json.WriteEndObject();
                }

                json.WriteEndObject();
                json.WriteNumber("seconds", Math.Round(row.Seconds, 3));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>The results.csv text: <c>row,seed,metric,value</c> (invariant culture, LF line ends).</summary>
    /// <param name="results">The per-seed results.</param>
    /// <returns>The CSV.</returns>
    public static string ToCsv(IEnumerable<RowSeedResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder("row,seed,metric,value\n");
        foreach (var r in results)
        {
            foreach (var (metric, value) in r.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                sb.Append(CultureInfo.InvariantCulture, $"{r.Row},{r.Seed},{metric},{Number(value)}\n");
            }

            sb.Append(CultureInfo.InvariantCulture, $"{r.Row},{r.Seed},seconds,{Number(r.Seconds)}\n");
        }

        return sb.ToString();
    }

    /// <summary>The summary.md text: recipe, means with intervals, paired differences against the baseline.</summary>
    /// <param name="summary">The summary.</param>
    /// <returns>Markdown.</returns>
    public static string ToMarkdown(ExperimentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var level = (summary.Level * 100).ToString("0.#", CultureInfo.InvariantCulture);
        var method = summary.Method == IntervalMethod.StudentT ? "Student t" : "percentile bootstrap";
        var metrics = summary.Rows.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal).ToArray();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# Experiment `{summary.Experiment}`\n\n");
        if (!string.IsNullOrWhiteSpace(summary.Recipe))
        {
            sb.Append("Recipe: ").Append(summary.Recipe.Trim()).Append("\n\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"Mean over seeds [{level} % CI, {method}]; n = seeds per row.\n\n");
        sb.Append("| row | n | ").Append(string.Join(" | ", metrics)).Append(" | seconds |\n");
        sb.Append("|---|---|").Append(string.Concat(metrics.Select(_ => "---|"))).Append("---|\n");
        foreach (var row in summary.Rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {row.Name} | {row.Seeds.Count} | ");
            foreach (var m in metrics)
            {
                sb.Append(row.Metrics.TryGetValue(m, out var e) ? Cell(e) : "-").Append(" | ");
            }

            sb.Append(Number(Math.Round(row.Seconds, 1))).Append(" |\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"\nPaired difference vs `{summary.Baseline}` (same seeds) [{level} % CI]; * marks an interval that excludes 0.\n\n");
        sb.Append("| row | ").Append(string.Join(" | ", metrics)).Append(" |\n");
        sb.Append("|---|").Append(string.Concat(metrics.Select(_ => "---|"))).Append('\n');
        foreach (var row in summary.Rows.Where(r => r.Name != summary.Baseline))
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {row.Name} | ");
            foreach (var m in metrics)
            {
                if (row.VsBaseline.TryGetValue(m, out var d))
                {
                    var significant = double.IsFinite(d.Low) && (d.Low > 0 || d.High < 0);
                    sb.Append(Signed(d.Mean)).Append(' ').Append(Interval(d)).Append(significant ? " *" : string.Empty);
                }
                else
                {
                    sb.Append('-');
                }

                sb.Append(" | ");
            }

            sb.Length--;
            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Writes a number, or null when it is NaN or infinite (JSON has no NaN).</summary>
    /// <param name="json">The writer.</param>
    /// <param name="name">The property name.</param>
    /// <param name="value">The value.</param>
    internal static void WriteNumberOrNull(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    /// <summary>Writes text to a temporary file next to <paramref name="path"/> and renames it over the destination.</summary>
    /// <param name="path">The destination.</param>
    /// <param name="text">The content (UTF-8, no BOM).</param>
    internal static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text, Utf8);
        File.Move(temp, path, overwrite: true);
    }

    private static string Cell(IntervalEstimate e) => $"{e.Mean.ToString("0.000", CultureInfo.InvariantCulture)} {Interval(e)}";

    private static string Interval(IntervalEstimate e) => double.IsFinite(e.Low)
        ? $"[{e.Low.ToString("0.000", CultureInfo.InvariantCulture)}, {e.High.ToString("0.000", CultureInfo.InvariantCulture)}]"
        : "[n/a]";

    private static string Signed(double v) => v.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture);

    private static string Number(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NaN";
}
