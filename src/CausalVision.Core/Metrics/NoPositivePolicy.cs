namespace CausalVision.Metrics;

/// <summary>How a mean of average precisions treats a class (or subset) without positive images.</summary>
public enum NoPositivePolicy
{
    /// <summary>
    /// AP 0, counted in the mean: scikit-learn 1.2.1's <c>average_precision_score</c> warns and
    /// returns 0, and ContextualBias averages those values (the default).
    /// </summary>
    CountAsZero,

    /// <summary>Left out of the mean (the earlier behaviour).</summary>
    Exclude,
}
