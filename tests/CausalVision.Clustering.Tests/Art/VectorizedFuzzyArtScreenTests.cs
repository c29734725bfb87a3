using CausalVision.Clustering.Art;

namespace CausalVision.Clustering.Tests.Art;

// Adversarial checks of VectorizedFuzzyArt's float32 screen (unlabelled learning): data and settings that put
// decisions exactly on the vigilance and choice boundaries, compared bit for bit with NaiveFuzzyArt and with
// the class's own float64 search (UseFloat32Screen = false).
public sealed class VectorizedFuzzyArtScreenTests
{
    // Quantised rows (values k / 8, so many equal intersections and exact ties in choice), each row repeated
    // 1 to 3 times and the whole shuffled; includes all-zero rows when d is small.
    private static double[][] QuantisedDuplicatedRows(int distinct, int d, int seed)
    {
        var rng = new Random(seed);
        var rows = new List<double[]>();
        for (var r = 0; r < distinct; r++)
        {
            var row = Enumerable.Range(0, d).Select(_ => rng.Next(9) / 8.0).ToArray();
            var copies = 1 + rng.Next(3);
            for (var k = 0; k < copies; k++)
            {
                rows.Add((double[])row.Clone());
            }
        }

        return rows.OrderBy(_ => rng.Next()).ToArray();
    }

    private static double[][] ClusteredRows(int n, int d, int centres, double noise, int seed)
    {
        var rng = new Random(seed);
        var c = Enumerable.Range(0, centres).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        return Enumerable.Range(0, n).Select(_ =>
        {
            var k = rng.Next(centres);
            return c[k].Select(v => Math.Clamp(v + (noise * ((2 * rng.NextDouble()) - 1)), 0, 1)).ToArray();
        }).ToArray();
    }

    private static void AssertBitIdentical(NaiveFuzzyArt naive, long[] expected, VectorizedFuzzyArt fast, long[] actual)
    {
        Assert.Equal(expected, actual);
        Assert.Equal(naive.ClusterCount, fast.ClusterCount);
        Assert.Equal(naive.Counts, fast.Counts);
        Assert.Equal(naive.ClusterLabels, fast.ClusterLabels);
        Assert.Equal(naive.Vigilances.Select(BitConverter.DoubleToInt64Bits), fast.Vigilances.Select(BitConverter.DoubleToInt64Bits));
        var wn = naive.Weights;
        var wf = fast.Weights;
        for (var j = 0; j < wn.Length; j++)
        {
            Assert.Equal(wn[j].Select(BitConverter.DoubleToInt64Bits), wf[j].Select(BitConverter.DoubleToInt64Bits));
        }
    }

    private static VectorizedFuzzyArt FitBoth(ArtOptions o, double[][] rows)
    {
        var naive = new NaiveFuzzyArt(o);
        var expected = naive.Fit(rows);
        var fast = new VectorizedFuzzyArt(o);
        Assert.True(fast.UseFloat32Screen);
        var actual = fast.Fit(rows);
        AssertBitIdentical(naive, expected, fast, actual);

        var exact = new VectorizedFuzzyArt(o) { UseFloat32Screen = false };
        Assert.Equal(actual, exact.Fit(rows));
        Assert.Equal(0, exact.ScreenedPairs);
        Assert.Equal(fast.Vigilances.Select(BitConverter.DoubleToInt64Bits), exact.Vigilances.Select(BitConverter.DoubleToInt64Bits));
        return fast;
    }

    public static TheoryData<int, double, bool, double> TieCases()
    {
        var data = new TheoryData<int, double, bool, double>();
        foreach (var d in new[] { 1, 2, 7, 33, 300 })
        {
            foreach (var rho in new[] { 0.0, 0.5, 0.85, 0.99 })
            {
                data.Add(d, rho, true, 0.02);
                data.Add(d, rho, false, d == 7 ? 0 : 5e-6);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TieCases))]
    public void Fit_QuantisedDuplicatedRows_BitIdenticalToNaive(int d, double rho, bool complement, double sigma)
    {
        var o = new ArtOptions { Vigilance = rho, ComplementCode = complement, Sigma = sigma, Epochs = 2 };
        var rows = QuantisedDuplicatedRows(d >= 300 ? 50 : 120, d, 100 + d);
        var fast = FitBoth(o, rows);
        Assert.True(fast.ScreenedPairs > 0, "The screen should have run.");
    }

