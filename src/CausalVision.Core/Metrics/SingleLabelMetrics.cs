// Single-label accuracy (Acc@k), as VSCNet reports Acc@1 / Acc@5.
namespace CausalVision.Metrics;

/// <summary>Single-label classification metrics.</summary>
public static class SingleLabelMetrics
{
    /// <summary>
    /// Top-k accuracy: the fraction of images whose true class is among the k highest scores.
    /// </summary>
    /// <remarks>
    /// Ties are broken by class index (lower index ranks first), so a true class tied with the
    /// k-th score counts only when its index is low enough; this is deterministic, unlike
    /// <c>torch.topk</c>, whose order among ties is unspecified.
    /// </remarks>
    /// <param name="scores">Scores [N, C] (logits or probabilities).</param>
    /// <param name="labels">True class per image [N], each in [0, C).</param>
    /// <param name="k">How many top classes count; 1 &lt;= k &lt;= C.</param>
    /// <returns>Accuracy in [0, 1].</returns>
    /// <exception cref="ArgumentException">Empty, non-finite or mismatched inputs, or a label out of range.</exception>
    public static double TopKAccuracy(double[,] scores, int[] labels, int k = 1)
    {
        Guard.Scores(scores, nameof(scores));
        ArgumentNullException.ThrowIfNull(labels);
        var n = scores.GetLength(0);
        var c = scores.GetLength(1);
        if (labels.Length != n)
        {
            throw new ArgumentException($"There are {labels.Length} labels for {n} score rows; one label per image is needed.", nameof(labels));
        }

        Guard.K(k, c);
        var hits = 0;
        for (var i = 0; i < n; i++)
        {
            var y = labels[i];
            if (y < 0 || y >= c)
            {
                throw new ArgumentException($"Label {y} of image {i} is outside [0, {c}).", nameof(labels));
            }

            // Rank of y = classes strictly better, plus tied classes with a lower index.
            var rank = 0;
            for (var j = 0; j < c; j++)
            {
                if (scores[i, j] > scores[i, y] || (scores[i, j] == scores[i, y] && j < y))
                {
                    rank++;
                }
            }

            if (rank < k)
            {
                hits++;
            }
        }

        return (double)hits / n;
    }
}
