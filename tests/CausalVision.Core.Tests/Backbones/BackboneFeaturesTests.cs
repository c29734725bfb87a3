using CausalVision.Backbones;

namespace CausalVision.Tests.Backbones;

public sealed class BackboneFeaturesTests
{
    [Fact]
    public void Ctor_ConsistentShapes_ExposesDimensions()
    {
        using var f = new BackboneFeatures(zeros(2, 4), zeros(2, 4, 3, 5), zeros(2, 15, 4));
        Assert.Equal(2, f.Batch);
        Assert.Equal(4, f.Dim);
        Assert.Equal(3, f.GridHeight);
        Assert.Equal(5, f.GridWidth);
    }

    [Fact]
    public void Ctor_InconsistentShapes_ThrowsAndNamesShapes()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => new BackboneFeatures(zeros(2, 4), zeros(2, 4, 3, 5), zeros(2, 14, 4)));
        Assert.Contains("[2, 14, 4]", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new BackboneFeatures(zeros(2, 4, 1), zeros(2, 4, 1, 1), zeros(2, 1, 4)));
    }

    [Fact]
    public void Dispose_ReleasesAllThreeTensors()
    {
        TensorLeaks.AssertNone(() =>
        {
            var f = new BackboneFeatures(zeros(1, 2), zeros(1, 2, 1, 1), zeros(1, 1, 2));
            f.Dispose();
            Assert.True(f.Pooled.IsInvalid && f.Map.IsInvalid && f.Tokens.IsInvalid);
            f.Dispose();
        });
    }

    [Fact]
    public void MoveToOuterDisposeScope_SurvivesInnerScope()
    {
        BackboneFeatures f;
        using (var outer = NewDisposeScope())
        {
            using (var inner = NewDisposeScope())
            {
                f = new BackboneFeatures(ones(1, 2), ones(1, 2, 1, 1), ones(1, 1, 2)).MoveToOuterDisposeScope();
            }

            Assert.False(f.Pooled.IsInvalid);
            Assert.Equal(2f, f.Pooled.sum().item<float>());
        }

        Assert.True(f.Pooled.IsInvalid);
    }
}
