// How experiment summaries turn per-seed values into confidence intervals.
namespace CausalVision.Evaluation;

/// <summary>The confidence-interval method of <see cref="ConfidenceIntervals"/> and the experiment runner.</summary>
public enum IntervalMethod
{
    /// <summary>Student t: mean ± t(level, n - 1) · s / √n (s: sample standard deviation, n - 1 denominator).</summary>
    StudentT,

    /// <summary>Percentile bootstrap of the mean: the (1 - level) / 2 and (1 + level) / 2 quantiles of resampled means.</summary>
    PercentileBootstrap,
}
