using CausalVision.CausalLabels;

namespace CausalVision.Tests.CausalLabels;

public sealed class GroupWiseLinearTests
{
    [Fact]
    public void Forward_KnownWeights_MatchesHandValues()
    {
        using var m = new GroupWiseLinear(2, 3);
        using (no_grad())
        {
            var sd = m.state_dict();
            sd["W"].copy_(tensor(new float[] { 1, 0, 0, 0, 1, 1 }, new long[] { 1, 2, 3 }));
            sd["b"].copy_(tensor(new float[] { 0.5f, -1f }, new long[] { 1, 2 }));
        }

        using var x = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, new long[] { 1, 2, 3 });
        using var y = m.call(x);
        TensorAssert.Values(new[] { 1.5f, 10f }, y); // 1*1 + 0.5; 5 + 6 - 1
    }

    [Fact]
    public void StateDict_Keys_AreQuery2LabelNames()
    {
        using var m = new GroupWiseLinear(4, 8);
        Assert.Equal(new[] { "W", "b" }, m.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(new long[] { 1, 4, 8 }, m.state_dict()["W"].shape);
    }

    [Fact]
    public void Forward_WrongLabelCount_Throws()
    {
        using var m = new GroupWiseLinear(4, 8);
        using var x = zeros(2, 3, 8);
        var ex = Assert.Throws<ArgumentException>(() => m.call(x));
        Assert.Contains("[B, 4, 8]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ctor_EmptyLabelSet_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new GroupWiseLinear(0, 8));
        Assert.Contains("label set is empty", ex.Message, StringComparison.Ordinal);
    }
}
