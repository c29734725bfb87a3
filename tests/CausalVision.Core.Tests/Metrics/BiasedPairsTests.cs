using CausalVision.Metrics;

namespace CausalVision.Tests.Metrics;

public sealed class BiasedPairsTests
{
    // Training co-occurrence: |0| = 3, |0 and 1| = 2; |1| = 3, |1 and 0| = 2, |1 and 2| = 1; |2| = 2, |2 and 1| = 1.
    private static readonly bool[,] Train =
    {
        { true, true, false }, { true, true, false }, { true, false, false }, { false, true, true }, { false, false, true },
    };

    private static readonly bool[,] HeldOut = { { true, true, false }, { true, false, false }, { false, true, true }, { false, true, false } };
    private static readonly double[,] HeldOutScores = { { 0.9, 0.8, 0.1 }, { 0.3, 0.2, 0.1 }, { 0.2, 0.6, 0.5 }, { 0.1, 0.4, 0.3 } };

    [Fact]
    public void Select_HandExample_RanksByBias()
    {
        // bias(0,1) = 0.9 / 0.3 = 3; bias(1,0) = 0.8 / mean(0.6, 0.4) = 1.6 > bias(1,2) = 0.6 / mean(0.8, 0.4) = 1;
        // class 2 has no held-out image without 1, so no pair.
        var pairs = BiasedPairs.Select(Train, HeldOut, HeldOutScores, 0.1, 20);
        Assert.Equal(2, pairs.Count);
        Assert.Equal((0, 1), (pairs[0].Biased, pairs[0].Context));
        Assert.Equal(3.0, pairs[0].Bias, 9);
        Assert.Equal(2.0 / 3.0, pairs[0].CooccurrenceRatio, 9);
        Assert.Equal((1, 0), (pairs[1].Biased, pairs[1].Context));
        Assert.Equal(1.6, pairs[1].Bias, 9);
        Assert.Single(BiasedPairs.Select(Train, HeldOut, HeldOutScores, 0.1, 1));
    }

    [Fact]
    public void Select_ThresholdAboveRatios_NoPairs()
    {
        Assert.Empty(BiasedPairs.Select(Train, HeldOut, HeldOutScores, 0.7, 20));
    }

    [Fact]
    public void SelectByCooccurrence_HandExample_RanksByRatio()
    {
        var pairs = BiasedPairs.SelectByCooccurrence(Train);
        Assert.Equal(new[] { (0, 1), (1, 0), (2, 1) }, pairs.Select(p => (p.Biased, p.Context)));
        Assert.Equal(0.5, pairs[2].Bias, 9);
    }

    [Fact]
    public void Evaluate_ExclusiveAndCoOccur_MatchHandAp()
    {
        // b = 0, c = 1. Exclusive rows: 1 (0.4, +), 4 (0.2, +) and others 2 (0.5), 3 (0.1):
        // ranking 2-, 1+, 4+, 3- -> (1/2 + 2/3) / 2. Co-occur rows: 0 (0.9, +), 2, 3 -> 1.
        double[,] scores = { { 0.9, 0, 0 }, { 0.4, 0, 0 }, { 0.5, 0, 0 }, { 0.1, 0, 0 }, { 0.2, 0, 0 } };
        bool[,] targets = { { true, true, false }, { true, false, false }, { false, false, true }, { false, true, false }, { true, false, true } };
        var result = BiasedPairs.Evaluate(scores, targets, new[] { new BiasedPair(0, 1, 3.0, 0.5) });
        Assert.Equal((0.5 + (2.0 / 3.0)) / 2.0, result.Pairs[0].Exclusive, 9);
        Assert.Equal(1.0, result.Pairs[0].CoOccur, 9);
        Assert.Equal(result.Pairs[0].Exclusive, result.MeanExclusive, 12);
    }

    [Fact]
    public void Evaluate_TopThreeRecall_MatchesHandValue()
    {
        // 4 classes; b = 0, c = 1. Exclusive b-images: row 1 (b in top 3) and row 2 (b ranks 4th) -> 1/2.
        double[,] scores = { { 0.9, 0.8, 0.1, 0.1 }, { 0.5, 0.1, 0.2, 0.3 }, { 0.1, 0.2, 0.3, 0.4 }, { 0.9, 0.1, 0.1, 0.1 } };
        bool[,] targets = { { true, true, false, false }, { true, false, false, false }, { true, false, false, false }, { false, false, true, false } };
        var result = BiasedPairs.Evaluate(scores, targets, new[] { new BiasedPair(0, 1, 1, 1) }, BiasedPairMetric.TopThreeRecall);
        Assert.Equal(0.5, result.Pairs[0].Exclusive, 12);
        Assert.Equal(1.0, result.Pairs[0].CoOccur, 12);
    }

    [Fact]
    public void Evaluate_NoExclusivePositive_ZeroByDefaultNaNWhenExcluded()
    {
        // Every image with class 0 also has class 1: the exclusive subset has no positive.
        double[,] scores = { { 0.9, 0.8 }, { 0.2, 0.7 }, { 0.4, 0.1 } };
        bool[,] targets = { { true, true }, { false, true }, { false, false } };
        var pair = new[] { new BiasedPair(0, 1, 1, 1) };
        Assert.Equal(0.0, BiasedPairs.Evaluate(scores, targets, pair).Pairs[0].Exclusive);
        Assert.True(double.IsNaN(BiasedPairs.Evaluate(scores, targets, pair, noPositives: NoPositivePolicy.Exclude).MeanExclusive));
        Assert.Equal(1.0, BiasedPairs.Evaluate(scores, targets, pair).Pairs[0].CoOccur, 12);
    }

    [Fact]
    public void Evaluate_PairOutOfRange_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => BiasedPairs.Evaluate(HeldOutScores, HeldOut, new[] { new BiasedPair(0, 7, 1, 1) }));
        Assert.Contains("(0, 7)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_TrainClassCountMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => BiasedPairs.Select(new bool[2, 2], HeldOut, HeldOutScores));
    }
}
