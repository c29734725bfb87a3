using CausalVision.Graph.Conv;

namespace CausalVision.Graph.Tests.Conv;

public sealed class GcnTests
{
    // Hand computation (Kipf & Welling eq. 2) for the weighted path 0-1-2-3 (weights 1, 2, 1), self loops 1:
    // degrees with loops d = [2, 4, 4, 2]; Â_ij = Ã_ij / sqrt(d_i d_j).
    private static readonly double[] Degrees = { 2, 4, 4, 2 };

    private static double Expected(int i, int j, double[,] a, double loop = 1.0, double[]? degrees = null)
    {
        var d = degrees ?? Degrees;
        var w = a[i, j] + (i == j ? loop : 0);
        return w / Math.Sqrt(d[i] * d[j]);
    }

    private static readonly double[,] Path = { { 0, 1, 0, 0 }, { 1, 0, 2, 0 }, { 0, 2, 0, 1 }, { 0, 0, 1, 0 } };

    [Fact]
    public void Normalize_WeightedPath_MatchesHandComputation()
    {
        using var adj = TestGraphs.Path4Adjacency();
        using var norm = Gcn.Normalize(adj);
        var expected = new float[16];
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                expected[(i * 4) + j] = (float)Expected(i, j, Path);
            }
        }

        // Spot values: Â_00 = 1/2, Â_01 = 1/sqrt(8), Â_12 = 2/4.
        Assert.Equal(0.5f, expected[0], 6);
        Assert.Equal((float)(1 / Math.Sqrt(8)), expected[1], 6);
        Assert.Equal(0.5f, expected[6], 6);
        TensorAssert.Values(expected, norm, 1e-6);
    }

    [Fact]
    public void Propagate_WeightedPath_MatchesHandComputation()
    {
        using var adj = TestGraphs.Path4Adjacency();
        using var x = TestGraphs.Path4Features();
        using var y = Gcn.Propagate(x, adj, propagation: GcnPropagation.Dense);
        var s8 = Math.Sqrt(8);
        // out_0 = 1/2·1 + 1/√8·2; out_1 = 1/√8·1 + 1/4·2 + 2/4·3; out_2 = 2/4·2 + 1/4·3 + 1/√8·4; out_3 = 1/√8·3 + 1/2·4.
        var expected = new[] { 0.5 + (2 / s8), (1 / s8) + 0.5 + 1.5, 1 + 0.75 + (4 / s8), (3 / s8) + 2 };
        TensorAssert.Values(expected.Select(v => (float)v).ToArray(), y, 1e-5);
    }

    [Fact]
    public void Propagate_EdgeWeights_AreRespected()
    {
        // Doubling one edge weight changes the result exactly as the formula says.
        using var adj = TestGraphs.Path4Adjacency();
        using var x = TestGraphs.Path4Features();
        adj[0, 0, 1] = 3f;
        adj[0, 1, 0] = 3f;
        var d = new double[] { 4, 6, 4, 2 };
        var a = new double[,] { { 0, 3, 0, 0 }, { 3, 0, 2, 0 }, { 0, 2, 0, 1 }, { 0, 0, 1, 0 } };
        var expected = new float[4];
        for (var i = 0; i < 4; i++)
        {
            double sum = 0;
            for (var j = 0; j < 4; j++)
            {
                sum += Expected(i, j, a, 1.0, d) * (j + 1);
            }

            expected[i] = (float)sum;
        }

        using var y = Gcn.Propagate(x, adj);
        TensorAssert.Values(expected, y, 1e-5);
    }

    [Fact]
    public void Normalize_SelfLoopWeight_IsConfigurable()
    {
        // With w = 2 (PyG's improved GCN) an isolated node keeps Â_ii = 2 / 2 = 1; with w = 0 it gets 0 (no NaN).
        using var adj = zeros(1, 2, 2);
        using var two = Gcn.Normalize(adj, selfLoopWeight: 2.0);
        using var none = Gcn.Normalize(adj, selfLoopWeight: 0.0);
        TensorAssert.Values(new float[] { 1, 0, 0, 1 }, two);
        TensorAssert.Values(new float[] { 0, 0, 0, 0 }, none);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    [InlineData(2.0)]
    public void Propagate_DenseAndSparse_AgreeInValueAndGradient(double selfLoopWeight)
    {
        var (x, adj, mask) = TestGraphs.RandomPadded(features: 5, seed: 3);
        using (x)
        using (adj)
        using (mask)
        {
            Tensor Run(GcnPropagation mode, out Tensor gx, out Tensor ga)
            {
                using var xr = x.detach().requires_grad_(true);
                using var ar = adj.detach().requires_grad_(true);
                using var scope = NewDisposeScope();
                var y = Gcn.Propagate(xr, ar, mask, selfLoopWeight, mode);
                (y * arange(y.numel()).reshape(y.shape).sin()).sum().backward();
                gx = xr.grad!.clone().MoveToOuterDisposeScope();
                ga = (ar.grad! * adj.ne(0)).MoveToOuterDisposeScope(); // the sparse path has no gradient at absent edges
                return y.detach().MoveToOuterDisposeScope();
            }

            using var dense = Run(GcnPropagation.Dense, out var gxd, out var gad);
            using var sparse = Run(GcnPropagation.Sparse, out var gxs, out var gas);
            TensorAssert.Close(dense, sparse, 1e-5);
            TensorAssert.Close(gxd, gxs, 1e-5);
            TensorAssert.Close(gad, gas, 1e-5);
            foreach (var t in new[] { gxd, gxs, gad, gas })
            {
                t.Dispose();
            }
        }
    }

    [Fact]
    public void Propagate_Auto_PicksSparseForLowDensity_SameValues()
    {
        var (x, adj, mask) = TestGraphs.RandomPadded(features: 3, seed: 5, density: 0.05);
        using (x)
        using (adj)
        using (mask)
        {
            using var auto = Gcn.Propagate(x, adj, mask, propagation: GcnPropagation.Auto, sparseDensityThreshold: 1.0);
            using var dense = Gcn.Propagate(x, adj, mask, propagation: GcnPropagation.Dense);
            TensorAssert.Close(dense, auto, 1e-5);
        }
    }

    [Fact]
    public void Propagate_PaddingGarbage_IsIgnored()
    {
        // Garbage features and edges on padded nodes must not reach real nodes; padded rows are zero.
        using var adj = TestGraphs.Path4Adjacency();
        using var x = TestGraphs.Path4Features();
        using var clean = Gcn.Propagate(x, adj);
        using var padX = cat(new[] { x, full(1, 2, 1, 100f) }, 1);
        using var padA = ones(1, 6, 6) * 7f;
        padA[0, TensorIndex.Slice(0, 4), TensorIndex.Slice(0, 4)] = adj[0];
        using var mask = tensor(new[] { true, true, true, true, false, false }, new long[] { 1, 6 });
        foreach (var mode in new[] { GcnPropagation.Dense, GcnPropagation.Sparse })
        {
            using var y = Gcn.Propagate(padX, padA, mask, propagation: mode);
            TensorAssert.Close(clean, y[.., ..4], 1e-6);
            TensorAssert.Values(new float[] { 0, 0 }, y[.., 4..]);
        }
    }

    [Fact]
    public void Propagate_NoLeaks()
    {
        var (x, adj, mask) = TestGraphs.RandomPadded();
        using (x)
        using (adj)
        using (mask)
        {
            foreach (var mode in new[] { GcnPropagation.Dense, GcnPropagation.Sparse, GcnPropagation.Auto })
            {
                TensorLeaks.AssertNone(() =>
                {
                    using var y = Gcn.Propagate(x, adj, mask, propagation: mode);
                    using var n = Gcn.Normalize(adj, mask);
                });
            }
        }
    }

    [Fact]
    public void Propagate_BadInput_ThrowsWithClearMessage()
    {
        using var adj = TestGraphs.Path4Adjacency();
        using var x = TestGraphs.Path4Features();
        using var x2 = zeros(4, 1);
        Assert.Contains("[B, N, F]", Assert.Throws<ArgumentException>(() => Gcn.Propagate(x2, adj)).Message);
        using var adj5 = zeros(1, 5, 5);
        Assert.Contains("must have shape [1, 4, 4]", Assert.Throws<ArgumentException>(() => Gcn.Propagate(x, adj5)).Message);
        using var nan = x.clone();
        nan[0, 1, 0] = float.NaN;
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() => Gcn.Propagate(nan, adj)).Message);
        using var neg = adj.clone();
        neg[0, 0, 1] = -1f;
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => Gcn.Propagate(x, neg)).Message);
        using var floatMask = ones(1, 4);
        Assert.Contains("bool", Assert.Throws<ArgumentException>(() => Gcn.Propagate(x, adj, floatMask)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gcn.Propagate(x, adj, selfLoopWeight: -1));
        using var adjD = adj.to(ScalarType.Float64);
        Assert.Contains("dtype", Assert.Throws<ArgumentException>(() => Gcn.Propagate(x, adjD)).Message);
    }
}
