using CausalVision.Vscnet.Fva;

namespace CausalVision.Tests.Vscnet.Fva;

public sealed class FvaOptionsTests
{
    [Fact]
    public void Ctor_Defaults_PinsEveryDefault()
    {
        var o = new FvaOptions();
        Assert.Equal(10, o.Steps);
        Assert.Null(o.HiddenSize);
        Assert.Equal(128, o.ThetaHiddenWidth);
        Assert.Equal(0.01, o.ThetaLeakySlope);
        Assert.Equal(0.5, o.InitialScale);
        Assert.True(o.ZeroInitThetaWeight);
        Assert.False(o.LearnableInitialHidden);
        Assert.Equal(RegionPooling.Average, o.RegionPooling);
        Assert.Equal(GridSamplePaddingMode.Zeros, o.SamplerPadding);
        Assert.Equal(TagHeadInput.Hidden, o.TagHeadInput);
        Assert.Equal(0.0, o.TagHeadDropout);
        Assert.Equal(0.01, o.LinearInitStd);

        var l = o.Loss;
        Assert.Equal(1.0, l.ClassLossWeight);
        Assert.Equal(1.0, l.TagLossWeight);
        Assert.Equal(TagLossReduction.SumOverSteps, l.TagLossReduction);
        Assert.Equal(1.0, l.LocatingLossWeight);
        Assert.False(l.LocateSupervisedStepsOnly);

        var loc = l.Locating;
        Assert.Equal(LocatingLossForm.Code, loc.Form);
        Assert.Equal(5.0, loc.DiversityWeight);
        Assert.Equal(100.0, loc.OutlierShiftWeight);
        Assert.Equal(100.0, loc.OutlierScaleWeight);
        Assert.Equal(1.0, loc.RotationWeight);
        Assert.Equal(0.8, loc.ScaleUpperBound);
        Assert.Equal(0.8, loc.ScaleLowerBound);
        Assert.Equal(1.0, loc.ScaleUpperWeight);
        Assert.Equal(1.0, loc.ScaleLowerWeight);
        o.Validate();
    }

    [Fact]
    public void AuthorsCode_Preset_MatchesCodeChoices()
    {
        var l = FvaLossOptions.AuthorsCode();
        Assert.Equal(0.0, l.ClassLossWeight);
        Assert.Equal(5.0, l.TagLossWeight);
        Assert.Equal(TagLossReduction.MeanOverSupervisedSteps, l.TagLossReduction);
        Assert.True(l.LocateSupervisedStepsOnly);
        var p = LocatingLossOptions.PaperEquation4();
        Assert.Equal(LocatingLossForm.PaperEquation4, p.Form);
        Assert.Equal(1.0, p.DiversityWeight);
        Assert.Equal(1.0, p.RotationWeight);
        Assert.Equal(0.0, p.OutlierShiftWeight + p.OutlierScaleWeight + p.ScaleUpperWeight + p.ScaleLowerWeight);
    }

    [Fact]
    public void Validate_InvalidOptions_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new FvaOptions { Steps = 0 }.Validate());
        Assert.Equal("Invalid FvaOptions: Steps: The field FvaOptions.Steps must be between 1 and 256.", ex.Message);
        Assert.Throws<ArgumentException>(() => new FvaOptions { HiddenSize = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new FvaOptions { InitialScale = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new FvaOptions { TagHeadDropout = double.NaN }.Validate());
        Assert.Throws<ArgumentException>(() => new FvaOptions { RegionPooling = (RegionPooling)7 }.Validate());
        var nested = Assert.Throws<ArgumentException>(() => new FvaOptions { Loss = { Locating = { DiversityWeight = -1 } } }.Validate());
        Assert.Contains("DiversityWeight", nested.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new CascadedSpatialNet(4, 4, new FvaOptions { ThetaHiddenWidth = 0 }));
        Assert.Throws<ArgumentException>(() => new FvaLoss(new FvaLossOptions { TagLossWeight = -2 }));
    }
}
