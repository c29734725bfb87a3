using CausalVision.Graph.Masks;

namespace CausalVision.Graph.Tests.Masks;

public sealed class NodeMaskTests
{
    [Fact]
    public void Forward_IsSoftmaxOfLinear_ZeroOnPadding()
    {
        manual_seed(0);
        using var nodeMask = new NodeMask(3);
        using var x = randn(2, 4, 3);
        using var mask = tensor(new[] { true, true, true, true, true, false, false, false }, new long[] { 2, 4 });
        using var m = nodeMask.call(x, mask);
        TensorAssert.Shape(m, 2, 4, 2);
        var sd = nodeMask.state_dict();
        using var reference = nn.functional.linear(x, sd["lin.weight"], sd["lin.bias"]).softmax(-1) * mask.unsqueeze(2);
        TensorAssert.Close(reference, m, 1e-6);
        using var sums = m.sum(-1);
        TensorAssert.Values(new float[] { 1, 1, 1, 1, 1, 0, 0, 0 }, sums, 1e-6);
    }

    [Fact]
    public void Forward_BadInput_Throws()
    {
        using var nodeMask = new NodeMask(3);
        using var x = randn(2, 4, 5);
        Assert.Contains("must be 3", Assert.Throws<ArgumentException>(() => nodeMask.call(x, null)).Message);
        using var nan = full(1, 2, 3, float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => nodeMask.call(nan, null)).Message);
    }
}
