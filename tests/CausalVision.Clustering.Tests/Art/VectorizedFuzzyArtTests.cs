using CausalVision.Clustering.Art;

namespace CausalVision.Clustering.Tests.Art;

public sealed class VectorizedFuzzyArtTests
{
    private static double[][] RandomRows(int n, int d, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray()).ToArray();
    }

    // Clustered data: a few random centres plus small noise, clipped to [0, 1]; makes ties between
    // near-identical clusters and many resonance decisions close to the vigilance.
    private static double[][] ClusteredRows(int n, int d, int centres, double noise, int seed)
    {
        var rng = new Random(seed);
        var c = RandomRows(centres, d, seed + 1000);
        return Enumerable.Range(0, n).Select(_ =>
        {
            var k = rng.Next(centres);
            return c[k].Select(v => Math.Clamp(v + (noise * ((2 * rng.NextDouble()) - 1)), 0, 1)).ToArray();
        }).ToArray();
    }

    private static void AssertSameState(NaiveFuzzyArt naive, VectorizedFuzzyArt fast, double weightTol)
    {
        Assert.Equal(naive.ClusterCount, fast.ClusterCount);
        Assert.Equal(naive.Counts, fast.Counts);
        Assert.Equal(naive.ClusterLabels, fast.ClusterLabels);
        var rn = naive.Vigilances;
        var rf = fast.Vigilances;
        for (var j = 0; j < rn.Length; j++)
        {
            Assert.True(Math.Abs(rn[j] - rf[j]) <= 1e-15, $"vigilance {j}: {rn[j]} vs {rf[j]}");
        }

        var wn = naive.Weights;
        var wf = fast.Weights;
        for (var j = 0; j < wn.Length; j++)
        {
            Assert.Equal(wn[j].Length, wf[j].Length);
            for (var i = 0; i < wn[j].Length; i++)
            {
                Assert.True(Math.Abs(wn[j][i] - wf[j][i]) <= weightTol, $"weight [{j}, {i}]: {wn[j][i]} vs {wf[j][i]}");
            }
        }
    }

    public static TheoryData<int, int, bool, bool, double, int> EquivalenceCases()
    {
        var data = new TheoryData<int, int, bool, bool, double, int>();
        foreach (var d in new[] { 2, 16, 128 })
        {
            foreach (var seed in new[] { 1, 2 })
            {
                data.Add(d, seed, false, false, 5e-6, 1);
                data.Add(d, seed, false, false, 0.02, 2);
                data.Add(d, seed, true, false, 0.02, 2);
                data.Add(d, seed, true, true, 0.02, 1);
            }
        }

        data.Add(16, 3, false, false, 0, 2);
        data.Add(16, 4, true, true, 0, 2);
        return data;
    }

    [Theory]
    [MemberData(nameof(EquivalenceCases))]
    public void Fit_RandomData_IdenticalToNaive(int d, int seed, bool labelled, bool matchTracking, double sigma, int epochs)
    {
        // Vigilance chosen per dimension so that the data make tens of clusters (more than one SIMD panel).
        var rho = d switch { 2 => 0.9, 16 => 0.8, _ => 0.75 };
        var o = new ArtOptions { Vigilance = rho, Sigma = sigma, Epochs = epochs, MatchTracking = matchTracking };
        var n = d == 128 ? 200 : 400; // keeps the naive reference (N^2 D) quick
        var rows = seed % 2 == 0 ? ClusteredRows(n, d, 12, 0.15, seed) : RandomRows(n, d, seed);
        var rng = new Random(seed + 7);
        long[]? labels = labelled ? rows.Select(_ => (long)rng.Next(3)).ToArray() : null;

        var naive = new NaiveFuzzyArt(o);
        var expected = naive.Fit(rows, labels);
        var fast = new VectorizedFuzzyArt(o);
        var actual = fast.Fit(rows, labels);

        Assert.Equal(expected, actual);
        AssertSameState(naive, fast, 1e-12);
        Assert.True(fast.ClusterCount > 10, $"The test data should make many clusters, got {fast.ClusterCount}.");
        Assert.Equal(naive.Predict(rows, labels), fast.Predict(rows, labels));
        Assert.Equal(naive.Predict(rows, null, false), fast.Predict(rows, null, false));
    }

    [Fact]
    public void Fit_NoComplementCode_IdenticalToNaive()
    {
        var o = new ArtOptions { Vigilance = 0.99, ComplementCode = false, Sigma = 0.01, Epochs = 2 };
        var rows = RandomRows(300, 8, 12);
        var naive = new NaiveFuzzyArt(o);
        var fast = new VectorizedFuzzyArt(o);
        Assert.Equal(naive.Fit(rows), fast.Fit(rows));
        AssertSameState(naive, fast, 0);
        Assert.True(fast.ClusterCount > 5);
        Assert.Equal(naive.Predict(rows), fast.Predict(rows));
    }

    [Fact]
    public void Fit_ManyPanels_IdenticalToNaive()
    {
        // Several SIMD panels of clusters (hundreds), and a Predict large enough to run in parallel.
        var o = new ArtOptions { Vigilance = 0.95, Sigma = 5e-6 };
        var rows = RandomRows(1500, 6, 11);
        var naive = new NaiveFuzzyArt(o);
        var fast = new VectorizedFuzzyArt(o);
        Assert.Equal(naive.Fit(rows), fast.Fit(rows));
        AssertSameState(naive, fast, 0);
        Assert.True(fast.ClusterCount > 3 * 8 * VectorizedFuzzyArt.VectorLanes, $"Expected several panels, got {fast.ClusterCount} clusters.");
        Assert.Equal(naive.Predict(rows), fast.Predict(rows));
    }

    [Fact]
    public void Fit_AmArtThreeSamples_HandComputedVigilances()
    {
        // Same hand computation as FuzzyArtTests: rho = [0.486, 0.66], w1 = [0, 0.82].
        var o = new ArtOptions { ComplementCode = false, Sigma = 0.1, Vigilance = 0.6 };
        var fast = new VectorizedFuzzyArt(o);
        Assert.Equal(new long[] { 0, 1, 1 }, fast.Fit(new[] { new[] { 0.2, 0.0 }, new[] { 0.0, 1.0 }, new[] { 0.2, 0.7 } }));
        Assert.Equal(0.486, fast.Vigilances[0], 12);
        Assert.Equal(0.66, fast.Vigilances[1], 12);
        Assert.Equal(0.82, fast.Weights[1][1], 12);
        Assert.Equal(0.0, fast.Weights[1][0]);
        Assert.Equal(new long[] { 1, 2 }, fast.Counts);
    }

    [Fact]
    public void Fit_TwoSeparatedGroups_ExactAssignmentsAndFastLearningWeights()
    {
        var fast = new VectorizedFuzzyArt(new ArtOptions { Vigilance = 0.9, Beta = 1.0, Sigma = 0 });
        var assign = fast.Fit(new[] { new[] { 0.1 }, new[] { 0.12 }, new[] { 0.9 }, new[] { 0.88 }, new[] { 0.11 } });
        Assert.Equal(new long[] { 0, 0, 1, 1, 0 }, assign);
        Assert.Equal(new[] { 0.1, 0.88 }, fast.Weights[0]);
        Assert.Equal(new[] { 0.88, 0.1 }, fast.Weights[1].Select(v => Math.Round(v, 12)).ToArray());
        Assert.Equal(new[] { 0.9, 0.9 }, fast.Vigilances);
    }

    [Fact]
    public void PartialFit_EverySample_WeightsOnlyShrinkAndVigilanceHolds()
    {
        const double rho = 0.7;
        var fast = new VectorizedFuzzyArt(new ArtOptions { Sigma = 0, Vigilance = rho, Beta = 0.6 });
        foreach (var row in RandomRows(150, 4, 2))
        {
            var before = fast.ClusterCount == 0 ? Array.Empty<double[]>() : fast.Weights;
            var j = (int)fast.PartialFit(new[] { row })[0];
            var after = fast.Weights;
            for (var c = 0; c < before.Length; c++)
            {
                for (var i = 0; i < before[c].Length; i++)
                {
                    Assert.True(after[c][i] <= before[c][i] + 1e-12, "A weight grew under fuzzy AND learning.");
                }
            }

            var x = row.Concat(row.Select(v => 1 - v)).ToArray();
            var match = x.Zip(after[j], Math.Min).Sum() / x.Sum();
            Assert.True(match >= rho - 1e-12, $"Sample committed to cluster {j} with match {match} < {rho}.");
        }

        Assert.True(fast.ClusterCount > 1);
        Assert.All(fast.Vigilances, r => Assert.Equal(rho, r));
    }

    [Fact]
    public void PartialFit_Batches_EqualsOnePassFit()
    {
        var rows = RandomRows(200, 8, 5);
        var o = new ArtOptions { Vigilance = 0.75, Sigma = 0.01 };
        var whole = new VectorizedFuzzyArt(o);
        var expected = whole.Fit(rows);
        var streamed = new VectorizedFuzzyArt(o);
        var actual = rows.Chunk(37).SelectMany(b => streamed.PartialFit(b)).ToArray();
        Assert.Equal(expected, actual);
        Assert.Equal(whole.Vigilances, streamed.Vigilances);
        Assert.Equal(whole.Weights, streamed.Weights);
    }

    [Fact]
    public void Fit_Tensor_SameAsRows()
    {
        var rows = RandomRows(120, 6, 9);
        using var x = tensor(rows.SelectMany(r => r).ToArray(), new long[] { 120, 6 }, float64);
        var a = new VectorizedFuzzyArt(new ArtOptions { Vigilance = 0.7 });
        var b = new VectorizedFuzzyArt(new ArtOptions { Vigilance = 0.7 });
        Assert.Equal(a.Fit(rows), b.Fit(x));
        Assert.Equal(a.Weights, b.Weights);
    }

    [Fact]
    public void FromNaive_VectorizedModel_SameStateAndPredictionsAsTensorPath()
    {
        var rows = RandomRows(90, 3, 8);
        var fast = new VectorizedFuzzyArt(new ArtOptions { Vigilance = 0.7, Sigma = 0.02 });
        fast.Fit(rows);
        using var art = FuzzyArt.FromNaive(fast, dtype: ScalarType.Float64);
        Assert.Equal(fast.ClusterCount, art.ClusterCount);
        Assert.Equal(fast.Vigilances, art.Vigilances);
        Assert.Equal(fast.Counts, art.Counts);
        using var w = art.GetWeights();
        using var wf = tensor(fast.Weights.SelectMany(r => r).ToArray(), new long[] { fast.ClusterCount, 6 }, float64);
        TensorAssert.Close(wf, w, 0, 0);
        using var x = tensor(rows.SelectMany(r => r).ToArray(), new long[] { 90, 3 }, float64);
        Assert.Equal(fast.Predict(rows), art.Predict(x));
        Assert.Contains("VectorizedFuzzyArt", Assert.Throws<ArgumentException>(() => FuzzyArt.FromNaive(new VectorizedFuzzyArt())).Message);
    }

    [Fact]
    public void Predict_FarSampleAndLabels_MinusOneAndNoLearning()
    {
        var fast = new VectorizedFuzzyArt(new ArtOptions { Vigilance = 0.9 });
        fast.Fit(new[] { new[] { 0.1 }, new[] { 0.12 } }, new long[] { 4, 4 });
        var before = fast.Weights;
        var q = new[] { new[] { 0.11 }, new[] { 0.95 } };
        Assert.Equal(new long[] { 0, -1 }, fast.Predict(q));
        Assert.Equal(new long[] { 0, 0 }, fast.Predict(q, requireResonance: false));
        Assert.Equal(new long[] { -1, -1 }, fast.Predict(q, new long[] { 3, 3 }));
        Assert.Equal(new long[] { 0, -1 }, fast.Predict(q, new long[] { 4, 4 }));
        Assert.Equal(before, fast.Weights);
        Assert.Equal(new long[] { 2 }, fast.Counts);
    }

    [Fact]
    public void Fit_MatchTrackingZeroEpsilon_Terminates()
    {
        var o = new ArtOptions { Vigilance = 0.5, MatchTracking = true, MatchTrackingEpsilon = 0 };
        var fast = new VectorizedFuzzyArt(o);
        Assert.Equal(new long[] { 0, 1, 1 }, fast.Fit(new[] { new[] { 0.5 }, new[] { 0.5 }, new[] { 0.52 } }, new long[] { 0, 1, 1 }));
    }

    [Fact]
    public void Fit_BadInput_ThrowsClearMessages()
    {
        var fast = new VectorizedFuzzyArt();
        Assert.Throws<ArgumentNullException>(() => fast.Fit((IReadOnlyList<double[]>)null!));
        Assert.Contains("zero rows", Assert.Throws<ArgumentException>(() => fast.Fit(Array.Empty<double[]>())).Message);
        Assert.Contains("zero columns", Assert.Throws<ArgumentException>(() => fast.Fit(new[] { Array.Empty<double>() })).Message);
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() => fast.Fit(new[] { new[] { 0.1, double.NaN } })).Message);
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() => fast.Fit(new[] { new[] { double.PositiveInfinity } })).Message);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => fast.Fit(new[] { new[] { 0.1, 1.5 } })).Message);
        Assert.Contains("differ in length", Assert.Throws<ArgumentException>(() => fast.Fit(new[] { new[] { 0.1 }, new[] { 0.1, 0.2 } })).Message);
        Assert.Contains("null row", Assert.Throws<ArgumentException>(() => fast.Fit(new[] { new[] { 0.1 }, null! })).Message);
        var ok = new[] { new[] { 0.1, 0.2 } };
        Assert.Contains("entries", Assert.Throws<ArgumentException>(() => fast.Fit(ok, new long[] { 0, 1 })).Message);
        Assert.Contains("out of range", Assert.Throws<ArgumentException>(() => fast.Fit(ok, new long[] { -1 })).Message);
        Assert.Throws<InvalidOperationException>(() => fast.Predict(ok));
        fast.Fit(ok);
        var wide = new[] { new[] { 0.1, 0.2, 0.3 } };
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => fast.PartialFit(wide)).Message);
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => fast.Predict(wide)).Message);
        using var oneD = zeros(3);
        Assert.Contains("2-D", Assert.Throws<ArgumentException>(() => fast.Fit(oneD)).Message);
        Assert.Contains("ArtOptions.Beta", Assert.Throws<ArgumentException>(() => new VectorizedFuzzyArt(new ArtOptions { Beta = 0 })).Message);
    }
}
