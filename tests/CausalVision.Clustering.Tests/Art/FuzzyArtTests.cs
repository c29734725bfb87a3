using CausalVision.Clustering.Art;

namespace CausalVision.Clustering.Tests.Art;

public sealed class FuzzyArtTests
{
    private static Tensor Rows(params double[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length }, float64);

    private static double[][] RandomRows(int n, int d, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble()).ToArray()).ToArray();
    }

    [Fact]
    public void Ctor_Defaults_MatchAuthorsCode()
    {
        var o = new ArtOptions();
        Assert.Equal(0.01, o.Alpha);
        Assert.Equal(0.6, o.Beta);
        Assert.Equal(5e-6, o.Sigma);
        Assert.Equal(0.85, o.Vigilance);
        Assert.True(o.ComplementCode);
        Assert.False(o.MatchTracking);
        Assert.Equal(1e-3, o.MatchTrackingEpsilon);
        Assert.Equal(1, o.Epochs);
        using var art = new FuzzyArt();
        Assert.Equal(0, art.ClusterCount);
        Assert.Equal(-1, art.InputDimension);
    }

    [Theory]
    [InlineData("Vigilance", 1.5)]
    [InlineData("Alpha", 0.0)]
    [InlineData("Beta", 0.0)]
    [InlineData("Sigma", -0.1)]
    public void Ctor_InvalidOptions_Throws(string name, double value)
    {
        var o = new ArtOptions();
        typeof(ArtOptions).GetProperty(name)!.SetValue(o, value);
        var e = Assert.Throws<ArgumentException>(() => new FuzzyArt(o));
        Assert.Contains($"ArtOptions.{name}", e.Message);
        Assert.Contains("must be between", e.Message);
    }

    [Fact]
    public void ComplementCoding_Values_AppendsOneMinusX()
    {
        using var x = tensor(new[] { 0.2f, 0.7f }, new long[] { 1, 2 });
        using var c = FuzzyArt.ComplementCoding(x);
        TensorAssert.Values(new[] { 0.2f, 0.7f, 0.8f, 0.3f }, c);
    }

    [Fact]
    public void Fit_TwoSeparatedGroups_ExactAssignments()
    {
        using var art = new FuzzyArt(new ArtOptions { Vigilance = 0.9, Beta = 1.0, Sigma = 0 });
        using var x = Rows(new[] { 0.1 }, new[] { 0.12 }, new[] { 0.9 }, new[] { 0.88 }, new[] { 0.11 });
        var assign = art.Fit(x);
        Assert.Equal(new long[] { 0, 0, 1, 1, 0 }, assign);
        using var w = art.GetWeights();
        // Fast learning: w = fuzzy AND of the members: cluster 0 = [min x, min(1 - x)] = [0.1, 0.88].
        TensorAssert.Values(new[] { 0.1f, 0.88f, 0.88f, 0.1f }, w, 1e-6);
        Assert.Equal(new long[] { 3, 2 }, art.Counts);
        Assert.Equal(new[] { 0.9, 0.9 }, art.Vigilances);
    }

    [Fact]
    public void Fit_AmArtThreeSamples_HandComputedVigilances()
    {
        // No complement coding, alpha 0.01, beta 0.6, sigma 0.1, rho0 0.6.
        // x1=[0.2,0] -> new c0. x2=[0,1]: c0 match 0 fails, no winner -> rho0 = 0.6*0.9 = 0.54; new c1.
        // x3=[0.2,0.7] (|I|=0.9): c0 inter 0.2, M=0.222 < 0.54 fails, T0 = 0.2/0.21 = 0.952;
        // c1 inter 0.7, M=0.778 >= 0.6 wins, T1 = 0.7/1.01 = 0.693. T0 >= T1 -> rho0 = 0.54*0.9 = 0.486;
        // winner rho1 = 0.6*1.1 = 0.66; w1 = 0.6*[0,0.7] + 0.4*[0,1] = [0, 0.82].
        var o = new ArtOptions { ComplementCode = false, Sigma = 0.1, Vigilance = 0.6 };
        var rows = new[] { new[] { 0.2, 0.0 }, new[] { 0.0, 1.0 }, new[] { 0.2, 0.7 } };
        using var art = new FuzzyArt(o);
        using var x = Rows(rows);
        Assert.Equal(new long[] { 0, 1, 1 }, art.Fit(x));
        var rho = art.Vigilances;
        Assert.Equal(0.486, rho[0], 12);
        Assert.Equal(0.66, rho[1], 12);
        using var w = art.GetWeights();
        TensorAssert.Values(new[] { 0.2f, 0f, 0f, 0.82f }, w, 1e-7);
        Assert.Equal(new long[] { 1, 2 }, art.Counts);

        var naive = new NaiveFuzzyArt(o);
        Assert.Equal(new long[] { 0, 1, 1 }, naive.Fit(rows));
        Assert.Equal(0.486, naive.Vigilances[0], 12);
        Assert.Equal(0.66, naive.Vigilances[1], 12);
    }

    [Fact]
    public void Fit_PlainFuzzyArt_VigilanceNeverChanges()
    {
        using var art = new FuzzyArt(new ArtOptions { Sigma = 0, Vigilance = 0.7 });
        using var x = Rows(RandomRows(60, 3, 1));
        art.Fit(x);
        Assert.All(art.Vigilances, r => Assert.Equal(0.7, r));
    }

    [Fact]
    public void PartialFit_EverySample_WeightsOnlyShrinkAndVigilanceHolds()
    {
        const double rho = 0.7;
        using var art = new FuzzyArt(new ArtOptions { Sigma = 0, Vigilance = rho, Beta = 0.6 });
        var rows = RandomRows(80, 4, 2);
        foreach (var row in rows)
        {
            using var before = art.GetWeights();
            using var x = Rows(row);
            var j = art.PartialFit(x)[0];
            using var after = art.GetWeights();
            if (before.shape[0] > 0)
            {
                using var old = after.narrow(0, 0, before.shape[0]);
                using var grew = old > before + 1e-12;
                Assert.False(grew.any().item<bool>(), "A weight grew under fuzzy AND learning.");
            }

            // The committed sample satisfies its cluster's vigilance (with the learnt weights too).
            using var coded = FuzzyArt.ComplementCoding(x);
            using var inter = minimum(coded[0], after[j]).sum();
            var match = inter.item<double>() / coded.sum().item<double>();
            Assert.True(match >= rho - 1e-12, $"Sample committed to cluster {j} with match {match} < {rho}.");
        }

        Assert.True(art.ClusterCount > 1);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Fit_RandomData_BatchedEqualsNaive(bool labelled, bool matchTracking)
    {
        var o = new ArtOptions { Vigilance = 0.75, Sigma = 0.05, Beta = 0.6, Epochs = 2, MatchTracking = matchTracking };
        var rows = RandomRows(150, 5, 3);
        var rng = new Random(4);
        long[]? labels = labelled ? rows.Select(_ => (long)rng.Next(3)).ToArray() : null;

        var naive = new NaiveFuzzyArt(o);
        var expected = naive.Fit(rows, labels);
        using var art = new FuzzyArt(o);
        using var x = Rows(rows);
        var actual = art.Fit(x, labels);

        Assert.Equal(expected, actual);
        Assert.Equal(naive.Counts, art.Counts);
        Assert.Equal(naive.ClusterLabels, art.ClusterLabels);
        var rhoN = naive.Vigilances;
        var rhoB = art.Vigilances;
        Assert.Equal(rhoN.Length, rhoB.Length);
        for (var j = 0; j < rhoN.Length; j++)
        {
            Assert.Equal(rhoN[j], rhoB[j], 12);
        }

        using var wn = tensor(naive.Weights.SelectMany(r => r).ToArray(), new long[] { naive.ClusterCount, 10 }, float64);
        using var wb = art.GetWeights();
        TensorAssert.Close(wn, wb, 1e-12, 0);
        Assert.True(art.ClusterCount > 3, "The test data should make several clusters.");

        Assert.Equal(naive.Predict(rows, labels), art.Predict(x, labels));
        Assert.Equal(naive.Predict(rows, null, false), art.Predict(x, null, false));
    }

    [Fact]
    public void Fit_LabelMasking_SameFeaturesDifferentLabelsNeverShare()
    {
        using var art = new FuzzyArt(new ArtOptions { Vigilance = 0.5 });
        using var x = Rows(new[] { 0.5, 0.5 }, new[] { 0.5, 0.5 }, new[] { 0.52, 0.5 });
        Assert.Equal(new long[] { 0, 1, 0 }, art.Fit(x, new long[] { 0, 1, 0 }));
        Assert.Equal(new long[] { 0, 1 }, art.ClusterLabels);
    }

    [Fact]
    public void Fit_MatchTracking_MismatchedWinnerRaisesVigilance()
    {
        using var art = new FuzzyArt(new ArtOptions { Vigilance = 0.5, MatchTracking = true });
        using var x = Rows(new[] { 0.5, 0.5 }, new[] { 0.5, 0.5 }, new[] { 0.5, 0.5 });
        Assert.Equal(new long[] { 0, 1, 1 }, art.Fit(x, new long[] { 0, 1, 1 }));
    }

    [Fact]
    public void Fit_MatchTrackingZeroEpsilon_TerminatesAndMatchesNaive()
    {
        var o = new ArtOptions { Vigilance = 0.5, MatchTracking = true, MatchTrackingEpsilon = 0 };
        var rows = new[] { new[] { 0.5 }, new[] { 0.5 }, new[] { 0.52 } };
        var labels = new long[] { 0, 1, 1 };
        using var art = new FuzzyArt(o);
        using var x = Rows(rows);
        Assert.Equal(new long[] { 0, 1, 1 }, art.Fit(x, labels));
        Assert.Equal(new long[] { 0, 1, 1 }, new NaiveFuzzyArt(o).Fit(rows, labels));
    }

    [Fact]
    public void Fit_Float32MatchTracking_SameAsFloat64OnSeparatedData()
    {
        var o = new ArtOptions { Vigilance = 0.9, MatchTracking = true };
        using var x64 = Rows(new[] { 0.1 }, new[] { 0.12 }, new[] { 0.9 }, new[] { 0.11 });
        using var x32 = x64.to(float32);
        var labels = new long[] { 0, 1, 0, 1 };
        using var a = new FuzzyArt(o);
        using var b = new FuzzyArt(o);
        Assert.Equal(new long[] { 0, 1, 2, 1 }, a.Fit(x64, labels));
        Assert.Equal(new long[] { 0, 1, 2, 1 }, b.Fit(x32, labels));
        using var w = b.GetWeights();
        Assert.Equal(float32, w.dtype);
    }

    [Fact]
    public void Predict_FarSample_MinusOneAndNoLearning()
    {
        using var art = new FuzzyArt(new ArtOptions { Vigilance = 0.9 });
        using var x = Rows(new[] { 0.1 }, new[] { 0.12 });
        art.Fit(x);
        using var before = art.GetWeights();
        using var q = Rows(new[] { 0.11 }, new[] { 0.95 });
        Assert.Equal(new long[] { 0, -1 }, art.Predict(q));
        Assert.Equal(new long[] { 0, 0 }, art.Predict(q, requireResonance: false));
        using var after = art.GetWeights();
        TensorAssert.Close(before, after, 0, 0);
    }

    [Fact]
    public void FitStream_Batches_EqualsOnePassOverConcatenation()
    {
        var rows = RandomRows(90, 3, 5);
        var o = new ArtOptions { Vigilance = 0.7, Sigma = 0.01 };
        using var whole = new FuzzyArt(o);
        using var all = Rows(rows);
        whole.Fit(all);
        using var streamed = new FuzzyArt(o);
        var batches = rows.Chunk(25).Select(Rows).ToList();
        Assert.Equal(90, streamed.FitStream(batches));
        batches.ForEach(b => b.Dispose());
        using var w1 = whole.GetWeights();
        using var w2 = streamed.GetWeights();
        TensorAssert.Close(w1, w2, 0, 0);
        Assert.Equal(whole.Vigilances, streamed.Vigilances);
        Assert.Equal(whole.Counts, streamed.Counts);
    }

    [Fact]
    public void SaveLoad_RoundTrip_SameStateAndPredictions()
    {
        using var art = new FuzzyArt(new ArtOptions { Vigilance = 0.7, Sigma = 0.01 });
        using var x = Rows(RandomRows(50, 3, 6));
        art.Fit(x, Enumerable.Range(0, 50).Select(i => (long)(i % 2)).ToArray());
        using var ms = new MemoryStream();
        art.Save(ms);
        ms.Position = 0;
        using var loaded = FuzzyArt.Load(ms);
        Assert.Equal(art.ClusterCount, loaded.ClusterCount);
        Assert.Equal(art.Vigilances, loaded.Vigilances);
        Assert.Equal(art.Counts, loaded.Counts);
        Assert.Equal(art.ClusterLabels, loaded.ClusterLabels);
        Assert.Equal(art.Options.Sigma, loaded.Options.Sigma);
        using var w1 = art.GetWeights();
        using var w2 = loaded.GetWeights();
        TensorAssert.Close(w1, w2, 0, 0);
        Assert.Equal(art.Predict(x), loaded.Predict(x));
    }

    [Fact]
    public void FromNaive_FittedReference_SameStateAndPredictions()
    {
        var rows = RandomRows(70, 3, 8);
        var naive = new NaiveFuzzyArt(new ArtOptions { Vigilance = 0.7, Sigma = 0.02 });
        naive.Fit(rows);
        using var art = FuzzyArt.FromNaive(naive, dtype: ScalarType.Float64);
        Assert.Equal(naive.ClusterCount, art.ClusterCount);
        Assert.Equal(naive.Vigilances, art.Vigilances);
        Assert.Equal(naive.Counts, art.Counts);
        Assert.Equal(3, art.InputDimension);
        using var w = art.GetWeights();
        using var wn = tensor(naive.Weights.SelectMany(r => r).ToArray(), new long[] { naive.ClusterCount, 6 }, float64);
        TensorAssert.Close(wn, w, 0, 0);
        using var x = Rows(rows);
        Assert.Equal(naive.Predict(rows), art.Predict(x));
        Assert.Throws<ArgumentException>(() => FuzzyArt.FromNaive(new NaiveFuzzyArt()));
        TensorLeaks.AssertNone(() => FuzzyArt.FromNaive(naive).Dispose());
    }

    [Fact]
    public void Load_CorruptStream_ThrowsInvalidData()
    {
        using var bad = new MemoryStream(new byte[] { 1, 2, 3 });
        Assert.Throws<InvalidDataException>(() => FuzzyArt.Load(bad));
        using var art = new FuzzyArt();
        using var x = Rows(new[] { 0.1, 0.2 });
        art.Fit(x);
        using var ms = new MemoryStream();
        art.Save(ms);
        using var truncated = new MemoryStream(ms.ToArray()[..(int)(ms.Length - 5)]);
        var e = Assert.Throws<InvalidDataException>(() => FuzzyArt.Load(truncated));
        Assert.Contains("truncated", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Fit_BadInput_ThrowsClearMessages()
    {
        using var art = new FuzzyArt();
        using var nan = Rows(new[] { 0.1, double.NaN });
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() => art.Fit(nan)).Message);
        using var big = Rows(new[] { 0.1, 1.5 });
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => art.Fit(big)).Message);
        using var empty = zeros(0, 3, dtype: float64);
        Assert.Contains("zero rows", Assert.Throws<ArgumentException>(() => art.Fit(empty)).Message);
        using var oneD = zeros(3);
        Assert.Contains("2-D", Assert.Throws<ArgumentException>(() => art.Fit(oneD)).Message);
        using var ok = Rows(new[] { 0.1, 0.2 });
        Assert.Contains("entries", Assert.Throws<ArgumentException>(() => art.Fit(ok, new long[] { 0, 1 })).Message);
        Assert.Contains("out of range", Assert.Throws<ArgumentException>(() => art.Fit(ok, new long[] { -1 })).Message);
        art.Fit(ok);
        using var wide = Rows(new[] { 0.1, 0.2, 0.3 });
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => art.PartialFit(wide)).Message);
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => art.Predict(wide)).Message);
        Assert.Throws<ArgumentException>(() => new NaiveFuzzyArt().Fit(new[] { new[] { double.PositiveInfinity } }));
    }

    [Fact]
    public void PartialFitAndPredict_AfterWarmUp_NoTensorLeaks()
    {
        using var art = new FuzzyArt(new ArtOptions { Vigilance = 0.6 });
        using var x = Rows(RandomRows(20, 3, 7));
        art.Fit(x);
        TensorLeaks.AssertNone(() => art.PartialFit(x));
        TensorLeaks.AssertNone(() => art.Predict(x));
        TensorLeaks.AssertNone(() => art.GetWeights().Dispose());
    }
}
