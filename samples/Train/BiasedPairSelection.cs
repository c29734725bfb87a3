// The biased pairs of a multi-label run (every multi-label model reports exclusive and co-occur AP on
// them): read from --pairs, or chosen from the training co-occurrence ContextualBias-style
// (BiasedPairs.SelectByCooccurrence: for each b the c with the largest P(c|b) >= 0.1, then the
// --pair-count largest). Printed so that runs can be compared on the same pairs.
using CausalVision.Data;
using CausalVision.Metrics;

namespace CausalVision.Samples.Train;

public static class BiasedPairSelection
{
    public static IReadOnlyList<BiasedPair>? Resolve(RecipeContext context)
    {
        var a = context.Arguments;
        var train = context.Data.Train;
        if (!train.Info.MultiLabel)
        {
            if (a.Pairs is not null)
            {
                throw new UsageException("--pairs needs a multi-label dataset.");
            }

            return null;
        }

        var classes = train.Info.Classes;
        IReadOnlyList<BiasedPair> pairs;
        if (a.Pairs is not null)
        {
            pairs = BiasedPairFile.Read(a.Pairs, classes);
            Console.WriteLine($"Biased pairs (b,c) from {a.Pairs}:");
        }
        else
        {
            pairs = BiasedPairs.SelectByCooccurrence(DatasetTargets.MultiHot(train), 0.1, a.PairCount);
            Console.WriteLine($"Biased pairs (b,c) chosen from the training co-occurrence (P(c|b) >= 0.1, top {a.PairCount}):");
        }

        foreach (var line in BiasedPairFile.Format(pairs, classes))
        {
            Console.WriteLine("  " + line);
        }

        if (pairs.Count == 0)
        {
            Console.WriteLine("  (none: exclusive / co-occur AP are not reported)");
            return null;
        }

        return pairs;
    }

    /// <summary>The metrics plus "exclusive" and "cooccur" (mean AP of b over the pairs' subsets).</summary>
    public static IReadOnlyDictionary<string, double> WithPairs(IReadOnlyDictionary<string, double> metrics, double[,] scores, bool[,] targets, IReadOnlyList<BiasedPair>? pairs)
    {
        if (pairs is null)
        {
            return metrics;
        }

        var e = BiasedPairs.Evaluate(scores, targets, pairs);
        var result = new Dictionary<string, double>(metrics)
        {
            ["exclusive"] = e.MeanExclusive,
            ["cooccur"] = e.MeanCoOccur,
        };
        return result;
    }
}
