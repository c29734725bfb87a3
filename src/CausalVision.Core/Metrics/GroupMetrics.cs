// Group-aware robustness metrics (Sagawa et al., ICLR 2020, "Distributionally Robust Neural
// Networks": groups = (class, spurious attribute) pairs, worst-group accuracy over the groups
// present) plus the shortcut rate and the IID - OOD gap.
namespace CausalVision.Metrics;

/// <summary>
/// Single-label metrics over (class, context) groups: per-group accuracy, worst-group accuracy,
/// the shortcut rate and the IID - OOD gap.
/// </summary>
/// <remarks>
/// <para>A group is a (class, context) pair. Worst-group accuracy is the minimum of the per-group
/// accuracies over the groups that have at least one image (groups absent from the split are
/// ignored, not counted as 0).</para>
/// <para>The shortcut rate is measured on the images whose context is <i>not</i> tied to their
/// class: the fraction of them predicted as a class whose tied context is the image's context,
/// i.e. the prediction followed the background instead of the objects. With one class per context
/// that is "the class the context is tied to"; when several classes share a context, a prediction
/// of any of them counts.</para>
/// </remarks>
public static class GroupMetrics
{
    /// <summary>Computes overall, per-group and worst-group accuracy and the shortcut rate.</summary>
    /// <param name="predictions">Predicted class per image [N].</param>
    /// <param name="labels">True class per image [N].</param>
    /// <param name="contexts">Context id per image [N] (non-negative).</param>
    /// <param name="tiedContextOfClass">The context tied to each class, indexed by class id (length = number of classes).</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">Empty or mismatched arrays, or an id out of range.</exception>
    public static GroupMetricsResult Compute(int[] predictions, int[] labels, int[] contexts, int[] tiedContextOfClass)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentNullException.ThrowIfNull(tiedContextOfClass);
        var n = labels.Length;
        if (n == 0)
        {
            throw new ArgumentException("No images: group metrics need at least one prediction.", nameof(labels));
        }

        if (predictions.Length != n || contexts.Length != n)
        {
            throw new ArgumentException($"Got {predictions.Length} predictions, {n} labels and {contexts.Length} contexts; one of each per image is needed.", nameof(predictions));
        }

        var classes = tiedContextOfClass.Length;
        if (classes == 0)
        {
            throw new ArgumentException("tiedContextOfClass is empty; it needs one context per class.", nameof(tiedContextOfClass));
        }

        var groups = new SortedDictionary<(int Class, int Context), (int Count, int Correct)>();
        int correct = 0, offContext = 0, followed = 0;
        for (var i = 0; i < n; i++)
        {
            var (y, p, t) = (labels[i], predictions[i], contexts[i]);
            if ((uint)y >= (uint)classes)
            {
                throw new ArgumentException($"Label {y} of image {i} is outside [0, {classes}).", nameof(labels));
            }

            if ((uint)p >= (uint)classes)
            {
                throw new ArgumentException($"Prediction {p} of image {i} is outside [0, {classes}).", nameof(predictions));
            }

            if (t < 0)
            {
                throw new ArgumentException($"Context {t} of image {i} is negative.", nameof(contexts));
            }

            var hit = p == y ? 1 : 0;
            correct += hit;
            groups.TryGetValue((y, t), out var g);
            groups[(y, t)] = (g.Count + 1, g.Correct + hit);
            if (tiedContextOfClass[y] != t)
            {
                offContext++;
                if (tiedContextOfClass[p] == t)
                {
                    followed++;
                }
            }
        }

        var perGroup = groups.Select(kv => new GroupAccuracy(kv.Key.Class, kv.Key.Context, kv.Value.Count, kv.Value.Correct)).ToArray();
        var worst = perGroup.MinBy(g => g.Accuracy)!;
        var aligned = perGroup.Where(g => tiedContextOfClass[g.Class] == g.Context).ToArray();
        var conflicting = perGroup.Where(g => tiedContextOfClass[g.Class] != g.Context).ToArray();
        return new GroupMetricsResult(
            Accuracy: (double)correct / n,
            PerGroup: perGroup,
            WorstGroupAccuracy: worst.Accuracy,
            WorstGroup: worst,
            MeanGroupAccuracy: perGroup.Average(g => g.Accuracy),
            ShortcutRate: offContext == 0 ? double.NaN : (double)followed / offContext,
            OffContextCount: offContext,
            AlignedAccuracy: Pooled(aligned),
            ConflictingAccuracy: Pooled(conflicting));
    }

    /// <summary>Predicted class per row of a score matrix (argmax; ties go to the lower class index).</summary>
    /// <param name="scores">Scores [N, C].</param>
    /// <returns>The predicted class per image.</returns>
    /// <exception cref="ArgumentException">Empty or non-finite scores.</exception>
    public static int[] ArgMax(double[,] scores)
    {
        Guard.Scores(scores, nameof(scores));
        var result = new int[scores.GetLength(0)];
        for (var i = 0; i < result.Length; i++)
        {
            var best = 0;
            for (var j = 1; j < scores.GetLength(1); j++)
            {
                if (scores[i, j] > scores[i, best])
                {
                    best = j;
                }
            }

            result[i] = best;
        }

        return result;
    }

    /// <summary>The IID - OOD gap: accuracy under the training distribution minus accuracy after the intervention on the context.</summary>
    /// <param name="iidAccuracy">Accuracy on the in-distribution test split.</param>
    /// <param name="oodAccuracy">Accuracy on the out-of-distribution test split.</param>
    /// <returns><c>iidAccuracy - oodAccuracy</c> (positive: the model relies on the shortcut).</returns>
    /// <exception cref="ArgumentException">An accuracy is not a number in [0, 1].</exception>
    public static double IidOodGap(double iidAccuracy, double oodAccuracy)
    {
        if (!(iidAccuracy >= 0 && iidAccuracy <= 1) || !(oodAccuracy >= 0 && oodAccuracy <= 1))
        {
            throw new ArgumentException($"Accuracies must lie in [0, 1]; got IID {iidAccuracy} and OOD {oodAccuracy}.", nameof(iidAccuracy));
        }

        return iidAccuracy - oodAccuracy;
    }

    private static double Pooled(GroupAccuracy[] groups)
    {
        var count = groups.Sum(g => g.Count);
        return count == 0 ? double.NaN : (double)groups.Sum(g => g.Correct) / count;
    }
}
