using CausalVision.Synthetic;

namespace CausalVision.Tests.Synthetic;

public sealed class MultiLabelBenchmarkTests
{
    private static readonly Lazy<MultiLabelBenchmark> Direct = new(() => MultiLabelBenchmark.Generate());
    private static readonly Lazy<MultiLabelBenchmark> CommonCause = new(() => MultiLabelBenchmark.Generate(new MultiLabelBenchmarkOptions { Bias = MultiLabelBias.CommonCause }));

    [Fact]
    public void Ctor_Defaults()
    {
        var o = new MultiLabelBenchmarkOptions();
        Assert.Equal(64, o.ImageSize);
        Assert.Equal(8, o.RadiusMin);
        Assert.Equal(11, o.RadiusMax);
        Assert.Equal(8, o.PairCount);
        Assert.Equal(0.15, o.BiasedProbability);
        Assert.Equal(0.8, o.TrainCooccurrence);
        Assert.Equal(0.5, o.TestCooccurrence);
        Assert.Equal(0.05, o.ContextAloneProbability);
        Assert.Equal(0.8, o.ContextHigh);
        Assert.Equal(0.03, o.ContextLow);
        Assert.Equal(0.1, o.FreeProbability);
        Assert.Equal(6, o.MaxObjectsPerImage);
        Assert.Equal((2400, 600, 2000), (o.TrainSize, o.ValidationSize, o.TestSize));
        Assert.Equal(MultiLabelBias.Direct, o.Bias);
        Assert.False(o.UnbiasedTraining);
    }

    [Fact]
    public void Generate_RadiusAboveHalfImage_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => MultiLabelBenchmark.Generate(new MultiLabelBenchmarkOptions { ImageSize = 32, RadiusMax = 16 }));
        Assert.Contains("below half the image side", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MultiLabelBias.Direct)]
    [InlineData(MultiLabelBias.CommonCause)]
    public void Splits_EveryPair_HasEnoughExclusiveExamples(MultiLabelBias bias)
    {
        var bench = bias == MultiLabelBias.Direct ? Direct.Value : CommonCause.Value;
        Assert.True(bench.Pairs.Count >= 8);
        var train = bench.Train.Targets();
        var test = bench.Test.Targets();
        foreach (var p in bench.Pairs)
        {
            var trainExclusive = Count(train, i => train[i, p.Biased] && !train[i, p.Context]);
            var testExclusive = Count(test, i => test[i, p.Biased] && !test[i, p.Context]);
            Assert.True(trainExclusive >= 50, $"{bias}: pair ({p.Biased}, {p.Context}) has {trainExclusive} exclusive training images.");
            Assert.True(testExclusive >= 100, $"{bias}: pair ({p.Biased}, {p.Context}) has {testExclusive} exclusive test positives.");
        }
    }

    [Fact]
    public void Direct_CooccurrenceIsHighInTrainingAndLowerAtTest()
    {
        var bench = Direct.Value;
        var train = bench.Train.Targets();
        var test = bench.Test.Targets();
        foreach (var p in bench.Pairs)
        {
            Assert.InRange(Conditional(train, p.Context, p.Biased), 0.72, 0.88);
            Assert.InRange(Conditional(test, p.Context, p.Biased), 0.4, 0.6);
        }
    }

    [Fact]
    public void CommonCause_ContextRaisesBothInTrainingAndIsIndependentAtTest()
    {
        var bench = CommonCause.Value;
        var n = bench.Train.Count;
        for (var k = 0; k < bench.Pairs.Count; k++)
        {
            var p = bench.Pairs[k];
            var trainInfo = Enumerable.Range(0, n).Select(bench.Train.Describe).ToArray();
            var tied = trainInfo.Where(s => s.ContextId == k).ToArray();
            var other = trainInfo.Where(s => s.ContextId != k).ToArray();
            Assert.True(Rate(tied, p.Biased) > 0.65 && Rate(tied, p.Context) > 0.65, $"pair {k}: P(b|h=k) {Rate(tied, p.Biased):F2}, P(c|h=k) {Rate(tied, p.Context):F2}.");
            Assert.True(Rate(other, p.Biased) < 0.08 && Rate(other, p.Context) < 0.08, $"pair {k}: P(b|h!=k) {Rate(other, p.Biased):F2}.");

            var testInfo = Enumerable.Range(0, bench.Test.Count).Select(bench.Test.Describe).ToArray();
            var testTied = testInfo.Where(s => s.ContextId == k).ToArray();
            var testOther = testInfo.Where(s => s.ContextId != k).ToArray();
            Assert.True(Math.Abs(Rate(testTied, p.Biased) - Rate(testOther, p.Biased)) < 0.08, $"pair {k}: the test context still predicts b.");
        }

        var train = bench.Train.Targets();
        var test = bench.Test.Targets();
        foreach (var p in bench.Pairs)
        {
            Assert.True(Conditional(train, p.Context, p.Biased) > 0.45, $"training P(c|b) {Conditional(train, p.Context, p.Biased):F2}");
            var marginal = Count(test, i => test[i, p.Context]) / (double)test.GetLength(0);
            Assert.True(Math.Abs(Conditional(test, p.Context, p.Biased) - marginal) < 0.08, "b and c are not independent at test.");
        }
    }

    [Fact]
    public void Get_RendersLargeObjectsAt64Pixels_Deterministically()
    {
        var bench = Direct.Value;
        using var a = bench.Test.Get(3);
        using var b = MultiLabelBenchmark.Generate().Test.Get(3);
        TensorAssert.Shape(a.Image, 3, 64, 64);
        TensorAssert.Close(a.Image, b.Image, atol: 0);
        Assert.Equal(a.Labels, b.Labels);
        Assert.InRange(a.Image.min().item<float>(), 0f, 1f);
        Assert.InRange(a.Image.max().item<float>(), 0f, 1f);
        var radii = Enumerable.Range(0, 200).SelectMany(i => bench.Train.Describe(i).Objects).Select(o => o.Radius).ToArray();
        Assert.True(radii.Min() >= 8f && radii.Max() <= 11f);
        Assert.True(Enumerable.Range(0, 200).All(i => bench.Train.Describe(i).Objects.Count <= 6));
    }

    [Fact]
    public void UnbiasedTraining_TrainFollowsTestDistribution()
    {
        var bench = MultiLabelBenchmark.Generate(new MultiLabelBenchmarkOptions { UnbiasedTraining = true, TrainSize = 2400 });
        var train = bench.Train.Targets();
        foreach (var p in bench.Pairs)
        {
            Assert.InRange(Conditional(train, p.Context, p.Biased), 0.38, 0.62);
        }
    }

    private static int Count(bool[,] t, Func<int, bool> f) => Enumerable.Range(0, t.GetLength(0)).Count(f);

    private static double Conditional(bool[,] t, int c, int b) =>
        Count(t, i => t[i, b] && t[i, c]) / (double)Count(t, i => t[i, b]);

    private static double Rate(SyntheticSampleInfo[] samples, int label) =>
        samples.Count(s => s.Labels.Contains(label)) / (double)samples.Length;
}
