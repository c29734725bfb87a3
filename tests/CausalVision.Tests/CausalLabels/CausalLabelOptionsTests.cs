using CausalVision.CausalLabels;

namespace CausalVision.Tests.CausalLabels;

public sealed class CausalLabelOptionsTests
{
    [Fact]
    public void Ctor_Defaults_ArePinned()
    {
        var o = new CausalLabelOptions();
        Assert.Equal(0, o.NumLabels);
        Assert.Equal(2048, o.InputDim);
        Assert.Equal(256, o.ModelDim);
        Assert.Equal(8, o.Heads);
        Assert.Equal(2, o.DecoderLayers);
        Assert.Equal(1024, o.FeedForwardDim);
        Assert.Equal(0.1, o.Dropout);
        Assert.Equal(NormPlacement.Post, o.Norm);
        Assert.True(o.UseIntervention);
        Assert.Equal(80, o.NumConfounders);
        Assert.Null(o.ConfounderDim);
        Assert.Equal(256, o.EffectiveConfounderDim);
        Assert.Equal(InterventionQuery.LabelEmbedding, o.Query);
        Assert.Equal(InterventionForm.Grounded, o.InterventionForm);
        Assert.Equal(CausalFusion.SumLogits, o.Fusion);
    }

    [Fact]
    public void Validate_EmptyLabelSet_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CausalLabelOptions().Validate());
        Assert.Contains("CausalLabelOptions.NumLabels must be between 1 and", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HeadsNotDividingDim_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CausalLabelOptions { NumLabels = 3, ModelDim = 30, Heads = 8 }.Validate());
        Assert.Contains("divisible by Heads", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OutOfRange_ThrowsWithFieldName()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CausalLabelOptions { NumLabels = 3, NumConfounders = 0 }.Validate());
        Assert.Contains("NumConfounders", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FusionWithoutIntervention_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CausalLabelOptions { NumLabels = 3, UseIntervention = false, Fusion = CausalFusion.LearnedWeight }.Validate());
        Assert.Contains("UseIntervention is false", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Head_InvalidOptions_Throws()
    {
        Assert.Throws<ArgumentException>(() => new CausalLabelHead(new CausalLabelOptions { NumLabels = 0 }));
    }
}
