using CausalVision.Metrics;

namespace CausalVision.Tests.Metrics;

public sealed class SingleLabelMetricsTests
{
    // Image 1 ties classes 0 and 1; class 0 ranks first (lower index).
    private static readonly double[,] Scores = { { 0.1, 0.5, 0.4 }, { 0.3, 0.3, 0.2 }, { 0.2, 0.1, 0.7 }, { 0.9, 0.05, 0.05 } };
    private static readonly int[] Labels = { 2, 1, 1, 0 };

    [Theory]
    [InlineData(1, 0.25)] // only image 3
    [InlineData(2, 0.75)] // images 0, 1 (tie inside top 2), 3; image 2's label 1 ranks 3rd
    [InlineData(3, 1.0)]
    public void TopKAccuracy_HandExample_MatchesHandValues(int k, double expected)
    {
        Assert.Equal(expected, SingleLabelMetrics.TopKAccuracy(Scores, Labels, k), 12);
    }

    [Fact]
    public void TopKAccuracy_AllZeroScores_OnlyClassZeroHitsAtOne()
    {
        Assert.Equal(0.5, SingleLabelMetrics.TopKAccuracy(new double[2, 3], new[] { 0, 2 }, 1), 12);
    }

    [Fact]
    public void TopKAccuracy_LabelOutOfRange_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => SingleLabelMetrics.TopKAccuracy(Scores, new[] { 0, 1, 5, 0 }, 1));
        Assert.Contains("Label 5 of image 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TopKAccuracy_LabelCountMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => SingleLabelMetrics.TopKAccuracy(Scores, new[] { 0 }, 1));
    }
}
