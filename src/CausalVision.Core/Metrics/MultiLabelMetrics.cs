// Multi-label metrics: ML-GCN (Chen et al., CVPR 2019, util.py) definitions of AP, CP/CR/CF1 and
// OP/OR/OF1 (at a threshold and top-3), NUS-WIDE per-image top-k precision/recall, and the
// DeepFashion top-3 recall of princetonvisualai/ContextualBias (recall.py).
namespace CausalVision.Metrics;

/// <summary>
/// Multi-label recognition metrics on score matrices [N images, C classes] and boolean targets.
/// Use <see cref="MetricTensors"/> to convert CPU tensors.
/// </summary>
public static class MultiLabelMetrics
{
    /// <summary>
    /// Non-interpolated average precision of one class: images sorted by score descending,
    /// AP = sum_n (R_n - R_(n-1)) P_n over the distinct score thresholds n (scikit-learn's
    /// <c>average_precision_score</c>, used by ContextualBias). Without ties this is ML-GCN's
    /// (1 / P) sum over positives at rank r of (positives within the first r) / r.
    /// </summary>
    /// <remarks>
    /// With <see cref="TiedScores.Grouped"/> (default) tied scores form one threshold, as in
    /// scikit-learn; <see cref="TiedScores.IndexOrder"/> orders ties by image index (a stable
    /// descending sort), so a positive tied with a later negative ranks first. Pass logits (or
    /// float64 probabilities): float32 sigmoids saturate at exactly 1 for logits above about 16.6
    /// and create ties.
    /// </remarks>
    /// <param name="scores">Scores [N].</param>
    /// <param name="targets">Targets [N].</param>
    /// <param name="ties">How tied scores are ranked; default <see cref="TiedScores.Grouped"/>.</param>
    /// <returns>AP in [0, 1], or NaN when there is no positive (scikit-learn warns and returns 0;
    /// <see cref="MeanAveragePrecision"/> applies that rule through its policy argument).</returns>
    /// <exception cref="ArgumentException">Empty, non-finite or mismatched inputs.</exception>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<bool> targets, TiedScores ties = TiedScores.Grouped)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(targets);
        if (scores.Count == 0)
        {
            throw new ArgumentException("There are no scores; AP needs at least one image.", nameof(scores));
        }

        if (targets.Count != scores.Count)
        {
            throw new ArgumentException($"There are {targets.Count} targets for {scores.Count} scores.", nameof(targets));
        }

        for (var i = 0; i < scores.Count; i++)
        {
            if (!double.IsFinite(scores[i]))
            {
                throw new ArgumentException($"Score {i} is {scores[i]}; scores must be finite.", nameof(scores));
            }
        }

        var order = Enumerable.Range(0, scores.Count).ToArray();
        Array.Sort(order, (a, b) =>
        {
            var c = scores[b].CompareTo(scores[a]);
            return c != 0 ? c : a.CompareTo(b);
        });

        var total = targets.Count(t => t);
        if (total == 0)
        {
            return double.NaN;
        }

        var positives = 0;
        var sum = 0.0;
        if (ties == TiedScores.IndexOrder)
        {
            for (var r = 0; r < order.Length; r++)
            {
                if (targets[order[r]])
                {
                    positives++;
                    sum += (double)positives / (r + 1);
                }
            }

            return sum / positives;
        }

        // scikit-learn: one threshold per distinct score; AP = sum (R_n - R_(n-1)) P_n.
        var previousRecall = 0.0;
        for (var r = 0; r < order.Length; r++)
        {
            positives += targets[order[r]] ? 1 : 0;
            if (r + 1 < order.Length && scores[order[r + 1]] == scores[order[r]])
            {
                continue;
            }

            var recall = (double)positives / total;
            sum += (recall - previousRecall) * positives / (r + 1);
            previousRecall = recall;
        }

