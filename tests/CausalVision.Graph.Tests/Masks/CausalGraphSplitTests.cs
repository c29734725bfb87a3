using CausalVision.Graph.Conv;
using CausalVision.Graph.Hetero;
using CausalVision.Graph.Masks;

namespace CausalVision.Graph.Tests.Masks;

public sealed class CausalGraphSplitTests
{
    [Fact]
    public void Forward_CausalPlusComplement_EqualsOriginal()
    {
        manual_seed(0);
        using var split = new CausalGraphSplit(4);
        using var g = TestGraphs.RandomBatch(features: 4, seed: 1);
        using var r = split.call(g);
        using var sumX = r.Causal.X + r.Trivial.X;
        using var sumA = r.Causal.Adjacency + r.Trivial.Adjacency;
        TensorAssert.Close(g.X, sumX, 1e-6);
        TensorAssert.Close(g.Adjacency, sumA, 1e-6);

        // G_c is exactly (A ⊙ M_A, X ⊙ M_X) with M = column 1 of the masks (eq. 10).
        using var expectedX = g.X * r.NodeMask[.., .., 1].unsqueeze(2);
        using var expectedA = g.Adjacency * r.EdgeMask[.., .., .., 1];
        TensorAssert.Close(expectedX, r.Causal.X, 1e-7);
        TensorAssert.Close(expectedA, r.Causal.Adjacency, 1e-7);
    }

    [Fact]
    public void Forward_Padding_IsMaskedToZeroInBothGraphs()
    {
        manual_seed(2);
        using var split = new CausalGraphSplit(4);
        using var g = TestGraphs.RandomBatch(features: 4, seed: 2);
        using var r = split.call(g);
        using var pad = g.Mask.logical_not();
        foreach (var t in new[] { r.Causal.X, r.Trivial.X })
        {
            Assert.Equal(0f, t.index(pad).abs().sum().item<float>());
        }

        Assert.Equal(0f, r.NodeMask.index(pad).abs().sum().item<float>());
        using var padPairs = pad.unsqueeze(2).logical_or(pad.unsqueeze(1));
        Assert.Equal(0f, r.EdgeMask.index(padPairs).abs().sum().item<float>());
        using var sameMask = r.Causal.Mask.eq(g.Mask).all();
        using var sameTypes = r.Trivial.NodeTypes.eq(g.NodeTypes).all();
        Assert.True(sameMask.item<bool>());
        Assert.True(sameTypes.item<bool>());
    }

    [Fact]
    public void Backward_ThroughBothBranchEncoders_ReachesMaskAndEveryGcnParameter()
    {
        manual_seed(3);
        using var split = new CausalGraphSplit(4);
        var options = new GcnEncoderOptions { InFeatures = 4, HiddenFeatures = 8, Layers = 2 };
        using var causalEncoder = new GcnEncoder(options);
        using var trivialEncoder = new GcnEncoder(options);
        using var g = TestGraphs.RandomBatch(features: 4, seed: 3);
        using (var scope = NewDisposeScope())
        {
            using var r = split.call(g);
            var fc = causalEncoder.call(r.Causal);
            var fn = trivialEncoder.call(r.Trivial);
            (fc.sin().sum() + fn.cos().sum()).backward();
        }

        foreach (var module in new nn.Module[] { split, causalEncoder, trivialEncoder })
        {
            foreach (var (name, p) in module.named_parameters())
            {
                Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"{module.GetName()}.{name} got no gradient");
            }
        }
    }

    [Fact]
    public void Forward_PaddedGraph_EqualsUnpadded()
    {
        manual_seed(4);
        using var split = new CausalGraphSplit(1);
        using var one = new HeteroGraphBatch(TestGraphs.Path4Features(), zeros(new long[] { 1, 4 }, ScalarType.Int64), TestGraphs.Path4Adjacency());
        using var x = TestGraphs.Path4Features();
        using var adj = TestGraphs.Path4Adjacency();
        using var padded = HeteroGraphBatch.Pad(new[] { new HeteroGraph(x[0], zeros(4, ScalarType.Int64), adj[0]), new HeteroGraph(ones(6, 1), zeros(6, ScalarType.Int64), zeros(6, 6)) });
        using var a = split.call(one);
        using var b = split.call(padded);
        TensorAssert.Close(a.Causal.X, b.Causal.X[..1, ..4], 1e-6);
        TensorAssert.Close(a.Trivial.Adjacency, b.Trivial.Adjacency[..1, ..4, ..4], 1e-6);
    }

    [Fact]
    public void StateDict_RoundTrip_And_NoLeaks()
    {
        manual_seed(5);
        using var source = new CausalGraphSplit(4);
        manual_seed(6);
        using var target = new CausalGraphSplit(4);
        var keys = source.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "edge_mask.lin.bias", "edge_mask.lin.weight", "node_mask.lin.bias", "node_mask.lin.weight" }, keys);
        target.load(new MemoryStream(TestGraphs.Save(source)));
        using var g = TestGraphs.RandomBatch();
        using var a = source.call(g);
        using var b = target.call(g);
        TensorAssert.Close(a.EdgeMask, b.EdgeMask, 0, 0);
        TensorAssert.Close(a.NodeMask, b.NodeMask, 0, 0);
        TensorLeaks.AssertNone(() =>
        {
            using var r = source.call(g);
        });
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            using var r = source.call(g);
            (r.Causal.X.sum() + r.Trivial.Adjacency.sum()).backward();
        });
    }

    [Fact]
    public void Forward_BadMaskFeatures_Throws()
    {
        using var split = new CausalGraphSplit(4);
        using var g = TestGraphs.RandomBatch();
        using var wrongN = zeros(3, 5, 4);
        Assert.Contains("match the graph", Assert.Throws<ArgumentException>(() => split.call(g, wrongN)).Message);
        using var wrongH = zeros(3, 7, 6);
        Assert.Contains("must be 4", Assert.Throws<ArgumentException>(() => split.call(g, wrongH)).Message);
    }
}
