using CausalVision.DependencyInjection;
using CausalVision.Vscnet;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CausalVision.Tests.Vscnet;

public sealed class VscNetOptionsTests
{
    [Fact]
    public void Ctor_Defaults_MatchThePaperAndCode()
    {
        var o = new VscNetOptions();
        Assert.Equal(VscNetAblation.Full, o.Ablation);
        Assert.Equal("resnet18", o.Backbone.Name);
        Assert.Equal(10, o.Fva.Steps);
        Assert.Equal(0.85, o.Har.Hierarchy.Art.Vigilance);
        Assert.Equal(0.1, o.Har.AlphaF);
        Assert.Equal(5, o.Har.CandidateTags);
        Assert.Equal(9, o.Har.TopTags);
        Assert.Equal(PrototypeSimilarityKind.FuzzyJaccard, o.Har.Similarity);
        Assert.Equal(HierarchyTagSource.GroundTruth, o.Har.TagSource);
        Assert.Equal(256, o.Graph.NodeFeatures);
        Assert.Equal(128, o.Graph.HiddenFeatures);
        Assert.Equal(CausalLossKind.L2, o.Cim.LossKind);
        Assert.Equal(1.0, o.Cim.KlWeight);
        Assert.False(o.Cim.InterveneAtEvaluation);
        Assert.Equal(512, o.Fusion.FusedFeatures);
        Assert.Equal(1.0, o.Fusion.EvidenceWeight);
        Assert.Equal(1.0, o.Fusion.KnowledgeWeight);
        Assert.Equal(64, o.Training.BatchSize);
        Assert.Equal(5e-4, o.Training.LearningRate);
        Assert.Equal(1e-3, o.Training.WeightDecay);
        Assert.Equal(0.1, o.Training.LearningRateDecay);
        Assert.Equal(4, o.Training.LearningRateDecayEvery);
        Assert.Equal(1.0, o.Training.AlphaL);
        Assert.Equal(1.0, o.Training.AlphaGf);
        Assert.Equal(13, o.Training.Stage1Epochs);
        Assert.Equal(13, o.Training.Stage2Epochs);
        Assert.True(o.Training.FreezeBackboneInStage2);
        Assert.Empty(o.Problems());
    }

    [Fact]
    public void Validate_SeveralProblems_ListsEveryOne()
    {
        var o = new VscNetOptions();
        o.Har.AlphaF = 0.9;
        o.Har.Hierarchy.Art.Vigilance = 0.5;
        o.Training.BatchSize = 0;
        o.Training.LearningRate = -1;
        o.Ablation = VscNetAblation.Causal;
        var e = Assert.Throws<ArgumentException>(o.Validate);
        Assert.Contains("Vigilance must lie in [0.8, 0.9]", e.Message); // the first HAR problem
        Assert.Contains("Training.BatchSize must lie in [1, 65536] but is 0", e.Message);
        Assert.Contains("Training.LearningRate", e.Message);
        Assert.Contains("Ablation Causal requires Graph", e.Message);
    }

    [Theory]
    [InlineData(VscNetAblation.Knowledge, "Knowledge requires Locating")]
    [InlineData(VscNetAblation.Locating | VscNetAblation.Fusion, "Fusion requires Knowledge")]
    [InlineData(VscNetAblation.Graph, "Graph requires Locating")]
    public void Problems_AblationWithoutDependency_Named(VscNetAblation ablation, string expected)
    {
        var o = new VscNetOptions { Ablation = ablation };
        Assert.Contains(o.Problems(), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Problems_AlphaFOutsidePaperRange_Reported()
    {
        var o = new VscNetOptions();
        o.Har.AlphaF = 0.05;
        Assert.Contains(o.Problems(), p => p.Contains("AlphaF must lie in [0.1, 0.5]", StringComparison.Ordinal));
    }

    [Fact]
    public void AddVscNet_InvalidOptions_FailsValidationWithEveryProblem()
    {
        var services = new ServiceCollection();
        services.AddCausalVision().AddVscNet(o =>
        {
            o.Training.BatchSize = 0;
            o.Har.AlphaF = 1;
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<VscNetOptions>>().Value);
        Assert.Contains(e.Failures, f => f.Contains("BatchSize", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("AlphaF", StringComparison.Ordinal));
    }

    [Fact]
    public void AddVscNet_HandsOutFreshConfiguredBuilders()
    {
        var services = new ServiceCollection();
        services.AddCausalVision().AddVscNet(o => o.Ablation = VscNetAblation.Locating);
        using var provider = services.BuildServiceProvider();
        var a = provider.GetRequiredService<VscNetBuilder>();
        var b = provider.GetRequiredService<VscNetBuilder>();
        Assert.NotSame(a, b);
        using var model = a.WithBackbone(new VscNetTestKit.TinyBackbone()).WithRegions(2).WithTagVocabulary(VscNetTestKit.TagNames).WithClasses(3).Build();
        Assert.Equal(VscNetAblation.Locating, model.Ablation);
        Assert.Equal(1.0, provider.GetRequiredService<IOptions<VscNetOptions>>().Value.Training.AlphaGf);
    }

    [Fact]
    public void AddVscNet_UsesIOptions_TheFactoryDevice_AndRegistersOnce()
    {
        var services = new ServiceCollection();
        services.AddCausalVision(o => o.Device = "cpu").AddVscNet().AddVscNet();
        services.Configure<VscNetOptions>(o => o.Ablation = VscNetAblation.Locating);
        using var provider = services.BuildServiceProvider();
        Assert.Single(provider.GetServices<VscNetBuilder>());
        using var model = provider.GetRequiredService<VscNetBuilder>().WithBackbone(new VscNetTestKit.TinyBackbone()).WithRegions(2)
            .WithTagVocabulary(VscNetTestKit.TagNames).WithClasses(3).Build();
        Assert.Equal(VscNetAblation.Locating, model.Ablation);
        Assert.Equal("cpu", model.Options.Training.Device);

        // The builder copied the options: editing the model's options leaves the registered ones alone.
        model.Options.Training.AlphaGf = 0.5;
        Assert.Equal(1.0, provider.GetRequiredService<IOptions<VscNetOptions>>().Value.Training.AlphaGf);
    }

    [Fact]
    public void Clone_IsDeep_AndKeepsEveryValue()
    {
        var o = new VscNetOptions { Ablation = VscNetAblation.Locating };
        o.Har.AlphaF = 0.3;
        o.Training.Seed = 9;
        var c = o.Clone();
        Assert.Equal(VscNetAblation.Locating, c.Ablation);
        Assert.Equal(0.3, c.Har.AlphaF);
        Assert.Equal(9, c.Training.Seed);
        Assert.NotSame(o.Har, c.Har);
        c.Har.AlphaF = 0.4;
        Assert.Equal(0.3, o.Har.AlphaF);
    }
}
