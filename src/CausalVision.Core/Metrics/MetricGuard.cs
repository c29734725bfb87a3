// Argument checks shared by every metric: clear messages naming the problem.
namespace CausalVision.Metrics;

/// <summary>Validation helpers for score / target matrices.</summary>
internal static class MetricGuard
{
    /// <summary>Checks a score matrix [N, C]: non-null, non-empty, finite.</summary>
    public static void Scores(double[,] scores, string name)
    {
        ArgumentNullException.ThrowIfNull(scores, name);
        if (scores.GetLength(0) == 0 || scores.GetLength(1) == 0)
        {
            throw new ArgumentException($"The score matrix is empty ({scores.GetLength(0)} x {scores.GetLength(1)}); expected [images, classes] with at least one of each.", name);
        }

        for (var i = 0; i < scores.GetLength(0); i++)
        {
            for (var j = 0; j < scores.GetLength(1); j++)
            {
                if (!double.IsFinite(scores[i, j]))
                {
                    throw new ArgumentException($"Score [{i}, {j}] is {scores[i, j]}; scores must be finite (no NaN or Inf).", name);
                }
            }
        }
    }

    /// <summary>Checks a score matrix and a target matrix of the same shape.</summary>
    public static void Pair(double[,] scores, bool[,] targets, string scoresName = "scores", string targetsName = "targets")
    {
        Scores(scores, scoresName);
        ArgumentNullException.ThrowIfNull(targets, targetsName);
        if (targets.GetLength(0) != scores.GetLength(0) || targets.GetLength(1) != scores.GetLength(1))
        {
            throw new ArgumentException($"Targets are {targets.GetLength(0)} x {targets.GetLength(1)} but scores are {scores.GetLength(0)} x {scores.GetLength(1)}; both must be [images, classes].", targetsName);
        }
    }

    /// <summary>Checks 1 &lt;= k &lt;= limit.</summary>
    public static void K(int k, int limit, string name = "k")
    {
        if (k < 1 || k > limit)
        {
            throw new ArgumentOutOfRangeException(name, k, $"k must be between 1 and the number of classes ({limit}).");
        }
    }

    /// <summary>Checks a threshold is finite.</summary>
    public static void Threshold(double threshold, string name = "threshold")
    {
        if (!double.IsFinite(threshold))
        {
            throw new ArgumentException($"The threshold is {threshold}; it must be finite.", name);
        }
    }

    /// <summary>
    /// Indices of the k highest scores of row <paramref name="row"/>, ranked by score descending and,
    /// on ties, by class index ascending (a stable descending sort).
    /// </summary>
    public static int[] TopK(double[,] scores, int row, int k)
    {
        var classes = scores.GetLength(1);
        var order = new int[classes];
        for (var j = 0; j < classes; j++)
        {
            order[j] = j;
        }

        Array.Sort(order, (a, b) =>
        {
            var c = scores[row, b].CompareTo(scores[row, a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return order[..k];
    }
}
