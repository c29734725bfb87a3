using CausalVision.Clustering.KMeans;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;

namespace CausalVision.Clustering.Tests.KMeans;

// The fused float32 kernel against a float64 reference and against the libtorch path, on data built to sit on
// decision boundaries: points on the bisector of two centres (nudged by less than float32 can resolve), duplicate
// centres, and a large common offset (||x||^2 >> distances, the cancellation case).
public sealed class KMeansFusedKernelTests
{
    public static TheoryData<int> Lanes()
    {
        var data = new TheoryData<int>();
        if (FusedAssign.Has256)
        {
            data.Add(8);
        }

        if (FusedAssign.Has512)
        {
            data.Add(16);
        }

        return data;
    }

    // Rows near the bisectors of centre pairs; every 5th row shifted by a large common offset with its centres' copy.
    private static (float[] X, float[] C) NearTies(int n, int d, int k, int seed, float offset)
    {
        var rng = new Random(seed);
        var c = new float[k * d];
        for (var i = 0; i < c.Length; i++)
        {
            c[i] = (float)(rng.NextDouble() * 4) + offset;
        }

        // Centre 1 duplicates centre 0: exact float64 ties, the lower index must win.
        Array.Copy(c, 0, c, d, d);
        var x = new float[n * d];
        for (var r = 0; r < n; r++)
        {
            var a = rng.Next(k);
            var b = rng.Next(k);
            var nudge = r % 3 == 0 ? 0.0 : (rng.NextDouble() - 0.5) * 1e-6;
            for (var j = 0; j < d; j++)
            {
                x[(r * d) + j] = (float)((0.5 * (c[(a * d) + j] + c[(b * d) + j])) + nudge + ((rng.NextDouble() - 0.5) * 1e-3 * (r % 2)));
            }
        }

        return (x, c);
    }

    private static (long[] Labels, double[] Dist) Reference(float[] x, float[] c, int d)
    {
        var n = x.Length / d;
        var k = c.Length / d;
        var labels = new long[n];
        var dist = new double[n];
        for (var r = 0; r < n; r++)
        {
            var best = double.PositiveInfinity;
            for (var j = 0; j < k; j++)
            {
                // The kernel's float64 decision: ||c||^2 / 2 - x.c (||x||^2 is common to every centre).
                var half = 0.0;
                var dot = 0.0;
                for (var f = 0; f < d; f++)
                {
                    half += 0.5 * c[(j * d) + f] * (double)c[(j * d) + f];
                    dot += (double)x[(r * d) + f] * c[(j * d) + f];
                }

                var s = half - dot;
                if (s < best)
                {
                    best = s;
                    labels[r] = j;
                }
            }

            var exact = 0.0;
            for (var f = 0; f < d; f++)
            {
                var diff = (double)x[(r * d) + f] - c[(labels[r] * d) + f];
                exact += diff * diff;
            }

            dist[r] = exact;
        }

        return (labels, dist);
    }

    [Theory]
    [MemberData(nameof(Lanes))]
    public void Run_NearTieData_LabelsEqualFloat64ArgminAndSumsMatch(int lanes)
    {
        // N not a multiple of the 6-row tile, K not a multiple of the lanes, D not a multiple of 8: every tail path.
        const int n = 401;
        const int d = 37;
        const int k = 21;
        var (xs, cs) = NearTies(n, d, k, 11, 0f);
        using var x = tensor(xs, new long[] { n, d });
        using var c = tensor(cs, new long[] { k, d });
        using var labels = empty(n, ScalarType.Int64);
        using var minD = empty(n, ScalarType.Float32);
        var sums = new double[k * d];
        var counts = new long[k];
        var rechecks = FusedAssign.Run(x, new FusedCentres(c, lanes), labels, minD, sums, counts, 1);
        var (refLabels, refDist) = Reference(xs, cs, d);
        Assert.Equal(refLabels, labels.data<long>().ToArray());
        Assert.True(rechecks > n / 3, $"near-tie rows must take the float64 recheck ({rechecks} of {n})");
        var md = minD.data<float>().ToArray();
        for (var r = 0; r < n; r++)
        {
            Assert.Equal(refDist[r], md[r], 1e-3 + (1e-4 * refDist[r]));
        }

        Assert.Equal(0, counts[1]); // the duplicate of centre 0 never wins a tie
        Assert.Equal(n, counts.Sum());
        for (var j = 0; j < k; j++)
        {
            for (var f = 0; f < d; f++)
            {
                var expected = 0.0;
                for (var r = 0; r < n; r++)
                {
                    expected += refLabels[r] == j ? xs[(r * d) + f] : 0.0;
                }

                Assert.Equal(expected, sums[(j * d) + f], 1e-6 * (1 + Math.Abs(expected)));
            }
        }

        // Two workers: the same labels and sums.
        using var labels2 = empty(n, ScalarType.Int64);
        using var minD2 = empty(n, ScalarType.Float32);
        var sums2 = new double[k * d];
        var counts2 = new long[k];
        FusedAssign.Run(x, new FusedCentres(c, lanes), labels2, minD2, sums2, counts2, 2);
        Assert.Equal(refLabels, labels2.data<long>().ToArray());
        Assert.Equal(counts, counts2);
        for (var i = 0; i < sums.Length; i++)
        {
            Assert.Equal(sums[i], sums2[i], 1e-9 * (1 + Math.Abs(sums[i])));
        }
    }

