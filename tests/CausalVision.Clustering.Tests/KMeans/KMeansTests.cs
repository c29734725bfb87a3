using CausalVision.Clustering.KMeans;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;

namespace CausalVision.Clustering.Tests.KMeans;

public sealed class KMeansTests
{
    private static Tensor Blobs(int perBlob, int d, int blobs, double spread, int seed, out long[] truth)
    {
        var rng = new Random(seed);
        var rows = new List<float>();
        var t = new List<long>();
        for (var b = 0; b < blobs; b++)
        {
            for (var i = 0; i < perBlob; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    var centre = j == b % d ? 10.0 * (1 + (b / d)) : 0.0;
                    var g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                    rows.Add((float)(centre + (spread * g)));
                }

                t.Add(b);
            }
        }

        truth = t.ToArray();
        return tensor(rows.ToArray(), new long[] { blobs * perBlob, d });
    }

    private static double BruteForceInertia(Tensor data, Tensor centres, out long[] labels)
    {
        var x = data.to(float64).data<double>().ToArray();
        var c = centres.to(float64).data<double>().ToArray();
        var n = (int)data.shape[0];
        var d = (int)data.shape[1];
        var k = (int)centres.shape[0];
        labels = new long[n];
        var total = 0.0;
        for (var i = 0; i < n; i++)
        {
            var best = double.PositiveInfinity;
            for (var j = 0; j < k; j++)
            {
                var s = 0.0;
                for (var f = 0; f < d; f++)
                {
                    var diff = x[(i * d) + f] - c[(j * d) + f];
                    s += diff * diff;
                }

                if (s < best)
                {
                    best = s;
                    labels[i] = j;
                }
            }

            total += best;
        }

        return total;
    }

    [Fact]
    public void Ctor_Defaults_FollowScikitLearn()
    {
        var o = new KMeansOptions();
        Assert.Equal(8, o.Clusters);
        Assert.Equal(300, o.MaxIterations);
        Assert.Equal(1e-4, o.Tolerance);
        Assert.Equal(1, o.Restarts);
        Assert.Equal(0, o.Seed);
        Assert.Equal(0, o.LocalTrials);
        Assert.Equal(1L << 24, o.ChunkElements);
        Assert.Equal(1024, o.BatchSize);
        Assert.Equal(10, o.MiniBatchEpochs);
        Assert.Equal(0, o.InitSize);
        Assert.Equal(KMeansKernel.Auto, o.Kernel);
        var e = Assert.Throws<ArgumentException>(() => new KMeansModel(new KMeansOptions { Clusters = 0 }));
        Assert.Contains("KMeansOptions.Clusters", e.Message);
    }

    [Fact]
    public void Fit_ThreeSeparatedGroups_ExactAssignmentsAndMeans()
    {
        using var x = tensor(new float[] { 0, 0, 0, 1, 1, 0, 10, 0, 10, 1, 11, 0, 0, 10, 0, 11, 1, 10 }, new long[] { 9, 2 });
        using var km = new KMeansModel(new KMeansOptions { Clusters = 3 }).Fit(x);
        using var labels = km.Predict(x);
        var l = labels.data<long>().ToArray();
        Assert.Equal(l[0], l[1]);
        Assert.Equal(l[0], l[2]);
        Assert.Equal(l[3], l[4]);
        Assert.Equal(l[3], l[5]);
        Assert.Equal(l[6], l[7]);
        Assert.Equal(l[6], l[8]);
        Assert.Equal(3, l.Distinct().Count());
        using var c = km.GetCenters();
        var third = 1f / 3;
        TensorAssert.Values(new[] { third, third }, c[l[0]], 1e-5);
        TensorAssert.Values(new[] { 10 + third, third }, c[l[3]], 1e-5);
        Assert.Equal(new long[] { 3, 3, 3 }, km.ClusterSizes);
        Assert.Equal(3 * (4.0 / 3), km.Inertia, 3); // each group: 2/9 + 5/9 + 5/9 = 4/3
        Assert.True(km.Converged);
    }

    [Fact]
    public void Fit_RandomData_InertiaAndLabelsEqualBruteForce()
    {
        manual_seed(1);
        using var x = randn(300, 6);
        using var km = new KMeansModel(new KMeansOptions { Clusters = 5, ChunkElements = 64 }).Fit(x);
        using var c = km.GetCenters();
        var inertia = BruteForceInertia(x, c, out var labels);
        Assert.Equal(inertia, km.Inertia, inertia * 1e-5);
        using var predicted = km.Predict(x);
        Assert.Equal(labels, predicted.data<long>().ToArray());
        Assert.Equal(inertia, km.Score(x), inertia * 1e-5);
        Assert.Equal(300, km.ClusterSizes.Sum());
    }

    [Fact]
    public void Fit_SameSeed_IdenticalCentresDifferentSeedDiffers()
    {
        manual_seed(2);
        using var x = rand(400, 3);
        var o = new KMeansOptions { Clusters = 12, Seed = 7, MaxIterations = 3 };
        using var a = new KMeansModel(o).Fit(x);
        using var b = new KMeansModel(o).Fit(x);
        using var ca = a.GetCenters();
        using var cb = b.GetCenters();
        TensorAssert.Close(ca, cb, 0, 0);
        o.Seed = 8;
        using var other = new KMeansModel(o).Fit(x);
        using var co = other.GetCenters();
        Assert.False(allclose(ca, co), "A different seed should give different centres on structureless data.");
    }

    [Fact]
    public void Fit_ToleranceAndMaxIterations_StopAsConfigured()
    {
        manual_seed(8);
        using var x = rand(500, 3);
        using var loose = new KMeansModel(new KMeansOptions { Clusters = 10, Tolerance = 1e9 }).Fit(x);
        Assert.Equal(1, loose.Iterations);
        Assert.True(loose.Converged);
        using var capped = new KMeansModel(new KMeansOptions { Clusters = 10, Tolerance = 0, MaxIterations = 2 }).Fit(x);
        Assert.Equal(2, capped.Iterations);
        Assert.False(capped.Converged);
        using var full = new KMeansModel(new KMeansOptions { Clusters = 10 }).Fit(x);
        Assert.True(full.Converged);
        Assert.True(full.Iterations > 2);
        Assert.True(full.Inertia <= capped.Inertia + 1e-6);
    }

    [Fact]
    public void Fit_Restarts_KeepsLeastInertia()
    {
        manual_seed(3);
        using var x = rand(300, 2);
        using var one = new KMeansModel(new KMeansOptions { Clusters = 9, Seed = 1 }).Fit(x);
        using var many = new KMeansModel(new KMeansOptions { Clusters = 9, Seed = 1, Restarts = 5 }).Fit(x);
        Assert.True(many.Inertia <= one.Inertia + 1e-9);
    }

    [Fact]
    public void FitMiniBatch_SeparableBlobs_NearLloydInertia()
    {
        using var x = Blobs(400, 8, 5, 1.0, 4, out _);
        using var lloyd = new KMeansModel(new KMeansOptions { Clusters = 5 }).Fit(x);
        using var mini = new KMeansModel(new KMeansOptions { Clusters = 5, BatchSize = 128, MiniBatchEpochs = 5 }).FitMiniBatch(x);
        Assert.True(mini.Inertia <= 1.05 * lloyd.Inertia, $"mini-batch inertia {mini.Inertia} vs Lloyd {lloyd.Inertia}");
        Assert.Equal(2000, mini.ClusterSizes.Sum());
    }

    [Fact]
    public void FitStream_Batches_NearLloydInertiaAndSizes()
    {
        using var x = Blobs(300, 4, 4, 0.5, 5, out var truth);
        var batches = Enumerable.Range(0, 12).Select(i => x.narrow(0, i * 100, 100)).ToList();
        // Shuffle the batch order so the first 600 rows (the k-means++ seed sample) hold every blob.
        var order = new[] { 0, 5, 11, 3, 8, 1, 6, 10, 2, 9, 4, 7 }.Select(i => batches[i]).ToList();
        using var lloyd = new KMeansModel(new KMeansOptions { Clusters = 4 }).Fit(x);
        using var km = new KMeansModel(new KMeansOptions { Clusters = 4, BatchSize = 64, InitSize = 600 }).FitStream(order);
        Assert.True(km.Inertia <= 1.05 * lloyd.Inertia, $"stream inertia {km.Inertia} vs Lloyd {lloyd.Inertia}");
        Assert.Equal(new long[] { 300, 300, 300, 300 }, km.ClusterSizes.OrderBy(v => v).ToArray());
        batches.ForEach(b => b.Dispose());
    }

    [Fact]
    public void RepairEmpty_EmptyCluster_TakesFarthestPoint()
    {
        using var x = tensor(new float[] { 0, 1, 10 }, new long[] { 3, 1 });
        using var labels = tensor(new long[] { 0, 0, 0 });
        using var minD = tensor(new float[] { 0, 1, 100 });
        using var sums = tensor(new float[] { 11, 0 }, new long[] { 2, 1 });
        using var counts = tensor(new float[] { 3, 0 });
        KMeansModel.RepairEmpty(x, labels, minD, sums, counts);
        using var centres = sums / counts.unsqueeze(1);
        TensorAssert.Values(new[] { 0.5f, 10f }, centres);
        Assert.Equal(new long[] { 0, 0, 1 }, labels.data<long>().ToArray());
    }

    [Fact]
    public void Fit_DuplicatePoints_NoNaNAndZeroInertia()
    {
        using var x = tensor(new float[] { 0, 0, 0, 0, 5, 5 }, new long[] { 3, 2 });
        using var km = new KMeansModel(new KMeansOptions { Clusters = 3 }).Fit(x);
        using var c = km.GetCenters();
        TensorAssert.Finite(c);
        Assert.Equal(3, km.ClusterSizes.Sum());
        Assert.Equal(0.0, km.Inertia, 6);
    }

    [Fact]
    public void SaveLoad_RoundTrip_SameCentresAndPredictions()
    {
        manual_seed(6);
        using var x = randn(100, 4);
        using var km = new KMeansModel(new KMeansOptions { Clusters = 3 }).Fit(x);
        using var ms = new MemoryStream();
        km.Save(ms);
        ms.Position = 0;
        using var loaded = KMeansModel.Load(ms);
        using var c1 = km.GetCenters();
        using var c2 = loaded.GetCenters();
        TensorAssert.Close(c1, c2, 0, 0);
        Assert.Equal(km.Inertia, loaded.Inertia);
        Assert.Equal(km.ClusterSizes, loaded.ClusterSizes);
        using var p1 = km.Predict(x);
        using var p2 = loaded.Predict(x);
        Assert.True(p1.equal(p2).all().item<bool>());
        using var junk = new MemoryStream(new byte[] { 9, 9, 9, 9 });
        Assert.Throws<InvalidDataException>(() => KMeansModel.Load(junk));
    }

    [Fact]
    public void Fit_BadInput_ThrowsClearMessages()
    {
        using var km = new KMeansModel(new KMeansOptions { Clusters = 4 });
        using var small = rand(3, 2);
        Assert.Contains("K = 4 clusters exceeds the number of samples 3", Assert.Throws<ArgumentException>(() => km.Fit(small)).Message);
        using var nan = tensor(new[] { 1f, float.NaN, 0f, 1f, 2f, 3f, 4f, 5f }, new long[] { 4, 2 });
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() => km.Fit(nan)).Message);
        using var inf = tensor(new[] { 1f, float.PositiveInfinity, 0f, 1f, 2f, 3f, 4f, 5f }, new long[] { 4, 2 });
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() => km.FitMiniBatch(inf)).Message);
        using var none = zeros(0, 2);
        Assert.Contains("zero rows", Assert.Throws<ArgumentException>(() => km.Fit(none)).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => km.FitStream(Array.Empty<Tensor>())).Message);
        Assert.Throws<InvalidOperationException>(() => km.Predict(small));
        using var ok = rand(10, 2);
        km.Fit(ok);
        using var wide = rand(5, 3);
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => km.Predict(wide)).Message);
        var mixed = new[] { rand(6, 2), rand(6, 3) };
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => new KMeansModel(new KMeansOptions { Clusters = 2, InitSize = 6 }).FitStream(mixed)).Message);
        foreach (var t in mixed)
        {
            t.Dispose();
        }
    }

    [Fact]
    public void FitAndPredict_SecondCall_NoTensorLeaks()
    {
        manual_seed(7);
        using var x = randn(200, 4);
        using var km = new KMeansModel(new KMeansOptions { Clusters = 4, BatchSize = 50 });
        km.Fit(x);
        TensorLeaks.AssertNone(() => km.Fit(x));
        TensorLeaks.AssertNone(() => km.FitMiniBatch(x));
        TensorLeaks.AssertNone(() => km.FitStream(new[] { x }));
        TensorLeaks.AssertNone(() => km.Predict(x).Dispose());
        TensorLeaks.AssertNone(() => km.Score(x));
    }
}
