using CausalVision.Graph.Conv;
using CausalVision.Graph.Readout;

namespace CausalVision.Graph.Tests.Conv;

public sealed class GcnEncoderTests
{
    [Fact]
    public void Options_Defaults_ArePinned()
    {
        var o = new GcnEncoderOptions();
        Assert.Equal(0, o.InFeatures);
        Assert.Equal(128, o.HiddenFeatures);
        Assert.Equal(1, o.Layers);
        Assert.Equal(GcnNorm.BatchNorm, o.Norm);
        Assert.Equal(ReadoutKind.Sum, o.Readout);
        Assert.Equal(128, o.AttentionHidden);
        Assert.Equal(1.0, o.SelfLoopWeight);
        Assert.Equal(GcnPropagation.Auto, o.Propagation);
        Assert.Equal(0.01, o.SparseDensityThreshold);
        Assert.True(o.Bias);
    }

    [Fact]
    public void Build_InvalidOptions_Throws()
    {
        Assert.Contains("GcnEncoderOptions.InFeatures", Assert.Throws<ArgumentException>(() => new GcnEncoder(new GcnEncoderOptions())).Message);
        Assert.Contains("GcnEncoderOptions.Layers", Assert.Throws<ArgumentException>(() => new GcnEncoder(new GcnEncoderOptions { InFeatures = 2, Layers = 0 })).Message);
        Assert.Contains("GcnEncoderOptions.SparseDensityThreshold", Assert.Throws<ArgumentException>(() => new GcnEncoder(new GcnEncoderOptions { InFeatures = 2, SparseDensityThreshold = 3 })).Message);
    }

    [Fact]
    public void Forward_NoNormOneLayer_EqualsReluGcnThenSum()
    {
        manual_seed(0);
        using var encoder = new GcnEncoder(new GcnEncoderOptions { InFeatures = 4, HiddenFeatures = 3, Norm = GcnNorm.None });
        using var conv = new GcnConv(4, 3);
        conv.load_state_dict(encoder.state_dict().Where(kv => kv.Key.StartsWith("convs.0.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["convs.0.".Length..], kv => kv.Value));
        using var g = TestGraphs.RandomBatch();
        using var y = encoder.call(g);
        using var h = conv.call(g).relu();
        using var expected = (h * g.Mask.unsqueeze(2)).sum(1);
        TensorAssert.Close(expected, y, 1e-6);
    }

    [Theory]
    [InlineData(GcnNorm.BatchNorm, ReadoutKind.Sum)]
    [InlineData(GcnNorm.LayerNorm, ReadoutKind.Mean)]
    [InlineData(GcnNorm.None, ReadoutKind.Max)]
    [InlineData(GcnNorm.BatchNorm, ReadoutKind.Attention)]
    public void Forward_PaddedBatch_EqualsUnpaddedGraph(GcnNorm norm, ReadoutKind readout)
    {
        // BatchNorm statistics use real nodes only, so extra padding changes nothing (training mode too).
        manual_seed(1);
        using var encoder = new GcnEncoder(new GcnEncoderOptions { InFeatures = 1, HiddenFeatures = 4, Layers = 2, Norm = norm, Readout = readout, AttentionHidden = 3 });
        using var x = TestGraphs.Path4Features();
        using var adj = TestGraphs.Path4Adjacency();
        using var clean = encoder.call(x, adj, null);
        using var padX = cat(new[] { x, zeros(1, 2, 1) }, 1);
        using var padA = zeros(1, 6, 6);
        padA[0, TensorIndex.Slice(0, 4), TensorIndex.Slice(0, 4)] = adj[0];
        using var mask = tensor(new[] { true, true, true, true, false, false }, new long[] { 1, 6 });
        using var y = encoder.call(padX, padA, mask);
        TensorAssert.Close(clean, y, 1e-5);
        using var nodes = encoder.EncodeNodes(padX, padA, mask);
        TensorAssert.Values(new float[8], nodes[.., 4..]);
    }

    [Fact]
    public void StateDict_RoundTrip_Backward_NoLeaks()
    {
        manual_seed(2);
        var options = new GcnEncoderOptions { InFeatures = 4, HiddenFeatures = 5, Layers = 2, Readout = ReadoutKind.Attention, AttentionHidden = 3 };
        using var source = new GcnEncoder(options);
        manual_seed(3);
        using var target = new GcnEncoder(options);
        target.load(new MemoryStream(TestGraphs.Save(source)));
        source.eval();
        target.eval();
        using var g = TestGraphs.RandomBatch();
        using var a = source.call(g);
        using var b = target.call(g);
        TensorAssert.Close(a, b, 0, 0);
        source.train();
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            source.call(g).sum().backward();
        });
        foreach (var (name, p) in source.named_parameters())
        {
            Assert.True(p.grad is not null, $"{name} got no gradient");
        }
    }
}
