namespace CausalVision.Metrics;

/// <summary>How <see cref="MultiLabelMetrics.AveragePrecision"/> ranks tied scores.</summary>
public enum TiedScores
{
    /// <summary>Tied scores form one threshold (scikit-learn's <c>average_precision_score</c>; the default).</summary>
    Grouped,

    /// <summary>Ties are ordered by image index (a stable descending sort; the earlier behaviour).</summary>
    IndexOrder,
}
