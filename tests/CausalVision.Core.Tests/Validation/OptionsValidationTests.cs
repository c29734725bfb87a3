using CausalVision.Backbones;
using CausalVision.Data;
using CausalVision.DependencyInjection;
using CausalVision.Evaluation;
using CausalVision.Synthetic;
using CausalVision.Training;
using CausalVision.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CausalVision.Tests.Validation;

public sealed class OptionsValidationTests
{
    [Fact]
    public void EveryOptionsClass_HasSourceGeneratedValidator()
    {
        OptionsValidatorChecks.EveryOptionsTypeHasGeneratedValidator(
            typeof(TrainerOptions).Assembly,
            typeof(BackboneOptions), typeof(DataLoaderOptions), typeof(ExperimentDefinition), typeof(FeatureHeadTrainerOptions),
            typeof(MultiLabelBenchmarkOptions), typeof(SyntheticBenchmarkOptions), typeof(TrainerOptions));
    }

    [Fact]
    public void Validate_Defaults_Pass()
    {
        new BackboneOptions().Validate();
        new DataLoaderOptions().Validate();
        new FeatureHeadTrainerOptions().Validate();
        new MultiLabelBenchmarkOptions().Validate();
        new SyntheticBenchmarkOptions().Validate();
        SyntheticBenchmarkOptions.Robustness().Validate();
        new SyntheticBenchmarkOptions { MultiLabel = true }.Validate();
        new TrainerOptions().Validate();
    }

    [Fact]
    public void ThrowIfInvalid_TwoBadProperties_ListsBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => OptionsValidation.ThrowIfInvalid(new DataLoaderOptionsValidator(), new DataLoaderOptions { BatchSize = 0, Workers = -1 }));
        Assert.StartsWith("Invalid DataLoaderOptions: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("DataLoaderOptions.BatchSize", e.Message, StringComparison.Ordinal);
        Assert.Contains("DataLoaderOptions.Workers", e.Message, StringComparison.Ordinal);
        Assert.Contains("; ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowIfInvalid_ReflectionFallback_ListsEveryFailure()
    {
        var e = Assert.Throws<ArgumentException>(() => OptionsValidation.ThrowIfInvalid((object)new DataLoaderOptions { BatchSize = 0, PrefetchBatches = 0 }));
        Assert.StartsWith("Invalid DataLoaderOptions: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("BatchSize", e.Message, StringComparison.Ordinal);
        Assert.Contains("PrefetchBatches", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<Action, string, string[]> TwoBad => new()
    {
        { () => new BackboneOptions { ImageSize = 8, PretrainedPath = " " }.Validate(), nameof(BackboneOptions), ["BackboneOptions.ImageSize", "PretrainedPath"] },
        { () => new DataLoaderOptions { BatchSize = 0, PrefetchBatches = 5000 }.Validate(), nameof(DataLoaderOptions), ["DataLoaderOptions.BatchSize", "DataLoaderOptions.PrefetchBatches"] },
        { () => new FeatureHeadTrainerOptions { Epochs = 0, Selection = (SelectionMetric)77 }.Validate(), nameof(FeatureHeadTrainerOptions), ["FeatureHeadTrainerOptions.Epochs", "FeatureHeadTrainerOptions.Selection"] },
        { () => new MultiLabelBenchmarkOptions { PairCount = 0, Bias = (MultiLabelBias)9, RadiusMin = 12, RadiusMax = 11 }.Validate(), nameof(MultiLabelBenchmarkOptions), ["PairCount", "Bias", "RadiusMax (11) must be at least RadiusMin (12)"] },
        { () => new SyntheticBenchmarkOptions { TrainSize = 0, RecipeSizeMin = 3, RecipeSizeMax = 2, ContextFamilies = [] }.Validate(), nameof(SyntheticBenchmarkOptions), ["TrainSize", "RecipeSizeMin (3) must not exceed RecipeSizeMax (2)", "ContextFamilies"] },
        { () => new TrainerOptions { BatchSize = 0, CheckpointDirectory = " " }.Validate(), nameof(TrainerOptions), ["TrainerOptions.BatchSize", "CheckpointDirectory"] },
        { () => new ExperimentDefinition { Name = " ", Baseline = "zzz", Rows = [new("a", _ => new Dictionary<string, double>())] }.Validate(), nameof(ExperimentDefinition), ["Name", "Baseline 'zzz'"] },
    };

    [Theory]
    [MemberData(nameof(TwoBad))]
    public void Validate_SeveralBadProperties_ReportsAll(Action validate, string optionsName, string[] problems) =>
        OptionsValidatorChecks.ReportsAll(validate, optionsName, problems);

    [Fact]
    public void AddCausalVision_BadValue_FailsAtStart()
    {
        using var provider = new ServiceCollection().AddCausalVision(o => { o.Threads = -1; o.Device = "tpu"; }).Services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Threads", e.Message, StringComparison.Ordinal);
        Assert.Contains("Device", e.Message, StringComparison.Ordinal);
    }
}
