// Biased category pairs and exclusive / co-occur evaluation, after princetonvisualai/ContextualBias
// (biased_categories.py, evaluate.py), itself reproducing Singh et al., CVPR 2020.
namespace CausalVision.Metrics;

/// <summary>
/// A biased pair: category <paramref name="Biased"/> (b) and its context <paramref name="Context"/> (c).
/// "Exclusive" images contain b without c; "co-occur" ones contain both. Pairs chosen from data carry
/// the measured <paramref name="Bias"/> and <paramref name="CooccurrenceRatio"/>; pairs defined by a
/// benchmark (the synthetic ones) leave them NaN.
/// </summary>
/// <param name="Biased">The biased category b.</param>
/// <param name="Context">The context category c that b depends on most.</param>
/// <param name="Bias">bias(b, c) = mean score of b on images with b and c / mean score of b on images with b but not c; or, for <see cref="BiasedPairs.SelectByCooccurrence"/>, the co-occurrence ratio; NaN when not measured.</param>
/// <param name="CooccurrenceRatio">|images with b and c| / |images with b| in the training labels; NaN when not measured.</param>
public sealed record BiasedPair(int Biased, int Context, double Bias = double.NaN, double CooccurrenceRatio = double.NaN);

/// <summary>Scores of one pair on its exclusive and co-occur test subsets.</summary>
/// <param name="Pair">The pair.</param>
/// <param name="Exclusive">Metric of b over exclusive (b, not c) images plus the images with neither role; NaN when the subset has no positive.</param>
/// <param name="CoOccur">Metric of b over co-occur (b and c) images plus the images with neither role; NaN when the subset has no positive.</param>
public sealed record BiasedPairScore(BiasedPair Pair, double Exclusive, double CoOccur);

/// <summary>Exclusive / co-occur scores of every pair and their means (NaN entries left out).</summary>
/// <param name="Pairs">Per pair.</param>
/// <param name="MeanExclusive">Mean exclusive score.</param>
/// <param name="MeanCoOccur">Mean co-occur score.</param>
public sealed record BiasedPairEvaluation(IReadOnlyList<BiasedPairScore> Pairs, double MeanExclusive, double MeanCoOccur);

/// <summary>Which metric <see cref="BiasedPairs.Evaluate"/> computes for b on each subset.</summary>
public enum BiasedPairMetric
{
    /// <summary>Average precision of b (COCO-Stuff, AwA).</summary>
    AveragePrecision,

    /// <summary>Top-3 recall of b (DeepFashion).</summary>
    TopThreeRecall,
}

/// <summary>Selection of the most-biased category pairs and their exclusive / co-occur evaluation.</summary>
public static class BiasedPairs
{
    /// <summary>
    /// ContextualBias selection: for each category b, among categories c that co-occur with b in at
    /// least <paramref name="cooccurrenceThreshold"/> of b's training images, the c with the highest
    /// bias(b, c) = mean s_b(I in b and c) / mean s_b(I in b, not c), measured with a baseline model's
    /// scores on held-out images; then the <paramref name="count"/> pairs with the highest bias.
    /// </summary>
    /// <remarks>
    /// As in ContextualBias, a pair whose held-out bias cannot be computed (no image with both, none
    /// with b alone, or zero mean score without c) has bias 0 and is never selected; ties go to the
    /// lower index. The result is ordered by bias, highest first.
    /// </remarks>
    /// <param name="trainTargets">Training labels [N_train, C] (the co-occurrence ratio).</param>
    /// <param name="heldOutTargets">Held-out labels [N_val, C] (ContextualBias: the 20 of an 80/20 split).</param>
    /// <param name="heldOutScores">A baseline model's probabilities on the held-out images [N_val, C].</param>
    /// <param name="cooccurrenceThreshold">Minimum |b and c| / |b| on the training labels; default 0.1.</param>
    /// <param name="count">Pairs to keep; default 20.</param>
    /// <returns>At most <paramref name="count"/> pairs, most biased first.</returns>
    /// <exception cref="ArgumentException">Mismatched or empty inputs, a threshold outside [0, 1], or count &lt; 1.</exception>
    public static IReadOnlyList<BiasedPair> Select(bool[,] trainTargets, bool[,] heldOutTargets, double[,] heldOutScores, double cooccurrenceThreshold = 0.1, int count = 20)
    {
        ArgumentNullException.ThrowIfNull(trainTargets);
        Guard.Pair(heldOutScores, heldOutTargets, nameof(heldOutScores), nameof(heldOutTargets));
        var c = heldOutScores.GetLength(1);
        CheckTrain(trainTargets, c);
        CheckSelection(cooccurrenceThreshold, count);
        var nv = heldOutScores.GetLength(0);

        var best = new List<BiasedPair>();
        for (var b = 0; b < c; b++)
        {
            BiasedPair? top = null;
            for (var z = 0; z < c; z++)
            {
                if (z == b)
                {
                    continue;
                }

                var ratio = CooccurrenceRatio(trainTargets, b, z);
                if (double.IsNaN(ratio) || ratio < cooccurrenceThreshold)
                {
                    continue;
                }

                double with = 0, without = 0;
                int nWith = 0, nWithout = 0;
                for (var i = 0; i < nv; i++)
                {
                    if (!heldOutTargets[i, b])
                    {
                        continue;
                    }

                    if (heldOutTargets[i, z])
                    {
                        with += heldOutScores[i, b];
                        nWith++;
                    }
                    else
                    {
                        without += heldOutScores[i, b];
                        nWithout++;
                    }
                }

                var bias = nWith > 0 && nWithout > 0 && without > 0 ? (with / nWith) / (without / nWithout) : 0.0;
                if (bias > 0 && (top is null || bias > top.Bias))
                {
                    top = new BiasedPair(b, z, bias, ratio);
                }
            }

            if (top is not null)
            {
                best.Add(top);
            }
        }

        return best.OrderByDescending(p => p.Bias).ThenBy(p => p.Biased).Take(count).ToArray();
    }

