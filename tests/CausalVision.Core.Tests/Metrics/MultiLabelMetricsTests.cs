using CausalVision.Metrics;

namespace CausalVision.Tests.Metrics;

public sealed class MultiLabelMetricsTests
{
    private const double Tol = 1e-9;

    // 3 images x 3 classes; class 2 has no positive; the 0.5 score of image 1 sits on the threshold.
    private static readonly double[,] Scores = { { 0.9, 0.6, 0.1 }, { 0.4, 0.7, 0.5 }, { 0.2, 0.3, 0.8 } };
    private static readonly bool[,] Targets = { { true, false, false }, { true, true, false }, { false, false, false } };

    [Fact]
    public void AveragePrecision_TwoPositives_MatchesHandValue()
    {
        // Positives at ranks 1 and 3: (1/1 + 2/3) / 2.
        var ap = MultiLabelMetrics.AveragePrecision(new[] { 0.9, 0.8, 0.7, 0.6 }, new[] { true, false, true, false });
        Assert.Equal((1.0 + (2.0 / 3.0)) / 2.0, ap, Tol);
    }

    [Theory]
    [InlineData(false, true, 1.0 / 3.0)] // tie 0.5/0.5: image 0 (negative) ranks before image 1 (positive)
    [InlineData(true, false, 1.0 / 2.0)] // the positive has the lower index, so it ranks first among the tie
    public void AveragePrecision_IndexOrder_TiesBrokenByImageIndex(bool first, bool second, double expected)
    {
        var ap = MultiLabelMetrics.AveragePrecision(new[] { 0.5, 0.5, 0.9 }, new[] { first, second, false }, TiedScores.IndexOrder);
        Assert.Equal(expected, ap, Tol);
    }

    [Fact]
    public void AveragePrecision_IndexOrder_AllZeroScores_UsesInputOrder()
    {
        // Ranks 2 and 3 are positive: (1/2 + 2/3) / 2.
        var ap = MultiLabelMetrics.AveragePrecision(new[] { 0.0, 0.0, 0.0, 0.0 }, new[] { false, true, true, false }, TiedScores.IndexOrder);
        Assert.Equal((0.5 + (2.0 / 3.0)) / 2.0, ap, Tol);
    }

    // The expected values below were computed once with scikit-learn 1.2.1
    // (sklearn.metrics.average_precision_score) and written in.
    [Theory]
    [InlineData(new[] { 0.5, 0.5, 0.9 }, new[] { false, true, false }, 0.3333333333333333)]
    [InlineData(new[] { 0.5, 0.5, 0.9 }, new[] { true, false, false }, 0.3333333333333333)]
    [InlineData(new[] { 0.0, 0.0, 0.0, 0.0 }, new[] { false, true, true, false }, 0.5)]
    [InlineData(new[] { 1.0, 1.0, 1.0, 0.5, 0.5, 0.2 }, new[] { true, false, true, false, true, false }, 0.6444444444444444)]
    [InlineData(new[] { 0.9, 0.8, 0.8, 0.8, 0.3, 0.3, 0.1, 0.05 }, new[] { false, true, true, false, false, true, false, true }, 0.5)]
    [InlineData(new[] { 0.95, 0.9, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.1 }, new[] { true, false, false, true, false, true, true, false, false, false }, 0.6428571428571428)]
    public void AveragePrecision_Default_MatchesScikitLearn(double[] scores, bool[] targets, double sklearn)
    {
        Assert.Equal(sklearn, MultiLabelMetrics.AveragePrecision(scores, targets), Tol);
    }

    [Fact]
    public void AveragePrecision_SaturatedFloat32Sigmoids_TieWhereLogitsDoNot()
    {
        // Logits 20, 18, 17 all give float32 sigmoid 1.0; scikit-learn 1.2.1 gives 0.6111111111111112
        // on those probabilities and 0.5555555555555556 on the logits.
        var logits = new[] { 20.0, 18.0, 17.0, 3.0, -1.0, 2.0 };
        var targets = new[] { false, true, true, false, true, false };
        var p32 = new[] { 1.0, 1.0, 1.0, 0.95257413, 0.26894143, 0.880797 }; // torch.sigmoid in float32
        Assert.Equal(0.6111111111111112, MultiLabelMetrics.AveragePrecision(p32, targets), Tol);
        Assert.Equal(0.5555555555555556, MultiLabelMetrics.AveragePrecision(logits, targets), Tol);
    }

    [Fact]
    public void AveragePrecision_NoPositive_IsNaN()
    {
        Assert.True(double.IsNaN(MultiLabelMetrics.AveragePrecision(new[] { 0.3, 0.1 }, new[] { false, false })));
    }

    [Fact]
    public void MeanAveragePrecision_Default_ClassWithoutPositivesCountsZeroLikeScikitLearn()
    {
        // scikit-learn 1.2.1: per-class [1.0, 0.3333333333333333, -0.0], mean 0.4444444444444444.
        double[,] scores = { { 0.9, 0.1, 0.3 }, { 0.2, 0.8, 0.4 }, { 0.6, 0.7, 0.5 } };
        bool[,] targets = { { true, true, false }, { false, false, false }, { false, false, false } };
        var result = MultiLabelMetrics.MeanAveragePrecision(scores, targets);
        Assert.Equal(0.0, result.PerClass[2]);
        Assert.Equal(new[] { 2 }, result.ClassesWithoutPositives);
        Assert.Equal(0.4444444444444444, result.Map, Tol);
    }