    [Theory]
    [InlineData(0.5, true)]
    [InlineData(0.7, false)]
    [InlineData(0.85, true)]
    [InlineData(0.99, false)]
    public void Fit_ClusteredData_BitIdenticalAndScreenScreens(double rho, bool complement)
    {
        var o = new ArtOptions { Vigilance = rho, ComplementCode = complement, Epochs = 2 };
        var rows = ClusteredRows(1200, 24, 15, 0.2, 5);
        var fast = FitBoth(o, rows);
        Assert.True(fast.ScreenedPairs > 1000, $"Only {fast.ScreenedPairs} screened pairs.");
        // The winner is always rechecked (one per presentation); beyond that only near-boundary clusters are.
        Assert.True(fast.ClusterCount > 20, $"Expected many clusters, got {fast.ClusterCount}.");
        Assert.True(fast.ExactRechecks * 10 < fast.ScreenedPairs, $"{fast.ExactRechecks} exact rechecks for {fast.ScreenedPairs} screened pairs.");
    }

    [Fact]
    public void Fit_ManyClustersAcrossPanels_BitIdenticalToNaive()
    {
        // Uniform rows at high vigilance: hundreds of clusters, so several float64 (64-wide) and float32
        // (128-wide with AVX-512) panels, with partial last panels and the scalar tail of the bound pass.
        var o = new ArtOptions { Vigilance = 0.93, Sigma = 0.001, Epochs = 2 };
        var rng = new Random(3);
        var rows = Enumerable.Range(0, 900).Select(_ => Enumerable.Range(0, 5).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        var fast = FitBoth(o, rows);
        Assert.True(fast.ClusterCount > 200, $"Expected more than 200 clusters, got {fast.ClusterCount}.");
    }

    [Theory]
    [InlineData(-1, 1)] // vigilance one ulp below the exact match: the second row joins the first cluster
    [InlineData(0, 1)]  // vigilance equal to the exact match: still joins (match >= rho)
    [InlineData(1, 2)]  // one ulp above: a new cluster
    public void Fit_VigilanceOnExactMatch_DecidedExactly(int ulps, int expectedClusters)
    {
        var rng = new Random(9);
        for (var trial = 0; trial < 20; trial++)
        {
            var d = 1 + rng.Next(60);
            var a = Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray();
            var b = Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray();

            // The reference's match of b against the cluster made by a, in its own arithmetic.
            var xa = a.Concat(a.Select(v => 1.0 - v)).ToArray();
            var xb = b.Concat(b.Select(v => 1.0 - v)).ToArray();
            var inter = 0.0;
            for (var i = 0; i < xa.Length; i++)
            {
                inter += Math.Min(xb[i], xa[i]);
            }

            var m = inter / xb.Sum();
            var rho = ulps switch { < 0 => Math.BitDecrement(m), 0 => m, _ => Math.BitIncrement(m) };
            var o = new ArtOptions { Vigilance = rho, Sigma = 0 };
            var rows = new[] { a, b, a, b };
            var fast = FitBoth(o, rows);
            Assert.Equal(expectedClusters, fast.ClusterCount);
            Assert.True(fast.ExactRechecks > 0, "A match on the vigilance must be rechecked exactly.");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Fit_EitherFloat32Kernel_BitIdenticalToNaive(bool vector512)
    {
        // The Vector<float> kernel is the one non-AVX-512 machines run; here it runs on the same layout.
        var o = new ArtOptions { Vigilance = 0.95, Sigma = 0.001, Epochs = 2 };
        var rng = new Random(17);
        var rows = Enumerable.Range(0, 1000).Select(_ => Enumerable.Range(0, 5).Select(_ => rng.Next(4) == 0 ? rng.Next(9) / 8.0 : rng.NextDouble()).ToArray()).ToArray();
        var naive = new NaiveFuzzyArt(o);
        var expected = naive.Fit(rows);
        var fast = new VectorizedFuzzyArt(o) { UseVector512Screen = vector512 };
        AssertBitIdentical(naive, expected, fast, fast.Fit(rows));
        Assert.True(fast.ClusterCount > 150, $"Expected several float32 panels, got {fast.ClusterCount} clusters.");
        Assert.True(fast.ScreenedPairs > 0);
    }

    [Theory]
    [InlineData(1e-150)]
    [InlineData(1e-250)] // outside the screen's range: the float64 search runs
    [InlineData(1e250)]
    [InlineData(1.0)]
    public void Fit_ExtremeAlpha_BitIdenticalToNaive(double alpha)
    {
        var o = new ArtOptions { Vigilance = 0.8, Alpha = alpha, Sigma = 0.01, Epochs = 2 };
        FitBoth(o, QuantisedDuplicatedRows(80, 6, 4));
        FitBoth(o, ClusteredRows(300, 6, 5, 0.2, 4));
    }

    [Fact]
    public void Fit_LabelledAndPartialFit_ScreenOnlyForUnlabelledRows()
    {
        var o = new ArtOptions { Vigilance = 0.8, Sigma = 0.01 };
        var rows = ClusteredRows(300, 10, 6, 0.2, 8);
        var labels = rows.Select((_, i) => (long)(i % 3)).ToArray();
        var naive = new NaiveFuzzyArt(o);
        var fast = new VectorizedFuzzyArt(o);
        AssertBitIdentical(naive, naive.Fit(rows, labels), fast, fast.Fit(rows, labels));
        Assert.Equal(0, fast.ScreenedPairs);

        Assert.Equal(naive.Predict(rows), fast.Predict(rows));

        // Unlabelled presentations on top of the labelled model go through the screen and match the float64
        // search (the reference has no PartialFit; the float64 search is checked against it above).
        var exact = new VectorizedFuzzyArt(o) { UseFloat32Screen = false };
        exact.Fit(rows, labels);
        var more = ClusteredRows(200, 10, 6, 0.2, 9);
        Assert.Equal(exact.PartialFit(more), fast.PartialFit(more));
        Assert.True(fast.ScreenedPairs > 0);
        Assert.Equal(exact.Counts, fast.Counts);
        Assert.Equal(exact.ClusterLabels, fast.ClusterLabels);
        Assert.Equal(exact.Vigilances.Select(BitConverter.DoubleToInt64Bits), fast.Vigilances.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(exact.Weights.SelectMany(w => w).Select(BitConverter.DoubleToInt64Bits), fast.Weights.SelectMany(w => w).Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void PartialFit_UnevenChunks_BitIdenticalToNaive()
    {
        // Chunks of 1, 2, 3, 5 and 7 rows: every position of a row within the screen's 4-sample batches,
        // with clusters created and changed inside a batch that later samples of that batch must see.
        var o = new ArtOptions { Vigilance = 0.85, Sigma = 0.01 };
        var rows = QuantisedDuplicatedRows(150, 9, 21);
        var naive = new NaiveFuzzyArt(o);
        var expected = naive.Fit(rows);
        var fast = new VectorizedFuzzyArt(o);
        var actual = new List<long>();
        var sizes = new[] { 1, 2, 3, 5, 7 };
        for (int start = 0, s = 0; start < rows.Length; s++)
        {
            var size = Math.Min(sizes[s % sizes.Length], rows.Length - start);
            actual.AddRange(fast.PartialFit(rows.Skip(start).Take(size).ToArray()));
            start += size;
        }

        AssertBitIdentical(naive, expected, fast, actual.ToArray());
        Assert.True(fast.ClusterCount > 10, $"Expected many clusters, got {fast.ClusterCount}.");
    }

    [Fact]
    public void Fit_AllZeroRowsWithoutComplementCode_BitIdenticalToNaive()
    {
        // |I| = 0 gives a NaN match in the reference; such rows take the float64 search.
        var o = new ArtOptions { Vigilance = 0.5, ComplementCode = false, Sigma = 0.05, Epochs = 2 };
        var rows = new[] { new[] { 0.0, 0.0 }, new[] { 0.5, 0.25 }, new[] { 0.0, 0.0 }, new[] { 0.5, 0.0 }, new[] { 0.0, 0.125 }, new[] { 0.0, 0.0 } };
        FitBoth(o, rows);
    }
}
