// Result of GroupMetrics.Compute.
namespace CausalVision.Metrics;

/// <summary>Group-aware single-label metrics (see <see cref="GroupMetrics.Compute"/>).</summary>
/// <param name="Accuracy">Overall accuracy (Acc@1).</param>
/// <param name="PerGroup">Accuracy of every group present, ordered by (class, context).</param>
/// <param name="WorstGroupAccuracy">The minimum of the per-group accuracies over the groups present.</param>
/// <param name="WorstGroup">A group reaching it (the first in (class, context) order).</param>
/// <param name="MeanGroupAccuracy">The unweighted mean of the per-group accuracies (each group counts once).</param>
/// <param name="ShortcutRate">Over images whose context is not tied to their class: the fraction predicted as a class tied to their context; NaN when there is no such image.</param>
/// <param name="OffContextCount">The number of images the shortcut rate is measured on.</param>
/// <param name="AlignedAccuracy">Accuracy on images whose context is tied to their class; NaN when there is none.</param>
/// <param name="ConflictingAccuracy">Accuracy on images whose context is not tied to their class; NaN when there is none.</param>
public sealed record GroupMetricsResult(
    double Accuracy,
    IReadOnlyList<GroupAccuracy> PerGroup,
    double WorstGroupAccuracy,
    GroupAccuracy WorstGroup,
    double MeanGroupAccuracy,
    double ShortcutRate,
    int OffContextCount,
    double AlignedAccuracy,
    double ConflictingAccuracy);
