using CausalVision.Graph.Cim;
using CausalVision.Graph.Conv;
using CausalVision.Graph.Hetero;
using CausalVision.Graph.Readout;

namespace CausalVision.Graph.Tests.Options;

public sealed class OptionsValidationTests
{
    [Fact]
    public void EveryOptionsClass_HasSourceGeneratedValidator()
    {
        OptionsValidatorChecks.EveryOptionsTypeHasGeneratedValidator(
            typeof(CimOptions).Assembly, typeof(CimOptions), typeof(GcnEncoderOptions), typeof(VseGraphOptions));
    }

    [Fact]
    public void Validate_ValidInstances_Pass()
    {
        new VseGraphOptions().Validate();
        new GcnEncoderOptions { InFeatures = 4 }.Validate();
        new CimOptions { InFeatures = 4, Classes = 2 }.Validate();
        CimOptions.Cal(4, 2).Validate();
        CimOptions.Selective(4, 2).Validate();
    }

    [Fact]
    public void VseGraphOptions_TwoBadProperties_ReportsBoth()
    {
        OptionsValidatorChecks.ReportsAll(
            () => new VseGraphOptions { TopTags = 0, RegionPrototypeWeight = double.NaN }.Validate(),
            nameof(VseGraphOptions), "VseGraphOptions.TopTags", "VseGraphOptions.RegionPrototypeWeight");
    }

    [Fact]
    public void GcnEncoderOptions_TwoBadProperties_ReportsBoth()
    {
        OptionsValidatorChecks.ReportsAll(
            () => new GcnEncoderOptions { InFeatures = 0, SelfLoopWeight = double.PositiveInfinity, Readout = (ReadoutKind)99 }.Validate(),
            nameof(GcnEncoderOptions), "GcnEncoderOptions.InFeatures", "GcnEncoderOptions.SelfLoopWeight", "GcnEncoderOptions.Readout");
    }

    [Fact]
    public void CimOptions_TwoBadProperties_ReportsBoth()
    {
        OptionsValidatorChecks.ReportsAll(
            () => new CimOptions { InFeatures = 2, Classes = 1, MaskBudgetWeight = double.PositiveInfinity, Head = (CimHeadKind)5 }.Validate(),
            nameof(CimOptions), "CimOptions.Classes", "CimOptions.MaskBudgetWeight", "CimOptions.Head");
    }
}