    [Theory]
    [MemberData(nameof(Lanes))]
    public void Run_LargeOffset_CancellationCaseStillExact(int lanes)
    {
        const int n = 120;
        const int d = 64;
        const int k = 16;
        var (xs, cs) = NearTies(n, d, k, 12, 1000f);
        using var x = tensor(xs, new long[] { n, d });
        using var c = tensor(cs, new long[] { k, d });
        using var labels = empty(n, ScalarType.Int64);
        using var minD = empty(n, ScalarType.Float32);
        FusedAssign.Run(x, new FusedCentres(c, lanes), labels, minD, null, null, 1);
        Assert.Equal(Reference(xs, cs, d).Labels, labels.data<long>().ToArray());
    }

    [Fact]
    public void Assign_NearTieData_TorchPathDiffersOnlyWithinFloat32Error()
    {
        // The libtorch path decides in float32 with its own summation order: on near-ties it may pick either
        // centre. Where the float64 gap exceeds float32's rounding bound, both paths must agree.
        const int n = 600;
        const int d = 48;
        const int k = 12;
        var (xs, cs) = NearTies(n, d, k, 13, 0f);
        using var x = tensor(xs, new long[] { n, d });
        using var c = tensor(cs, new long[] { k, d });
        using var fused = new KMeansModel(new KMeansOptions { Clusters = k, MaxIterations = 1, Kernel = KMeansKernel.Fused });
        fused.Fit(x, c);
        using var centres = fused.GetCenters();
        var ctArr = centres.data<float>().ToArray();
        var (refT, _) = Reference(xs, ctArr, d);
        using var pf = fused.Predict(x);
        Assert.Equal(refT, pf.data<long>().ToArray());
        // The libtorch path's decision on the same centres (KMeans.Assign's ops).
        using var cNorm = centres.pow(2).sum(1).unsqueeze(0);
        using var scores = addmm(cNorm, x, centres.t(), beta: 1, alpha: -2);
        var (minValues, minIndexes) = scores.min(1);
        minValues.Dispose();
        var lt = minIndexes.data<long>().ToArray();
        minIndexes.Dispose();
        var disagreements = 0;
        for (var r = 0; r < n; r++)
        {
            if (lt[r] == refT[r])
            {
                continue;
            }

            disagreements++;
            // Float64 squared distances to both picks: their gap must be inside float32 noise for this row.
            double Dist(long j)
            {
                var s = 0.0;
                for (var f = 0; f < d; f++)
                {
                    var diff = (double)xs[(r * d) + f] - ctArr[(j * d) + f];
                    s += diff * diff;
                }

                return s;
            }

            var norm = 0.0;
            for (var f = 0; f < d; f++)
            {
                norm += (double)xs[(r * d) + f] * xs[(r * d) + f];
            }

            Assert.True(Math.Abs(Dist(lt[r]) - Dist(refT[r])) <= 1e-5 * (norm + 1), $"row {r}: libtorch {lt[r]} vs float64 {refT[r]}");
        }

        Assert.True(disagreements < n / 2, $"{disagreements} disagreements");
    }