    [Fact]
    public void MeanAveragePrecision_FourByThree_MatchesScikitLearnMacro()
    {
        // sklearn average_precision_score(Y, S, average='macro') = 0.47222222222222215 (1.2.1).
        double[,] scores = { { 0.9, 0.2, 0.1 }, { 0.4, 0.8, 0.3 }, { 0.4, 0.3, 0.2 }, { 0.1, 0.8, 0.6 } };
        bool[,] targets = { { true, false, false }, { false, true, false }, { true, true, false }, { false, false, false } };
        var result = MultiLabelMetrics.MeanAveragePrecision(scores, targets);
        Assert.Equal(0.8333333333333333, result.PerClass[0], Tol);
        Assert.Equal(0.5833333333333333, result.PerClass[1], Tol);
        Assert.Equal(0.47222222222222215, result.Map, Tol);
    }

    [Fact]
    public void MeanAveragePrecision_Exclude_ClassWithoutPositivesExcludedAndReported()
    {
        double[,] scores = { { 0.9, 0.1, 0.3 }, { 0.2, 0.8, 0.4 }, { 0.6, 0.7, 0.5 } };
        bool[,] targets = { { true, true, false }, { false, false, false }, { false, false, false } };
        var result = MultiLabelMetrics.MeanAveragePrecision(scores, targets, NoPositivePolicy.Exclude);
        Assert.Equal(1.0, result.PerClass[0], Tol);
        Assert.Equal(1.0 / 3.0, result.PerClass[1], Tol); // the positive (0.1) ranks last of 3
        Assert.True(double.IsNaN(result.PerClass[2]));
        Assert.Equal(new[] { 2 }, result.ClassesWithoutPositives);
        Assert.Equal((1.0 + (1.0 / 3.0)) / 2.0, result.Map, Tol);
    }

    [Fact]
    public void MeanAveragePrecision_Exclude_NoClassHasPositives_IsNaN()
    {
        var result = MultiLabelMetrics.MeanAveragePrecision(new double[,] { { 0.1, 0.2 } }, new bool[,] { { false, false } }, NoPositivePolicy.Exclude);
        Assert.True(double.IsNaN(result.Map));
        Assert.Equal(new[] { 0, 1 }, result.ClassesWithoutPositives);
    }

    [Fact]
    public void PrecisionRecall_Threshold_MatchesHandValues()
    {
        // Predicted (>= 0.5): image 0 {0, 1}, image 1 {1, 2}, image 2 {2}.
        // Class 0: Nc 1, Np 1, Ng 2; class 1: Nc 1, Np 2, Ng 1; class 2: Nc 0, Np 2, Ng 0.
        var s = MultiLabelMetrics.PrecisionRecall(Scores, Targets, 0.5);
        Assert.Equal((1.0 + 0.5 + 0.0) / 3.0, s.CP, Tol);
        Assert.Equal((0.5 + 1.0) / 2.0, s.CR, Tol); // class 2 has no positive: left out
        Assert.Equal(2 * 0.5 * 0.75 / 1.25, s.CF1, Tol);
        Assert.Equal(2.0 / 5.0, s.OP, Tol);
        Assert.Equal(2.0 / 3.0, s.OR, Tol);
        Assert.Equal(2 * 0.4 * (2.0 / 3.0) / (0.4 + (2.0 / 3.0)), s.OF1, Tol);
        Assert.Equal(new[] { 2 }, s.ClassesWithoutPositives);
    }

    [Fact]
    public void PrecisionRecall_AllZeroPredictions_AllZeroWithNpSetToOne()
    {
        var s = MultiLabelMetrics.PrecisionRecall(new double[2, 2], new bool[,] { { true, false }, { false, true } }, 0.5);
        Assert.Equal(0.0, s.CP);
        Assert.Equal(0.0, s.CR);
        Assert.Equal(0.0, s.CF1);
        Assert.Equal(0.0, s.OP);
        Assert.Equal(0.0, s.OR);
        Assert.Equal(0.0, s.OF1);
    }

    [Fact]
    public void PrecisionRecall_LogitThresholdZero_CountsScoreEqualToThreshold()
    {
        var s = MultiLabelMetrics.PrecisionRecall(new double[,] { { 0.0, -0.1 } }, new bool[,] { { true, false } }, 0.0);
        Assert.Equal(0.5, s.OP, Tol); // Nc 1 / (Np 1 + class 1's Np 0 counted as 1)
        Assert.Equal(1.0, s.OR, Tol);
    }

