using CausalVision.Backbones;

namespace CausalVision.Tests.Backbones;

/// <summary>The identity backbone over cached feature maps.</summary>
public sealed class PrecomputedBackboneTests
{
    [Fact]
    public void Forward_PoolsTheMapAndCopiesIt_WithoutTouchingTheInput()
    {
        using var backbone = new PrecomputedBackbone(3, featureStride: 16);
        Assert.Equal(3, backbone.FeatureDim);
        Assert.Equal(16, backbone.FeatureStride);
        Assert.Empty(backbone.parameters());
        using var maps = arange(2 * 3 * 2 * 2, dtype: ScalarType.Float32).reshape(2, 3, 2, 2);
        using var f = backbone.call(maps);
        // Image 0, channel 1 holds 4, 5, 6, 7: mean 5.5.
        Assert.Equal(5.5f, f.Pooled[0, 1].item<float>());
        Assert.Equal([2L, 4, 3], f.Tokens.shape);
        TensorAssert.Close(maps, f.Map, 0);
        f.Map.add_(1);
        Assert.Equal(0f, maps[0, 0, 0, 0].item<float>());
        Assert.False(maps.IsInvalid);
    }

    [Fact]
    public void Forward_RejectsMapsOfAnotherWidth_AndHasNoHead()
    {
        using var backbone = new PrecomputedBackbone(4);
        using var maps = zeros(1, 3, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => backbone.call(maps));
        Assert.Contains("4 input channel", e.Message, StringComparison.Ordinal);
        using var pooled = zeros(1, 4);
        Assert.Throws<InvalidOperationException>(() => backbone.ForwardHead(pooled));
    }

    [Fact]
    public void Forward_LeaksNothing()
    {
        using var backbone = new PrecomputedBackbone(8);
        using var maps = randn(2, 8, 3, 3);
        TensorLeaks.AssertSteadyState(() =>
        {
            using var f = backbone.call(maps);
        });
    }
}
