using CausalVision.Graph.Masks;

namespace CausalVision.Graph.Tests.Masks;

public sealed class MaskSparsityTests
{
    [Fact]
    public void Compute_HandExample_IgnoresPadding()
    {
        // Real nodes' causal shares 0.9, 0.2, 0.4; one padded row.
        using var mask = tensor(new float[] { 0.1f, 0.9f, 0.8f, 0.2f, 0.6f, 0.4f, 0, 0 }, new long[] { 2, 2, 2 });
        var r = MaskSparsity.Compute(mask);
        Assert.Equal(3, r.Nodes);
        Assert.Equal(0.5, r.Mean, 5);
        Assert.Equal(2.0 / 3, r.FractionBelowHalf, 5);
        Assert.Throws<ArgumentException>(() => MaskSparsity.Compute(zeros(2, 3)));
    }
}
