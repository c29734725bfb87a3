// A point estimate with its confidence interval.
namespace CausalVision.Evaluation;

/// <summary>A mean (or mean difference) with the bounds of its confidence interval.</summary>
/// <param name="Mean">The mean over seeds (for a paired difference: the mean difference).</param>
/// <param name="Low">The lower bound; NaN when it cannot be computed (fewer than 2 values).</param>
/// <param name="High">The upper bound; NaN when it cannot be computed.</param>
/// <param name="Count">The number of values (seeds) it is computed from.</param>
public sealed record IntervalEstimate(double Mean, double Low, double High, int Count);