    [Fact]
    public void PrecisionRecallTopK_TopOne_MatchesHandValues()
    {
        // Top-1: image 0 -> 0 (0.9), image 1 -> 1 (0.7), image 2 -> 2 (0.8), all above 0.5.
        var s = MultiLabelMetrics.PrecisionRecallTopK(Scores, Targets, k: 1, threshold: 0.5);
        Assert.Equal(2.0 / 3.0, s.CP, Tol);
        Assert.Equal(0.75, s.CR, Tol);
        Assert.Equal(2 * (2.0 / 3.0) * 0.75 / ((2.0 / 3.0) + 0.75), s.CF1, Tol);
        Assert.Equal(2.0 / 3.0, s.OP, Tol);
        Assert.Equal(2.0 / 3.0, s.OR, Tol);
    }

    [Fact]
    public void PrecisionRecallTopK_TopScoreBelowThreshold_NotPredicted()
    {
        var s = MultiLabelMetrics.PrecisionRecallTopK(new double[,] { { 0.4, 0.1, 0.0 } }, new bool[,] { { true, false, false } }, k: 1, threshold: 0.5);
        Assert.Equal(0.0, s.OP);
        Assert.Equal(0.0, s.OR);
    }

    [Fact]
    public void PrecisionRecallTopK_TieAtK_LowerClassIndexWins()
    {
        // 0.6 / 0.6 tie for the single slot: class 0 is taken. Np: 1, 0 -> 1, 0 -> 1 (ML-GCN).
        var s = MultiLabelMetrics.PrecisionRecallTopK(new double[,] { { 0.6, 0.6, 0.1 } }, new bool[,] { { true, false, false } }, k: 1, threshold: 0.5);
        Assert.Equal(1.0 / 3.0, s.OP, Tol);
        Assert.Equal(1.0, s.OR, Tol);
        var miss = MultiLabelMetrics.PrecisionRecallTopK(new double[,] { { 0.6, 0.6, 0.1 } }, new bool[,] { { false, true, false } }, k: 1, threshold: 0.5);
        Assert.Equal(0.0, miss.OR);
    }

    [Fact]
    public void PrecisionRecallAtK_PerImage_MatchesHandValues()
    {
        // Top-2: image 0 {0, 1} 1 hit of 1; image 1 {1, 2} 1 hit of 2; image 2 {2, 1} 0 hits, no positive.
        var r = MultiLabelMetrics.PrecisionRecallAtK(Scores, Targets, k: 2);
        Assert.Equal((0.5 + 0.5 + 0.0) / 3.0, r.Precision, Tol);
        Assert.Equal((1.0 + 0.5) / 2.0, r.Recall, Tol);
        Assert.Equal(new[] { 2 }, r.ImagesWithoutPositives);
    }

    [Fact]
    public void TopKRecall_PerClass_MatchesHandValues()
    {
        // Top-1: image 0 -> 0, image 1 -> 1, image 2 -> 2. Class 0: 1 of 2; class 1: 1 of 1; class 2 none.
        var r = MultiLabelMetrics.TopKRecall(Scores, Targets, k: 1);
        Assert.Equal(0.5, r.PerClass[0], Tol);
        Assert.Equal(1.0, r.PerClass[1], Tol);
        Assert.True(double.IsNaN(r.PerClass[2]));
        Assert.Equal(0.75, r.Mean, Tol);
        Assert.Equal(new[] { 2 }, r.ClassesWithoutPositives);
    }

    [Fact]
    public void TopKRecall_AllZeroScores_TakesLowestIndices()
    {
        var r = MultiLabelMetrics.TopKRecall(new double[2, 4], new bool[,] { { true, false, false, true }, { false, true, false, false } }, k: 3);
        Assert.Equal(new[] { 1.0, 1.0, double.NaN, 0.0 }, r.PerClass);
    }

    [Fact]
    public void Metrics_NaNScore_ThrowsNamingPosition()
    {
        var ex = Assert.Throws<ArgumentException>(() => MultiLabelMetrics.MeanAveragePrecision(new double[,] { { 0.1, double.NaN } }, new bool[1, 2]));
        Assert.Contains("[0, 1]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_ShapeMismatch_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => MultiLabelMetrics.PrecisionRecall(new double[2, 3], new bool[2, 2]));
        Assert.Contains("Targets are 2 x 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_EmptyMatrix_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => MultiLabelMetrics.MeanAveragePrecision(new double[0, 3], new bool[0, 3]));
        Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void PrecisionRecallAtK_KOutOfRange_Throws(int k)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MultiLabelMetrics.PrecisionRecallAtK(Scores, Targets, k));
    }

    [Fact]
    public void MetricTensors_RoundTrip_MatchesArrays()
    {
        using var t = tensor(new float[] { 0.5f, 0f, 1f, 2f }, new long[] { 2, 2 });
        var scores = MetricTensors.ToScores(t);
        var targets = MetricTensors.ToTargets(t);
        Assert.Equal(2.0, scores[1, 1]);
        Assert.False(targets[0, 1]);
        Assert.True(targets[1, 0]);
        using var labels = tensor(new long[] { 3, 1 });
        Assert.Equal(new[] { 3, 1 }, MetricTensors.ToLabels(labels));
        Assert.Throws<ArgumentException>(() => MetricTensors.ToScores(labels));
    }
}
