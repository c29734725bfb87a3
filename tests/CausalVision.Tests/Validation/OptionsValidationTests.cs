using CausalVision.CausalLabels;
using CausalVision.DependencyInjection;
using CausalVision.Vscnet;
using CausalVision.Vscnet.Fusion;
using CausalVision.Vscnet.Fva;
using CausalVision.Vscnet.Har;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CausalVision.Tests.Validation;

public sealed class OptionsValidationTests
{
    [Fact]
    public void EveryOptionsClass_HasSourceGeneratedValidator()
    {
        OptionsValidatorChecks.EveryOptionsTypeHasGeneratedValidator(
            typeof(VscNetOptions).Assembly,
            typeof(VscNetOptions), typeof(VscTrainingOptions), typeof(VscBackboneOptions), typeof(FusionOptions), typeof(FvaOptions),
            typeof(FvaLossOptions), typeof(LocatingLossOptions), typeof(TagRefinementOptions), typeof(ClassVoteOptions),
            typeof(CausalLabelOptions), typeof(CausalLabelTrainerOptions));
    }

    public static TheoryData<Action, string, string[]> TwoBad => new()
    {
        { () => new LocatingLossOptions { DiversityWeight = -1, Form = (LocatingLossForm)9 }.Validate(), nameof(LocatingLossOptions), ["LocatingLossOptions.DiversityWeight", "LocatingLossOptions.Form"] },
        { () => new FvaLossOptions { TagLossWeight = double.NaN, Locating = new LocatingLossOptions { RotationWeight = -1 } }.Validate(), nameof(FvaLossOptions), ["FvaLossOptions.TagLossWeight", "FvaLossOptions.Locating.RotationWeight"] },
        { () => new FvaOptions { Steps = 0, HiddenSize = 0, Loss = null! }.Validate(), nameof(FvaOptions), ["FvaOptions.Steps", "FvaOptions.HiddenSize", "Loss"] },
        { () => new TagRefinementOptions { AlphaF = 2, TopK = -1 }.Validate(), nameof(TagRefinementOptions), ["TagRefinementOptions.AlphaF", "TagRefinementOptions.TopK"] },
        { () => new ClassVoteOptions { Mode = (ClassVoteMode)8, TopTagsPerStep = -1 }.Validate(), nameof(ClassVoteOptions), ["ClassVoteOptions.Mode", "ClassVoteOptions.TopTagsPerStep"] },
        { () => new VscBackboneOptions { Name = " ", Options = new() { ImageSize = 1 } }.Validate(), nameof(VscBackboneOptions), ["Name", "ImageSize"] },
        { () => new FusionOptions { CausalFeatures = 0, VisualScale = double.PositiveInfinity }.Validate(), nameof(FusionOptions), ["FusionOptions.CausalFeatures", "FusionOptions.VisualScale"] },
        { () => new VscTrainingOptions { BatchSize = 0, Device = "" }.Validate(), nameof(VscTrainingOptions), ["VscTrainingOptions.BatchSize", "Device"] },
        { () => new CausalLabelTrainerOptions { BatchSize = 0, Loss = (MultiLabelLoss)5 }.Validate(), nameof(CausalLabelTrainerOptions), ["CausalLabelTrainerOptions.BatchSize", "CausalLabelTrainerOptions.Loss"] },
        { () => new CausalLabelOptions { NumLabels = 0, Heads = 3 }.Validate(), nameof(CausalLabelOptions), ["CausalLabelOptions.NumLabels", "divisible by Heads (3)"] },
        { () => new VscNetOptions { CandidateTags = 0, Training = new() { TopK = 0 }, Cim = new() { KlWeight = -1 } }.Validate(), nameof(VscNetOptions), ["VscNetOptions.CandidateTags", "VscNetOptions.Training.TopK", "Cim.KlWeight"] },
    };

    [Theory]
    [MemberData(nameof(TwoBad))]
    public void Validate_SeveralBadProperties_ReportsAll(Action validate, string optionsName, string[] problems) =>
        OptionsValidatorChecks.ReportsAll(validate, optionsName, problems);

    [Fact]
    public void AddVscNet_BadBoundValue_FailsAtStart()
    {
        using var provider = new ServiceCollection().AddCausalVision().AddVscNet(o => o.CandidateTags = 0).Services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("CandidateTags", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddCausalLabels_BadBoundValue_FailsAtStart()
    {
        using var provider = new ServiceCollection().AddCausalVision().AddCausalLabels(o => o.Heads = 3).Services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Heads", e.Message, StringComparison.Ordinal);
    }
}