        return sum;
    }

    /// <summary>
    /// Mean average precision over classes. Classes with no positive image count as AP 0 by
    /// default, as scikit-learn's <c>average_precision_score</c> (1.2.1: it warns "No positive
    /// class found in y_true" and returns 0) and hence ContextualBias count them;
    /// <see cref="NoPositivePolicy.Exclude"/> leaves them out of the mean (the earlier
    /// behaviour; ML-GCN would give NaN). Either way they are listed in the result.
    /// </summary>
    /// <param name="scores">Scores [N, C]; logits or float64 probabilities (see <see cref="AveragePrecision"/>).</param>
    /// <param name="targets">Targets [N, C].</param>
    /// <param name="noPositives">Policy for classes without positives; default <see cref="NoPositivePolicy.CountAsZero"/>.</param>
    /// <param name="ties">How tied scores are ranked; default <see cref="TiedScores.Grouped"/>.</param>
    /// <returns>mAP, per-class APs (0 or NaN for classes without positives, per the policy) and those classes.</returns>
    /// <exception cref="ArgumentException">Empty, non-finite or mismatched inputs.</exception>
    public static MeanAveragePrecisionResult MeanAveragePrecision(double[,] scores, bool[,] targets, NoPositivePolicy noPositives = NoPositivePolicy.CountAsZero, TiedScores ties = TiedScores.Grouped)
    {
        Guard.Pair(scores, targets);
        var n = scores.GetLength(0);
        var c = scores.GetLength(1);
        var perClass = new double[c];
        var excluded = new List<int>();
        var column = new double[n];
        var truth = new bool[n];
        for (var j = 0; j < c; j++)
        {
            for (var i = 0; i < n; i++)
            {
                column[i] = scores[i, j];
                truth[i] = targets[i, j];
            }

            perClass[j] = AveragePrecision(column, truth, ties);
            if (double.IsNaN(perClass[j]))
            {
                excluded.Add(j);
                if (noPositives == NoPositivePolicy.CountAsZero)
                {
                    perClass[j] = 0.0;
                }
            }
        }

        var kept = perClass.Where(v => !double.IsNaN(v)).ToArray();
        return new MeanAveragePrecisionResult(kept.Length == 0 ? double.NaN : kept.Average(), perClass, excluded);
    }

    /// <summary>
    /// CP, CR, CF1, OP, OR, OF1 with a label predicted when its score &gt;= <paramref name="threshold"/>
    /// (ML-GCN uses logits &gt;= 0, i.e. probabilities &gt;= 0.5). Per class: Nc correct, Np predicted,
    /// Ng ground-truth positives; Np = 0 is set to 1 (ML-GCN).
    /// </summary>
    /// <remarks>
    /// ML-GCN divides by Ng = 0 (NaN); here such classes are left out of CR and listed in the
    /// result, and OR is 0 when no image has any label.
    /// </remarks>
    /// <param name="scores">Scores [N, C].</param>
    /// <param name="targets">Targets [N, C].</param>
    /// <param name="threshold">Decision threshold; default 0.5 (for probabilities; pass 0 for logits).</param>
    /// <returns>The six scores.</returns>
    /// <exception cref="ArgumentException">Empty, non-finite or mismatched inputs, or a non-finite threshold.</exception>
    public static PrecisionRecallScores PrecisionRecall(double[,] scores, bool[,] targets, double threshold = 0.5)
    {
        Guard.Pair(scores, targets);
        Guard.Threshold(threshold);
        var predicted = new bool[scores.GetLength(0), scores.GetLength(1)];
        for (var i = 0; i < scores.GetLength(0); i++)
        {
            for (var j = 0; j < scores.GetLength(1); j++)
            {
                predicted[i, j] = scores[i, j] >= threshold;
            }
        }

        return FromDecisions(predicted, targets);
    }

    /// <summary>
    /// The top-k variant of <see cref="PrecisionRecall"/> (ML-GCN reports k = 3): only each image's
    /// k highest scores may be predicted, and each must still reach the threshold. Ties in the
    /// ranking go to the lower class index.
    /// </summary>
    /// <param name="scores">Scores [N, C].</param>
    /// <param name="targets">Targets [N, C].</param>
    /// <param name="k">Labels per image that may count; default 3.</param>
    /// <param name="threshold">Decision threshold; default 0.5.</param>
    /// <returns>The six scores.</returns>
    /// <exception cref="ArgumentException">Bad inputs, or k outside [1, C].</exception>
    public static PrecisionRecallScores PrecisionRecallTopK(double[,] scores, bool[,] targets, int k = 3, double threshold = 0.5)
    {
        Guard.Pair(scores, targets);
        Guard.Threshold(threshold);
        Guard.K(k, scores.GetLength(1));
        var predicted = new bool[scores.GetLength(0), scores.GetLength(1)];
        for (var i = 0; i < scores.GetLength(0); i++)
        {
            foreach (var j in TopK(scores, i, k))
            {
                predicted[i, j] = scores[i, j] >= threshold;
            }
        }

        return FromDecisions(predicted, targets);
    }

    /// <summary>
    /// Per-image top-k precision and recall (NUS-WIDE protocol): each image's k highest-scoring
    /// labels are its predictions; P@k = mean of hits / k over all images, R@k = mean of
    /// hits / positives over images with at least one positive (the others are listed).
    /// </summary>
    /// <param name="scores">Scores [N, C].</param>
    /// <param name="targets">Targets [N, C].</param>
    /// <param name="k">Labels predicted per image; default 3.</param>
    /// <returns>P@k, R@k and the images left out of R@k.</returns>
    /// <exception cref="ArgumentException">Bad inputs, or k outside [1, C].</exception>
    public static TopKPrecisionRecall PrecisionRecallAtK(double[,] scores, bool[,] targets, int k = 3)
    {
        Guard.Pair(scores, targets);
        Guard.K(k, scores.GetLength(1));
        var n = scores.GetLength(0);
        double precision = 0, recall = 0;
        var excluded = new List<int>();
        for (var i = 0; i < n; i++)
        {
            var hits = TopK(scores, i, k).Count(j => targets[i, j]);
            var positives = 0;
            for (var j = 0; j < scores.GetLength(1); j++)
            {
                positives += targets[i, j] ? 1 : 0;
            }

            precision += (double)hits / k;
            if (positives == 0)
            {
                excluded.Add(i);
            }
            else
            {
                recall += (double)hits / positives;
            }
        }

        var counted = n - excluded.Count;
        return new TopKPrecisionRecall(k, precision / n, counted == 0 ? 0.0 : recall / counted, excluded);
    }

    /// <summary>
    /// Top-k recall per class (DeepFashion, ContextualBias <c>recall3</c>): for class j, the share of
    /// images having j whose k highest scores include j. The mean leaves out classes with no
    /// positive image and lists them (ContextualBias counts them as 0).
    /// </summary>
    /// <param name="scores">Scores [N, C].</param>
    /// <param name="targets">Targets [N, C].</param>
    /// <param name="k">Top labels per image; default 3.</param>
    /// <returns>Mean and per-class recall.</returns>
    /// <exception cref="ArgumentException">Bad inputs, or k outside [1, C].</exception>
    public static TopKRecallResult TopKRecall(double[,] scores, bool[,] targets, int k = 3)
    {
        Guard.Pair(scores, targets);
        Guard.K(k, scores.GetLength(1));
        var n = scores.GetLength(0);
        var c = scores.GetLength(1);
        var hits = new int[c];
        var positives = new int[c];
        for (var i = 0; i < n; i++)
        {
            var top = TopK(scores, i, k);
            for (var j = 0; j < c; j++)
            {
                if (targets[i, j])
                {
                    positives[j]++;
                    if (Array.IndexOf(top, j) >= 0)
                    {
                        hits[j]++;
                    }
                }
            }
        }

        var perClass = new double[c];
        var excluded = new List<int>();
        for (var j = 0; j < c; j++)
        {
            perClass[j] = positives[j] == 0 ? double.NaN : (double)hits[j] / positives[j];
            if (positives[j] == 0)
            {
                excluded.Add(j);
            }
        }

        var kept = perClass.Where(v => !double.IsNaN(v)).ToArray();
        return new TopKRecallResult(k, kept.Length == 0 ? double.NaN : kept.Average(), perClass, excluded);
    }

    private static PrecisionRecallScores FromDecisions(bool[,] predicted, bool[,] targets)
    {
        var n = targets.GetLength(0);
        var c = targets.GetLength(1);
        double sumNc = 0, sumNp = 0, sumNg = 0, cp = 0, cr = 0;
        var excluded = new List<int>();
        for (var j = 0; j < c; j++)
        {
            int nc = 0, np = 0, ng = 0;
            for (var i = 0; i < n; i++)
            {
                np += predicted[i, j] ? 1 : 0;
                ng += targets[i, j] ? 1 : 0;
                nc += predicted[i, j] && targets[i, j] ? 1 : 0;
            }

            // ML-GCN: Np[Np == 0] = 1, also inside the overall sums.
            np = Math.Max(np, 1);
            sumNc += nc;
            sumNp += np;
            sumNg += ng;
            cp += (double)nc / np;
            if (ng == 0)
            {
                excluded.Add(j);
            }
            else
            {
                cr += (double)nc / ng;
            }
        }

        cp /= c;
        cr = excluded.Count == c ? 0.0 : cr / (c - excluded.Count);
        var op = sumNc / sumNp;
        var or = sumNg == 0 ? 0.0 : sumNc / sumNg;
        return new PrecisionRecallScores(cp, cr, F1(cp, cr), op, or, F1(op, or), excluded);
    }

    private static double F1(double p, double r) => p + r == 0 ? 0.0 : 2 * p * r / (p + r);

    /// <summary>
    /// Indices of the k highest scores of row <paramref name="row"/>, ranked by score descending and,
    /// on ties, by class index ascending (a stable descending sort).
    /// </summary>
    private static int[] TopK(double[,] scores, int row, int k)
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
