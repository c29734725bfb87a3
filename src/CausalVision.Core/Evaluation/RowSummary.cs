// One row of an experiment summary.
namespace CausalVision.Evaluation;

/// <summary>A row summarised over its seeds.</summary>
/// <param name="Name">The row name.</param>
/// <param name="Seeds">The seeds it ran, ascending.</param>
/// <param name="Metrics">Per metric: the mean over seeds with its confidence interval.</param>
/// <param name="VsBaseline">Per metric: the paired difference row - baseline over the seeds both ran, with its interval (the baseline row itself has differences of 0).</param>
/// <param name="PerSeed">Per metric: the value of every seed, in <see cref="Seeds"/> order (NaN where a seed lacks it).</param>
/// <param name="Seconds">Total wall-clock seconds over the seeds.</param>
public sealed record RowSummary(
    string Name,
    IReadOnlyList<int> Seeds,
    IReadOnlyDictionary<string, IntervalEstimate> Metrics,
    IReadOnlyDictionary<string, IntervalEstimate> VsBaseline,
    IReadOnlyDictionary<string, IReadOnlyList<double>> PerSeed,
    double Seconds);