    /// <summary>
    /// A model-free selection (not in ContextualBias, for when no baseline model exists yet): for
    /// each b, the c with the highest training co-occurrence ratio |b and c| / |b| (at least
    /// <paramref name="cooccurrenceThreshold"/>, and b must also occur without c so that an exclusive
    /// subset exists); then the <paramref name="count"/> pairs with the highest ratio.
    /// </summary>
    /// <param name="trainTargets">Training labels [N, C].</param>
    /// <param name="cooccurrenceThreshold">Minimum ratio; default 0.1.</param>
    /// <param name="count">Pairs to keep; default 20.</param>
    /// <returns>At most <paramref name="count"/> pairs, highest ratio first; <see cref="BiasedPair.Bias"/> is the ratio.</returns>
    /// <exception cref="ArgumentException">Empty input, a threshold outside [0, 1], or count &lt; 1.</exception>
    public static IReadOnlyList<BiasedPair> SelectByCooccurrence(bool[,] trainTargets, double cooccurrenceThreshold = 0.1, int count = 20)
    {
        ArgumentNullException.ThrowIfNull(trainTargets);
        CheckTrain(trainTargets, trainTargets.GetLength(1));
        CheckSelection(cooccurrenceThreshold, count);
        var c = trainTargets.GetLength(1);
        var best = new List<BiasedPair>();
        for (var b = 0; b < c; b++)
        {
            BiasedPair? top = null;
            for (var z = 0; z < c; z++)
            {
                var ratio = z == b ? double.NaN : CooccurrenceRatio(trainTargets, b, z);
                if (double.IsNaN(ratio) || ratio < cooccurrenceThreshold || ratio >= 1.0)
                {
                    continue;
                }

                if (top is null || ratio > top.Bias)
                {
                    top = new BiasedPair(b, z, ratio, ratio);
                }
            }

            if (top is not null)
            {
                best.Add(top);
            }
        }

        return best.OrderByDescending(p => p.Bias).ThenBy(p => p.Biased).Take(count).ToArray();
    }

    /// <summary>
    /// ContextualBias evaluation: images are exclusive (b, not c), co-occur (b and c) or other (no b).
    /// The exclusive score is the metric of b over exclusive + other images, the co-occur score over
    /// co-occur + other images (positives are b's images of that subset, "against the rest").
    /// </summary>
    /// <param name="scores">Test scores [N, C].</param>
    /// <param name="targets">Test labels [N, C].</param>
    /// <param name="pairs">The pairs, e.g. from <see cref="Select"/>.</param>
    /// <param name="metric">AP (default) or top-3 recall (DeepFashion).</param>
    /// <param name="noPositives">AP of a subset without a positive b: 0 (default, scikit-learn and
    /// ContextualBias) or NaN, left out of the mean (the earlier behaviour).</param>
    /// <param name="ties">How tied scores are ranked for AP; default <see cref="TiedScores.Grouped"/> (scikit-learn).
    /// Pass logits or float64 probabilities so that saturation creates no ties.</param>
    /// <returns>Per-pair scores and means.</returns>
    /// <exception cref="ArgumentException">Bad inputs or a pair naming a class outside [0, C).</exception>
    public static BiasedPairEvaluation Evaluate(double[,] scores, bool[,] targets, IReadOnlyList<BiasedPair> pairs, BiasedPairMetric metric = BiasedPairMetric.AveragePrecision, NoPositivePolicy noPositives = NoPositivePolicy.CountAsZero, TiedScores ties = TiedScores.Grouped)
    {
        Guard.Pair(scores, targets);
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("No biased pairs were given; select them first (BiasedPairs.Select).", nameof(pairs));
        }

