using CausalVision.Evaluation;

namespace CausalVision.Tests.Evaluation;

public sealed class ConfidenceIntervalsTests
{
    [Fact]
    public void StudentT_ThreeValues_HandComputed()
    {
        // mean 2, s = 1, t(0.975, df 2) = 4.302652729911275 (tables: 4.303), half width = t / sqrt(3).
        var e = ConfidenceIntervals.StudentT([1.0, 2.0, 3.0]);

        var half = 4.302652729911275 / Math.Sqrt(3);
        Assert.Equal(2.0, e.Mean, 12);
        Assert.Equal(2.0 - half, e.Low, 6);
        Assert.Equal(2.0 + half, e.High, 6);
        Assert.Equal(3, e.Count);
    }

    [Fact]
    public void StudentT_FiveValues_HandComputed()
    {
        // values 0.70 0.72 0.68 0.75 0.65: mean 0.70, s = sqrt(0.0058 / 4) = 0.038079; t(0.975, 4) = 2.776445.
        var e = ConfidenceIntervals.StudentT([0.70, 0.72, 0.68, 0.75, 0.65]);

        var half = 2.7764451051977987 * Math.Sqrt(0.0058 / 4) / Math.Sqrt(5);
        Assert.Equal(0.70, e.Mean, 12);
        Assert.Equal(0.70 - half, e.Low, 6);
        Assert.Equal(0.70 + half, e.High, 6);
        Assert.Equal(0.0473, e.High - 0.70, 4);
    }

    [Fact]
    public void StudentT_OneValue_BoundsAreNaN_ZeroSpread_BoundsEqualMean()
    {
        var one = ConfidenceIntervals.StudentT([0.4]);
        Assert.Equal(0.4, one.Mean);
        Assert.True(double.IsNaN(one.Low) && double.IsNaN(one.High));

        var flat = ConfidenceIntervals.StudentT([0.5, 0.5, 0.5]);
        Assert.Equal(0.5, flat.Low, 12);
        Assert.Equal(0.5, flat.High, 12);
    }

    [Fact]
    public void PairedDifference_SharedSeedNoiseCancels()
    {
        // The rows move together across seeds (seed noise up to 0.2) but differ by 0.10 +- 0.01.
        double[] baseline = [0.50, 0.70, 0.60];
        double[] row = [0.61, 0.80, 0.69];

        var d = ConfidenceIntervals.PairedDifference(row, baseline);

        // diffs 0.11, 0.10, 0.09: mean 0.10, s = 0.01, half = 4.302652729911275 * 0.01 / sqrt(3).
        var half = 4.302652729911275 * 0.01 / Math.Sqrt(3);
        Assert.Equal(0.10, d.Mean, 12);
        Assert.Equal(0.10 - half, d.Low, 6);
        Assert.Equal(0.10 + half, d.High, 6);
        Assert.True(d.Low > 0);
        Assert.True(ConfidenceIntervals.StudentT(row).Low < ConfidenceIntervals.StudentT(baseline).High); // unpaired intervals overlap
        Assert.Throws<ArgumentException>(() => ConfidenceIntervals.PairedDifference([1.0], [1.0, 2.0]));
    }

    [Fact]
    public void PercentileBootstrap_SeededAndWithinRange()
    {
        double[] values = [0.1, 0.2, 0.3, 0.4, 0.5];
        var a = ConfidenceIntervals.PercentileBootstrap(values, resamples: 2000, seed: 3);
        var b = ConfidenceIntervals.PercentileBootstrap(values, resamples: 2000, seed: 3);

        Assert.Equal(a, b);
        Assert.Equal(0.3, a.Mean, 12);
        Assert.InRange(a.Low, 0.1, 0.3);
        Assert.InRange(a.High, 0.3, 0.5);
        var flat = ConfidenceIntervals.PercentileBootstrap([0.2, 0.2, 0.2]);
        Assert.Equal(0.2, flat.Low, 12);
        Assert.Equal(0.2, flat.High, 12);
    }

    [Fact]
    public void StudentT_BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => ConfidenceIntervals.StudentT([]));
        Assert.Throws<ArgumentException>(() => ConfidenceIntervals.StudentT([double.NaN, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceIntervals.StudentT([1.0, 2.0], level: 1.0));
    }
}
