using CausalVision.Graph.Cim;
using CausalVision.Graph.Conv;
using CausalVision.Graph.Readout;

namespace CausalVision.Graph.Tests.Cim;

public sealed class CimOptionsTests
{
    [Fact]
    public void Ctor_Defaults_ArePinned()
    {
        var o = new CimOptions();
        Assert.Equal(0, o.InFeatures);
        Assert.Equal(0, o.Classes);
        Assert.Equal(128, o.HiddenFeatures);
        Assert.Equal(1, o.Layers);
        Assert.Equal(1, o.MaskEncoderLayers);
        Assert.Equal(GcnNorm.BatchNorm, o.Norm);
        Assert.Equal(ReadoutKind.Sum, o.Readout);
        Assert.Equal(CimHeadKind.Linear, o.Head);
        Assert.Equal(CimLossKind.L2, o.LossKind);
        Assert.Equal(CimKlDirection.PredictionToUniform, o.KlDirection);
        Assert.Equal(1.0, o.KlWeight);
        Assert.Equal(1.0, o.CausalWeight);
        Assert.Equal(1.0, o.InterventionWeight);
        Assert.Equal(CimInterventionMode.Add, o.InterventionMode);
        Assert.Equal(CimConfounders.RandomPermutation, o.TrainingConfounders);
        Assert.Equal(CimConfounders.None, o.EvaluationConfounders);
        Assert.True(o.ExcludeSelfPairing);
        Assert.Null(o.Seed);
    }

    [Fact]
    public void Cal_Preset_IsCalsRecipe()
    {
        var o = CimOptions.Cal(16, 5);
        Assert.Equal(16, o.InFeatures);
        Assert.Equal(5, o.Classes);
        Assert.Equal(CimHeadKind.Mlp, o.Head);
        Assert.Equal(CimLossKind.CrossEntropy, o.LossKind);
        Assert.Equal(CimKlDirection.UniformToPrediction, o.KlDirection);
        Assert.Equal((0.5, 1.0, 0.5), (o.KlWeight, o.CausalWeight, o.InterventionWeight));
        Assert.False(o.ExcludeSelfPairing);
        o.Validate();
    }

    [Fact]
    public void Build_InvalidOptions_Throws()
    {
        static string Message(CimOptions o) => Assert.Throws<ArgumentException>(() => new CimModule(o)).Message;
        Assert.Contains("CimOptions.InFeatures", Message(new CimOptions { Classes = 3 }));
        Assert.Contains("CimOptions.Classes", Message(new CimOptions { InFeatures = 2, Classes = 1 }));
        Assert.Contains("CimOptions.MaskEncoderLayers", Message(new CimOptions { InFeatures = 2, Classes = 2, MaskEncoderLayers = -1 }));
        Assert.Contains("CimOptions.KlWeight", Message(new CimOptions { InFeatures = 2, Classes = 2, KlWeight = -1 }));
        Assert.Contains("CimOptions.CausalWeight", Message(new CimOptions { InFeatures = 2, Classes = 2, CausalWeight = double.NaN }));
        Assert.Contains("CimOptions.InterventionWeight", Message(new CimOptions { InFeatures = 2, Classes = 2, InterventionWeight = double.PositiveInfinity }));
        Assert.Contains("CimOptions.InterventionMode", Message(new CimOptions { InFeatures = 2, Classes = 2, InterventionMode = (CimInterventionMode)7 }));
        Assert.Contains("CimOptions.LossKind", Assert.Throws<ArgumentException>(() => new CimLoss(new CimOptions { InFeatures = 2, Classes = 2, LossKind = (CimLossKind)9 })).Message);
    }
}
