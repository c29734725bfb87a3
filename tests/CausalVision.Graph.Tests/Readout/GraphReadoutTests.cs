using CausalVision.Graph.Readout;

namespace CausalVision.Graph.Tests.Readout;

public sealed class GraphReadoutTests
{
    // Graph 0: nodes [1, 2], [3, -4] and a padded node with garbage [100, 100]; graph 1: no real node.
    private static (Tensor X, Tensor Mask) Hand()
    {
        var x = tensor(new float[] { 1, 2, 3, -4, 100, 100, 5, 5, 6, 6, 7, 7 }, new long[] { 2, 3, 2 });
        var mask = tensor(new[] { true, true, false, false, false, false }, new long[] { 2, 3 });
        return (x, mask);
    }

    [Theory]
    [InlineData(ReadoutKind.Sum, new float[] { 4, -2, 0, 0 })]
    [InlineData(ReadoutKind.Mean, new float[] { 2, -1, 0, 0 })]
    [InlineData(ReadoutKind.Max, new float[] { 3, 2, 0, 0 })]
    public void Forward_HandValues_IgnorePaddingAndEmptyGraphIsZero(ReadoutKind kind, float[] expected)
    {
        var (x, mask) = Hand();
        using (x)
        using (mask)
        using (var readout = new GraphReadout(kind))
        using (var y = readout.call(x, mask))
        {
            TensorAssert.Values(expected, y);
        }
    }

    [Fact]
    public void Attention_ZeroScoringVector_IsTheMean()
    {
        // With w = 0 every real node gets the same score, so the softmax is uniform over real nodes.
        var (x, mask) = Hand();
        using (x)
        using (mask)
        using (var readout = new GraphReadout(ReadoutKind.Attention, features: 2, attentionHidden: 4))
        {
            using (no_grad())
            {
                readout.state_dict()["attention.attention_w.weight"].zero_();
            }

            using var y = readout.call(x, mask);
            TensorAssert.Values(new float[] { 2, -1, 0, 0 }, y);
        }
    }

    [Fact]
    public void Attention_Weights_SumToOneOverRealNodesAndZeroOnPadding()
    {
        manual_seed(0);
        var (x, mask) = Hand();
        using (x)
        using (mask)
        using (var attention = new GatedAttentionReadout(2, 8))
        using (var w = attention.Weights(x, mask))
        {
            Assert.Equal(1.0f, w[0].sum().item<float>(), 5);
            Assert.Equal(0.0f, w[0, 2].item<float>());
            TensorAssert.Values(new float[3], w[1]);
        }
    }

    [Theory]
    [InlineData(ReadoutKind.Sum)]
    [InlineData(ReadoutKind.Mean)]
    [InlineData(ReadoutKind.Max)]
    [InlineData(ReadoutKind.Attention)]
    public void Forward_PaddedGraph_EqualsUnpadded(ReadoutKind kind)
    {
        manual_seed(1);
        using var readout = new GraphReadout(kind, features: 3, attentionHidden: 5);
        using var x = randn(1, 4, 3);
        using var clean = readout.call(x, null);
        using var padded = cat(new[] { x, randn(1, 2, 3) * 50 }, 1);
        using var mask = tensor(new[] { true, true, true, true, false, false }, new long[] { 1, 6 });
        using var y = readout.call(padded, mask);
        TensorAssert.Close(clean, y, 1e-5);
    }

    [Fact]
    public void Attention_BackwardAndStateDict_RoundTrip()
    {
        manual_seed(2);
        using var source = new GraphReadout(ReadoutKind.Attention, features: 3, attentionHidden: 5);
        using var x = randn(2, 4, 3);
        using var mask = tensor(new[] { true, true, true, false, true, true, false, false }, new long[] { 2, 4 });
        using (var scope = NewDisposeScope())
        {
            source.call(x, mask).square().sum().backward();
        }

        foreach (var (name, p) in source.named_parameters())
        {
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"{name} got no gradient");
        }

        manual_seed(3);
        using var target = new GraphReadout(ReadoutKind.Attention, features: 3, attentionHidden: 5);
        target.load(new MemoryStream(TestGraphs.Save(source)));
        using var a = source.call(x, mask);
        using var b = target.call(x, mask);
        TensorAssert.Close(a, b, 0, 0);
        TensorLeaks.AssertNone(() =>
        {
            using var y = source.call(x, mask);
        });
    }

    [Fact]
    public void Readouts_NoLeaks()
    {
        var (x, mask) = Hand();
        using (x)
        using (mask)
        {
            TensorLeaks.AssertNone(() =>
            {
                using var s = GraphReadout.SumPool(x, mask);
                using var m = GraphReadout.MeanPool(x, mask);
                using var mx = GraphReadout.MaxPool(x, mask);
                using var m2 = GraphReadout.MeanPool(x, null);
                using var mx2 = GraphReadout.MaxPool(x, null);
            });
        }
    }

    [Fact]
    public void Ctor_And_Forward_BadInput_Throw()
    {
        Assert.Contains("feature width", Assert.Throws<ArgumentOutOfRangeException>(() => new GraphReadout(ReadoutKind.Attention)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GraphReadout((ReadoutKind)42));
        using var x = zeros(2, 3);
        Assert.Contains("[B, N, F]", Assert.Throws<ArgumentException>(() => GraphReadout.SumPool(x, null)).Message);
        using var x3 = zeros(2, 3, 4);
        using var badMask = ones(new long[] { 2, 4 }, ScalarType.Bool);
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => GraphReadout.MeanPool(x3, badMask)).Message);
        using var inf = full(1, 2, 3, float.PositiveInfinity);
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() => GraphReadout.MaxPool(inf, null)).Message);
        using var attention = new GatedAttentionReadout(5);
        Assert.Contains("expects 5", Assert.Throws<ArgumentException>(() => attention.call(x3, null)).Message);
    }
}
