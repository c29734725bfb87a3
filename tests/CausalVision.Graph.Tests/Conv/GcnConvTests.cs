using CausalVision.Graph.Conv;

namespace CausalVision.Graph.Tests.Conv;

public sealed class GcnConvTests
{
    [Fact]
    public void Ctor_Defaults_ArePinned()
    {
        using var conv = new GcnConv(3, 5);
        Assert.Equal(1.0, conv.SelfLoopWeight);
        Assert.Equal(GcnPropagation.Auto, conv.Propagation);
        Assert.Equal(0.01, conv.SparseDensityThreshold);
        Assert.True(conv.CheckContents);
        var keys = conv.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "bias", "lin.weight" }, keys); // PyG GCNConv's keys
        TensorAssert.Shape(conv.state_dict()["lin.weight"], 5, 3);
        TensorAssert.Values(new float[5], conv.state_dict()["bias"]);
    }

    [Fact]
    public void Forward_HandGraph_EqualsNormalisedProductTimesWeightPlusBias()
    {
        // Θ = [[2], [-1]] (1 -> 2 features), b = [0.5, 1]: out = Â x Θᵀ + b with Â from the hand-checked Normalize.
        using var conv = new GcnConv(1, 2);
        using (no_grad())
        {
            conv.state_dict()["lin.weight"].copy_(tensor(new float[] { 2, -1 }, new long[] { 2, 1 }));
            conv.state_dict()["bias"].copy_(tensor(new float[] { 0.5f, 1 }));
        }

        using var adj = TestGraphs.Path4Adjacency();
        using var x = TestGraphs.Path4Features();
        using var y = conv.call(x, adj, null);
        var s8 = Math.Sqrt(8);
        var ax = new[] { 0.5 + (2 / s8), (1 / s8) + 2, 1.75 + (4 / s8), (3 / s8) + 2 };
        var expected = ax.SelectMany(v => new[] { (float)((2 * v) + 0.5), (float)(-v + 1) }).ToArray();
        TensorAssert.Values(expected, y, 1e-5);
    }

    [Fact]
    public void Forward_PaddedGraph_EqualsUnpaddedAndZeroOnPadding()
    {
        manual_seed(1);
        using var conv = new GcnConv(1, 3);
        using var adj = TestGraphs.Path4Adjacency();
        using var x = TestGraphs.Path4Features();
        using var clean = conv.call(x, adj, null);
        using var padX = cat(new[] { x, zeros(1, 3, 1) }, 1);
        using var padA = zeros(1, 7, 7);
        padA[0, TensorIndex.Slice(0, 4), TensorIndex.Slice(0, 4)] = adj[0];
        using var mask = tensor(new[] { true, true, true, true, false, false, false }, new long[] { 1, 7 });
        using var y = conv.call(padX, padA, mask);
        TensorAssert.Close(clean, y[.., ..4], 1e-6);
        TensorAssert.Values(new float[9], y[.., 4..]); // the bias is not added to padding
    }

    [Fact]
    public void Forward_SparseAndDense_Agree()
    {
        manual_seed(2);
        using var dense = new GcnConv(4, 6, propagation: GcnPropagation.Dense);
        using var sparse = new GcnConv(4, 6, propagation: GcnPropagation.Sparse);
        sparse.load_state_dict(dense.state_dict());
        var (x, adj, mask) = TestGraphs.RandomPadded(4, seed: 9);
        using (x)
        using (adj)
        using (mask)
        {
            using var a = dense.call(x, adj, mask);
            using var b = sparse.call(x, adj, mask);
            TensorAssert.Close(a, b, 1e-5);
        }
    }

    [Fact]
    public void Backward_ReachesEveryParameterAndTheEdgeWeights()
    {
        manual_seed(3);
        using var conv = new GcnConv(4, 3);
        var (x, adj, mask) = TestGraphs.RandomPadded(4, seed: 4);
        using (x)
        using (mask)
        using (var a = adj.requires_grad_(true))
        {
            using (var scope = NewDisposeScope())
            {
                conv.call(x, a, mask).square().sum().backward();
            }

            foreach (var (name, p) in conv.named_parameters())
            {
                Assert.NotNull(p.grad);
                Assert.True(p.grad!.abs().sum().item<float>() > 0, $"{name} got a zero gradient");
            }

            Assert.True(a.grad!.abs().sum().item<float>() > 0);
        }
    }

    [Fact]
    public void StateDict_RoundTrip_ReproducesOutput()
    {
        manual_seed(5);
        using var source = new GcnConv(4, 3);
        manual_seed(6);
        using var target = new GcnConv(4, 3);
        target.load(new MemoryStream(TestGraphs.Save(source)));
        using var g = TestGraphs.RandomBatch();
        using var a = source.call(g);
        using var b = target.call(g);
        TensorAssert.Close(a, b, 0, 0);
    }

    [Fact]
    public void ResetParameters_ZeroesBiasAndRedrawsWeight()
    {
        manual_seed(7);
        using var conv = new GcnConv(4, 3);
        using (no_grad())
        {
            conv.state_dict()["bias"].fill_(3f);
        }

        using var before = conv.state_dict()["lin.weight"].clone();
        conv.reset_parameters();
        TensorAssert.Values(new float[3], conv.state_dict()["bias"]);
        Assert.False(before.allclose(conv.state_dict()["lin.weight"]));
        var bound = Math.Sqrt(6.0 / (4 + 3)); // Glorot uniform bound
        Assert.True(conv.state_dict()["lin.weight"].abs().max().item<float>() <= bound);
    }

    [Fact]
    public void ForwardBackward_NoLeaks()
    {
        using var conv = new GcnConv(4, 3);
        using var g = TestGraphs.RandomBatch();
        TensorLeaks.AssertNone(() =>
        {
            using var y = conv.call(g);
        });
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            conv.call(g).sum().backward();
        });
    }

    [Fact]
    public void Forward_BadInput_Throws()
    {
        using var conv = new GcnConv(4, 3);
        using var g = TestGraphs.RandomBatch(features: 5);
        Assert.Contains("expects 4", Assert.Throws<ArgumentException>(() => conv.call(g)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GcnConv(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GcnConv(3, 3, sparseDensityThreshold: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GcnConv(3, 3, selfLoopWeight: double.NaN));
    }
}
