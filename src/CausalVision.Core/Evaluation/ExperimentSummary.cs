// An experiment's results summarised: means, intervals and paired differences per row.
namespace CausalVision.Evaluation;

/// <summary>The summary of an experiment (what <c>summary.json</c> holds, plus the per-seed values).</summary>
/// <param name="Experiment">The experiment name.</param>
/// <param name="Baseline">The baseline row name.</param>
/// <param name="Rows">The rows in definition order.</param>
/// <param name="Recipe">The shared recipe text.</param>
/// <param name="Method">The interval method used.</param>
/// <param name="Level">The confidence level used.</param>
public sealed record ExperimentSummary(string Experiment, string Baseline, IReadOnlyList<RowSummary> Rows, string Recipe, IntervalMethod Method, double Level)
{
    /// <summary>Summarises per-seed results.</summary>
    /// <param name="experiment">The experiment name.</param>
    /// <param name="baseline">The baseline row name.</param>
    /// <param name="rowOrder">The row names in report order.</param>
    /// <param name="results">Every (row, seed) result.</param>
    /// <param name="method">Student t (default) or percentile bootstrap.</param>
    /// <param name="level">The confidence level; default 0.95.</param>
    /// <param name="recipe">The recipe text.</param>
    /// <returns>The summary.</returns>
    public static ExperimentSummary Create(
        string experiment, string baseline, IReadOnlyList<string> rowOrder, IEnumerable<RowSeedResult> results,
        IntervalMethod method = IntervalMethod.StudentT, double level = ConfidenceIntervals.DefaultLevel, string recipe = "")
    {
        ArgumentNullException.ThrowIfNull(rowOrder);
        ArgumentNullException.ThrowIfNull(results);
        var byRow = results.GroupBy(r => r.Row, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToDictionary(r => r.Seed), StringComparer.Ordinal);
        byRow.TryGetValue(baseline, out var baseRuns);
        var rows = new List<RowSummary>();
        foreach (var name in rowOrder)
        {
            if (!byRow.TryGetValue(name, out var runs))
            {
                continue;
            }

            var seeds = runs.Keys.Order().ToArray();
            var metricNames = runs.Values.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var metrics = new Dictionary<string, IntervalEstimate>(StringComparer.Ordinal);
            var diffs = new Dictionary<string, IntervalEstimate>(StringComparer.Ordinal);
            var perSeed = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
            foreach (var metric in metricNames)
            {
                var values = seeds.Select(s => runs[s].Metrics.TryGetValue(metric, out var v) ? v : double.NaN).ToArray();
                perSeed[metric] = values;
                var finite = values.Where(double.IsFinite).ToArray();
                if (finite.Length > 0)
                {
                    metrics[metric] = ConfidenceIntervals.Of(finite, method, level);
                }

                if (baseRuns is null)
                {
                    continue;
                }

                var paired = seeds
                    .Where(s => baseRuns.ContainsKey(s))
                    .Select(s => (Row: runs[s].Metrics.GetValueOrDefault(metric, double.NaN), Base: baseRuns[s].Metrics.GetValueOrDefault(metric, double.NaN)))
                    .Where(p => double.IsFinite(p.Row) && double.IsFinite(p.Base))
                    .ToArray();
                if (paired.Length > 0)
                {
                    diffs[metric] = ConfidenceIntervals.PairedDifference([.. paired.Select(p => p.Row)], [.. paired.Select(p => p.Base)], method, level);
                }
            }

            rows.Add(new RowSummary(name, seeds, metrics, diffs, perSeed, runs.Values.Sum(r => r.Seconds)));
        }

        return new ExperimentSummary(experiment, baseline, rows, recipe, method, level);
    }
}