        var n = scores.GetLength(0);
        var c = scores.GetLength(1);
        if (metric == BiasedPairMetric.TopThreeRecall && c < 3)
        {
            throw new ArgumentException($"Top-3 recall needs at least 3 classes, got {c}.", nameof(metric));
        }

        var results = new List<BiasedPairScore>();
        foreach (var pair in pairs)
        {
            ArgumentNullException.ThrowIfNull(pair, nameof(pairs));
            if (pair.Biased < 0 || pair.Biased >= c || pair.Context < 0 || pair.Context >= c || pair.Biased == pair.Context)
            {
                throw new ArgumentException($"Pair ({pair.Biased}, {pair.Context}) is invalid for {c} classes: both must lie in [0, {c}) and differ.", nameof(pairs));
            }

            var exclusive = new List<int>();
            var cooccur = new List<int>();
            for (var i = 0; i < n; i++)
            {
                if (!targets[i, pair.Biased])
                {
                    // "other" images (no b) are the negatives of both subsets.
                    exclusive.Add(i);
                    cooccur.Add(i);
                }
                else if (targets[i, pair.Context])
                {
                    cooccur.Add(i);
                }
                else
                {
                    exclusive.Add(i);
                }
            }

            results.Add(new BiasedPairScore(pair, Score(scores, targets, exclusive, pair.Biased, metric, noPositives, ties), Score(scores, targets, cooccur, pair.Biased, metric, noPositives, ties)));
        }

        return new BiasedPairEvaluation(results, MeanOrNaN(results.Select(r => r.Exclusive)), MeanOrNaN(results.Select(r => r.CoOccur)));
    }

    private static double Score(double[,] scores, bool[,] targets, List<int> rows, int b, BiasedPairMetric metric, NoPositivePolicy noPositives, TiedScores ties)
    {
        if (rows.Count == 0)
        {
            return double.NaN;
        }

        if (metric == BiasedPairMetric.AveragePrecision)
        {
            var ap = MultiLabelMetrics.AveragePrecision(rows.Select(i => scores[i, b]).ToArray(), rows.Select(i => targets[i, b]).ToArray(), ties);
            return double.IsNaN(ap) && noPositives == NoPositivePolicy.CountAsZero ? 0.0 : ap;
        }

        var c = scores.GetLength(1);
        var sub = new double[rows.Count, c];
        var subTargets = new bool[rows.Count, c];
        for (var r = 0; r < rows.Count; r++)
        {
            for (var j = 0; j < c; j++)
            {
                sub[r, j] = scores[rows[r], j];
                subTargets[r, j] = targets[rows[r], j];
            }
        }

        return MultiLabelMetrics.TopKRecall(sub, subTargets, 3).PerClass[b];
    }

    private static double MeanOrNaN(IEnumerable<double> values)
    {
        var kept = values.Where(v => !double.IsNaN(v)).ToArray();
        return kept.Length == 0 ? double.NaN : kept.Average();
    }

    private static double CooccurrenceRatio(bool[,] targets, int b, int z)
    {
        int nb = 0, nbz = 0;
        for (var i = 0; i < targets.GetLength(0); i++)
        {
            if (targets[i, b])
            {
                nb++;
                nbz += targets[i, z] ? 1 : 0;
            }
        }

        return nb == 0 ? double.NaN : (double)nbz / nb;
    }

    private static void CheckTrain(bool[,] train, int classes)
    {
        if (train.GetLength(0) == 0 || train.GetLength(1) == 0)
        {
            throw new ArgumentException("The training label matrix is empty.", nameof(train));
        }

        if (train.GetLength(1) != classes)
        {
            throw new ArgumentException($"The training labels have {train.GetLength(1)} classes but the held-out data has {classes}.", nameof(train));
        }
    }

    private static void CheckSelection(double threshold, int count)
    {
        if (!(threshold >= 0 && threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The co-occurrence threshold must lie in [0, 1].");
        }

        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "At least one pair must be requested.");
        }
    }
}
