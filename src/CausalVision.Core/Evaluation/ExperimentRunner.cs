// Runs an experiment's rows x seeds, resumably, and writes its report.
using System.Diagnostics;
using System.Globalization;

namespace CausalVision.Evaluation;

/// <summary>
/// Runs every row of an <see cref="ExperimentDefinition"/> for every seed and writes
/// <c>summary.json</c>, <c>results.csv</c> and <c>summary.md</c> to the output folder.
/// </summary>
/// <remarks>
/// <para>Layout of the output folder <c>out</c>: <c>out/runs/ROW/seed-S.json</c> holds one
/// (row, seed) result, written atomically (temporary file, then rename) as soon as the row
/// finishes; <c>out/seed-S/</c> is shared by the rows of seed S, <c>out/seed-S/ROW/</c> is the
/// row's checkpoint folder. A rerun with <see cref="ExperimentRunnerOptions.Resume"/> loads the
/// saved results and runs only the missing (row, seed) pairs, so an interrupted experiment
/// continues where it stopped.</para>
/// <para>Seeds run one after the other; within a seed the rows run in definition order and share
/// <see cref="ExperimentRunContext.Shared{T}"/> values (e.g. cached frozen features), which are
/// disposed when the seed is done. Wall time is measured per (row, seed); the first row that
/// creates a shared value is charged for it.</para>
/// </remarks>
public static class ExperimentRunner
{
    /// <summary>Runs (or resumes) the experiment and writes its report.</summary>
    /// <param name="definition">The experiment.</param>
    /// <param name="options">Seeds, output folder, interval method.</param>
    /// <returns>The summary that was written.</returns>
    /// <exception cref="ArgumentException">The definition or options are invalid.</exception>
    /// <exception cref="InvalidOperationException">A row returned no metrics or a result file names another row or seed.</exception>
    public static ExperimentSummary Run(ExperimentDefinition definition, ExperimentRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(options);
        definition.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputDirectory);
        if (options.Seeds is null || options.Seeds.Count == 0 || options.Seeds.Distinct().Count() != options.Seeds.Count)
        {
            throw new ArgumentException("ExperimentRunnerOptions.Seeds must be non-empty and distinct.", nameof(options));
        }

        var log = options.Log ?? (_ => { });
        var root = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(root);
        var results = new List<RowSeedResult>();
        foreach (var seed in options.Seeds)
        {
            var seedDir = Path.Combine(root, "seed-" + seed.ToString(CultureInfo.InvariantCulture));
            var shared = new Dictionary<string, object>(StringComparer.Ordinal);
            try
            {
                foreach (var row in definition.Rows)
                {
                    var file = ResultPath(root, row.Name, seed);
                    if (options.Resume && File.Exists(file))
                    {
                        var saved = RowSeedResult.Load(file);
                        if (saved.Row != row.Name || saved.Seed != seed)
                        {
                            throw new InvalidOperationException($"{file} holds row '{saved.Row}' seed {saved.Seed}, expected '{row.Name}' seed {seed}.");
                        }

                        log($"[{row.Name} seed {seed}] done before, skipped");
                        results.Add(saved);
                        continue;
                    }

                    var rowDir = Path.Combine(seedDir, row.Name);
                    Directory.CreateDirectory(rowDir);
                    var extendsDir = row.Extends is null ? null : Path.Combine(seedDir, row.Extends);
                    var context = new ExperimentRunContext(seed, row.Name, seedDir, rowDir, extendsDir, shared, m => log($"[{row.Name} seed {seed}] {m}"));
                    log($"[{row.Name} seed {seed}] running");
                    var watch = Stopwatch.StartNew();
                    var metrics = row.Run(context) ?? throw new InvalidOperationException($"Row '{row.Name}' returned no metrics.");
                    watch.Stop();
                    var result = new RowSeedResult(row.Name, seed, new Dictionary<string, double>(metrics, StringComparer.Ordinal), watch.Elapsed.TotalSeconds);
                    result.Save(file);
                    results.Add(result);
                    log($"[{row.Name} seed {seed}] {watch.Elapsed.TotalSeconds:0.0} s: " + string.Join(", ", metrics.Select(kv => $"{kv.Key} {kv.Value:0.000}")));
                }
            }
            finally
            {
                foreach (var value in shared.Values.OfType<IDisposable>())
                {
                    value.Dispose();
                }
            }
        }

        var summary = ExperimentSummary.Create(
            definition.Name, definition.Baseline, [.. definition.Rows.Select(r => r.Name)], results, options.Method, options.Level, definition.Recipe);
        ExperimentReport.WriteAll(summary, results, root);
        return summary;
    }

    /// <summary>The saved-result path of a (row, seed): <c>out/runs/ROW/seed-S.json</c>.</summary>
    /// <param name="outputDirectory">The experiment output folder.</param>
    /// <param name="row">The row name.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The path.</returns>
    public static string ResultPath(string outputDirectory, string row, int seed) =>
        Path.Combine(outputDirectory, "runs", row, "seed-" + seed.ToString(CultureInfo.InvariantCulture) + ".json");
}
