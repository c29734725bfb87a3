// The metric suite of paper B's protocol on one test set (metrics shared with VSCNet: Metrics/).
using CausalVision.Metrics;

namespace CausalVision.CausalLabels;

/// <summary>
/// Multi-label metrics of one model on one test set: mAP, CP/CR/CF1/OP/OR/OF1 at probability 0.5
/// and their top-3 variants (ML-GCN), and exclusive / co-occur AP over biased pairs
/// (ContextualBias). Values in [0, 1]; NaN where undefined (e.g. no biased pairs given).
/// </summary>
/// <param name="Map">Mean AP over the labels with a positive ("All").</param>
/// <param name="Threshold">CP/CR/CF1/OP/OR/OF1 at sigmoid &gt;= 0.5.</param>
/// <param name="Top3">The same, counting only each image's top 3 scores.</param>
/// <param name="Exclusive">Mean AP of b over exclusive (b without c) images vs the rest, over the biased pairs.</param>
/// <param name="CoOccur">Mean AP of b over co-occur (b with c) images vs the rest.</param>
/// <param name="Images">The number of test images.</param>
public sealed record CausalLabelEvaluation(double Map, PrecisionRecallScores Threshold, PrecisionRecallScores Top3, double Exclusive, double CoOccur, int Images)
{
    /// <summary>Computes the suite from scores and targets.</summary>
    /// <param name="probabilities">Probabilities [N, L].</param>
    /// <param name="targets">Targets [N, L].</param>
    /// <param name="pairs">Biased pairs; null or empty leaves Exclusive / CoOccur NaN.</param>
    /// <returns>The evaluation.</returns>
    /// <exception cref="ArgumentException">Mismatched or empty inputs.</exception>
    public static CausalLabelEvaluation Compute(double[,] probabilities, bool[,] targets, IReadOnlyList<BiasedPair>? pairs = null)
    {
        var map = MultiLabelMetrics.MeanAveragePrecision(probabilities, targets).Map;
        var pr = MultiLabelMetrics.PrecisionRecall(probabilities, targets);
        var top3 = MultiLabelMetrics.PrecisionRecallTopK(probabilities, targets, Math.Min(3, probabilities.GetLength(1)));
        double ex = double.NaN, co = double.NaN;
        if (pairs is { Count: > 0 })
        {
            var e = BiasedPairs.Evaluate(probabilities, targets, pairs);
            ex = e.MeanExclusive;
            co = e.MeanCoOccur;
        }

        return new CausalLabelEvaluation(map, pr, top3, ex, co, probabilities.GetLength(0));
    }

    /// <summary>
    /// Computes the metrics from logits: AP ranks the raw logits (no saturation ties), the threshold
    /// metrics use logit 0 (= probability 0.5) and top-3 the logit order (ML-GCN util.py).
    /// </summary>
    /// <param name="logits">Logits [N, L].</param>
    /// <param name="targets">Targets [N, L].</param>
    /// <param name="pairs">Biased pairs; null or empty leaves Exclusive / CoOccur NaN.</param>
    /// <returns>The evaluation.</returns>
    public static CausalLabelEvaluation ComputeFromLogits(double[,] logits, bool[,] targets, IReadOnlyList<BiasedPair>? pairs = null)
    {
        var map = MultiLabelMetrics.MeanAveragePrecision(logits, targets).Map;
        var pr = MultiLabelMetrics.PrecisionRecall(logits, targets, 0.0);
        var top3 = MultiLabelMetrics.PrecisionRecallTopK(logits, targets, Math.Min(3, logits.GetLength(1)), 0.0);
        double ex = double.NaN, co = double.NaN;
        if (pairs is { Count: > 0 })
        {
            var e = BiasedPairs.Evaluate(logits, targets, pairs);
            ex = e.MeanExclusive;
            co = e.MeanCoOccur;
        }

        return new CausalLabelEvaluation(map, pr, top3, ex, co, logits.GetLength(0));
    }

    /// <summary>Flattens the evaluation to name/value pairs (for <c>TrainingProgress.Metrics</c> and checkpoints).</summary>
    /// <returns>mAP, CP, CR, CF1, OP, OR, OF1, their top-3 variants (suffix <c>@3</c>), exclusive, co-occur.</returns>
    public IReadOnlyDictionary<string, double> ToDictionary() => new Dictionary<string, double>
    {
        ["mAP"] = Map,
        ["CP"] = Threshold.CP,
        ["CR"] = Threshold.CR,
        ["CF1"] = Threshold.CF1,
        ["OP"] = Threshold.OP,
        ["OR"] = Threshold.OR,
        ["OF1"] = Threshold.OF1,
        ["CP@3"] = Top3.CP,
        ["CR@3"] = Top3.CR,
        ["CF1@3"] = Top3.CF1,
        ["OP@3"] = Top3.OP,
        ["OR@3"] = Top3.OR,
        ["OF1@3"] = Top3.OF1,
        ["exclusive"] = Exclusive,
        ["cooccur"] = CoOccur,
    };
}