    [Fact]
    public void Fit_SeparatedBlobs_FusedAndTorchKernelsAgree()
    {
        manual_seed(21);
        using var centres = randn(10, 24) * 6;
        using var labelsTrue = randint(10, 3000, dtype: ScalarType.Int64);
        using var x = centres.index_select(0, labelsTrue) + randn(3000, 24);
        using var init = x.narrow(0, 0, 10).clone();
        var results = new List<(double Inertia, int Iterations, long[] Labels, Tensor Centres)>();
        foreach (var kernel in new[] { KMeansKernel.Torch, KMeansKernel.Fused, KMeansKernel.Fused256 })
        {
            using var km = new KMeansModel(new KMeansOptions { Clusters = 10, Kernel = kernel });
            km.Fit(x, init);
            using var p = km.Predict(x);
            results.Add((km.Inertia, km.Iterations, p.data<long>().ToArray(), km.GetCenters()));
        }

        for (var i = 1; i < results.Count; i++)
        {
            Assert.Equal(results[0].Labels, results[i].Labels);
            Assert.Equal(results[0].Iterations, results[i].Iterations);
            Assert.Equal(results[0].Inertia, results[i].Inertia, 1e-5 * results[0].Inertia);
            TensorAssert.Close(results[0].Centres, results[i].Centres, 1e-4, 1e-4);
        }

        results.ForEach(r => r.Centres.Dispose());
    }

    [Fact]
    public void Fit_Float64Data_LibtorchPathSameClustersAsFloat32Fused()
    {
        manual_seed(23);
        using var centres = randn(6, 16) * 8;
        using var labelsTrue = randint(6, 900, dtype: ScalarType.Int64);
        using var x = centres.index_select(0, labelsTrue) + randn(900, 16);
        using var x64 = x.to(ScalarType.Float64);
        using var init = x.narrow(0, 0, 6).clone();
        using var fused = new KMeansModel(new KMeansOptions { Clusters = 6 }).Fit(x, init);
        using var viaTorch = new KMeansModel(new KMeansOptions { Clusters = 6 }).Fit(x64, init);
        using var pf = fused.Predict(x);
        using var pt = viaTorch.Predict(x64);
        Assert.Equal(pf.data<long>().ToArray(), pt.data<long>().ToArray());
        Assert.Equal(viaTorch.Inertia, fused.Inertia, 1e-5 * viaTorch.Inertia);
        using var ct = viaTorch.GetCenters();
        Assert.Equal(ScalarType.Float64, ct.dtype);
    }

    [Fact]
    public void Fit_FusedEmptyCluster_ReseededFromFarthestPoint()
    {
        using var x = tensor(new float[] { 0, 0, 1, 0, 0, 1, 10, 10, 11, 10 }, new long[] { 5, 2 });
        using var init = tensor(new float[] { 0, 0, 10, 10, 500, 500 }, new long[] { 3, 2 });
        foreach (var kernel in new[] { KMeansKernel.Fused, KMeansKernel.Torch })
        {
            using var km = new KMeansModel(new KMeansOptions { Clusters = 3, Kernel = kernel });
            km.Fit(x, init);
            using var c = km.GetCenters();
            TensorAssert.Finite(c);
            Assert.Equal(5, km.ClusterSizes.Sum());
            Assert.DoesNotContain(0L, km.ClusterSizes);
        }
    }

    [Fact]
    public void Fit_FusedKernel_NoTensorLeaksAndInputUntouched()
    {
        manual_seed(22);
        using var x = randn(500, 20);
        using var copy = x.clone();
        using var km = new KMeansModel(new KMeansOptions { Clusters = 7, Kernel = KMeansKernel.Fused });
        km.Fit(x);
        TensorLeaks.AssertNone(() => km.Fit(x));
        TensorLeaks.AssertNone(() => km.Predict(x).Dispose());
        TensorLeaks.AssertNone(() => km.Score(x));
        TensorAssert.Close(copy, x, 0, 0);
        Assert.Throws<ArgumentException>(() => new KMeansModel(new KMeansOptions { Kernel = (KMeansKernel)42 }));
    }
}
