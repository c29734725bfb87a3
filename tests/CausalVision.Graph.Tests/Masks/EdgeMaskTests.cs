using CausalVision.Graph.Masks;

namespace CausalVision.Graph.Tests.Masks;

public sealed class EdgeMaskTests
{
    [Fact]
    public void Forward_EqualsLinearOnConcatenatedEndpoints_ForEveryPair()
    {
        manual_seed(1);
        using var edgeMask = new EdgeMask(3);
        using var x = randn(2, 4, 3);
        using var mask = tensor(new[] { true, true, true, true, true, true, true, false }, new long[] { 2, 4 });
        using var m = edgeMask.call(x, mask);
        TensorAssert.Shape(m, 2, 4, 4, 2);
        var sd = edgeMask.state_dict();
        using var scope = NewDisposeScope();
        for (var b = 0; b < 2; b++)
        {
            for (var i = 0; i < 4; i++)
            {
                for (var j = 0; j < 4; j++)
                {
                    // Slow reference: Linear(2h -> 2) on [x_i; x_j], softmax; zero where i or j is padding.
                    var pair = cat(new[] { x[b, i], x[b, j] }, 0);
                    var expected = nn.functional.linear(pair, sd["lin.weight"], sd["lin.bias"]).softmax(-1);
                    var real = mask[b, i].item<bool>() && mask[b, j].item<bool>();
                    TensorAssert.Close(real ? expected : zeros(2), m[b, i, j], 1e-6);
                }
            }
        }
    }

    [Fact]
    public void Forward_NoLeaks_AndBadInputThrows()
    {
        using var edgeMask = new EdgeMask(3);
        using var x = randn(2, 4, 3);
        TensorLeaks.AssertNone(() =>
        {
            using var m = edgeMask.call(x, null);
        });
        using var x2 = randn(4, 3);
        Assert.Contains("[B, N, F]", Assert.Throws<ArgumentException>(() => edgeMask.call(x2, null)).Message);
    }
}
