using CausalVision.DependencyInjection;
using CausalVision.Graph.Cim;
using CausalVision.Vscnet;
using CausalVision.Vscnet.Fusion;
using CausalVision.Vscnet.Har;
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
        Assert.Equal(VscPredictionHead.Fusion, o.Prediction);
        Assert.Equal("resnet18", o.Backbone.Name);
        Assert.Equal(10, o.Fva.Steps);
        Assert.Equal(1.0, o.Fva.Loss.LocatingLossWeight); // alpha_l of eq. 15
        Assert.Equal(0.85, o.Hierarchy.Art.Vigilance);
        Assert.Equal(0.1, o.Refinement.AlphaF);
        Assert.Equal(1.0, o.Refinement.PrototypeTemperature);
        Assert.Equal(9, o.Refinement.TopK);
        Assert.Equal(TagStepAggregation.PerStep, o.Refinement.StepAggregation);
        Assert.Equal(5, o.CandidateTags);
        Assert.Equal(PrototypeSimilarityKind.FuzzyJaccard, o.PrototypeSimilarity);
        Assert.Equal(HierarchyTagSource.GroundTruth, o.HierarchyTagSource);
        Assert.Equal(256, o.NodeFeatures);
        Assert.Equal(128, o.GraphEncoder.HiddenFeatures);
        Assert.Equal(128, o.Cim.HiddenFeatures);
        Assert.Equal(CimLossKind.L2, o.Cim.LossKind);
        Assert.Equal(1.0, o.Cim.KlWeight);
        Assert.Equal(0.3, o.Cim.MaskBudget);
        Assert.Equal(CimConfounders.None, o.Cim.EvaluationConfounders);
        Assert.Equal(512, o.Fusion.FusedFeatures);
        Assert.Equal(1.0, o.Fusion.EvidenceWeight);
        Assert.Equal(1.0, o.Fusion.KnowledgeWeight);
        Assert.Equal(KnowledgeInput.Probabilities, o.Fusion.Knowledge);
        Assert.Equal(64, o.Training.BatchSize);
        Assert.Equal(5e-4, o.Training.LearningRate);
        Assert.Equal(1e-3, o.Training.WeightDecay);
        Assert.Equal(0.1, o.Training.LearningRateDecay);
        Assert.Equal(4, o.Training.LearningRateDecayEvery);
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
        o.Refinement.AlphaF = 1.5;
        o.Hierarchy.Art.Vigilance = 1.5;
        o.Training.BatchSize = 0;
        o.Training.LearningRate = -1;
        o.Ablation = VscNetAblation.Causal;
        var e = Assert.Throws<ArgumentException>(o.Validate);
        Assert.Contains("VscNetOptions.Hierarchy.Art.Vigilance must be between 0 and 1", e.Message);
        Assert.Contains("VscNetOptions.Refinement.AlphaF must be between 0 and 1", e.Message);
        Assert.Contains("VscNetOptions.Training.BatchSize must be between 1 and 65536", e.Message);
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

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    [InlineData(1.0)]
    public void Problems_AlphaFOutsideThePapersTuningRange_AcceptedByTheOneRangeOfEq7(double alphaF)
    {
        // Eq. 7 is a convex combination, defined for alpha_f in [0, 1]; the paper tunes it from 0.1 to 0.5.
        var o = new VscNetOptions();
        o.Refinement.AlphaF = alphaF;
        Assert.Empty(o.Problems());
    }

    [Fact]
    public void Problems_AlphaFOutOfRange_ReportedOnceWithTheComponentsRange()
    {
        var o = new VscNetOptions();
        o.Refinement.AlphaF = -0.1;
        var problem = Assert.Single(o.Problems(), p => p.Contains("AlphaF", StringComparison.Ordinal));
        Assert.Contains("between 0 and 1", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_DerivedFieldsSetInconsistently_NamedWithTheDerivedValue()
    {
        var o = new VscNetOptions { NodeFeatures = 8 };
        o.Cim.InFeatures = 5;
        o.GraphEncoder.InFeatures = 8; // the derived value: accepted
        o.Fusion.CausalFeatures = 7;
        o.Graph.IncludePrototypes = false;
        o.Refinement.StepAggregation = TagStepAggregation.MinMaxThenMax;
        var problems = o.Problems();
        Assert.Contains(problems, p => p.Contains("Cim.InFeatures is derived by VSCNet (NodeFeatures, 8): leave it 0, not 5.", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("GraphEncoder.InFeatures", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Fusion.CausalFeatures is derived by VSCNet (the graph feature width, 128)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Graph.IncludePrototypes follows the ablation", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Refinement.StepAggregation must be PerStep", StringComparison.Ordinal));

        // Without +K the graph is G_a whatever IncludePrototypes says (the default true is overwritten).
        var a = new VscNetOptions { Ablation = VscNetAblation.Locating | VscNetAblation.Graph };
        Assert.Empty(a.Problems());
    }

    [Fact]
    public void Build_DerivedFieldsOfTheDataSetInconsistently_Named()
    {
        var e = Assert.Throws<ArgumentException>(() => VscNetTestKit.Builder()
            .Configure(o =>
            {
                o.Cim.Classes = 4;
                o.Fusion.VisualFeatures = 9;
            })
            .Build());
        Assert.Contains("Cim.Classes is derived by VSCNet (the class count, 3): leave it 0, not 4.", e.Message, StringComparison.Ordinal);
        Assert.Contains("Fusion.VisualFeatures is derived by VSCNet (the backbone's feature width, 8): leave it 0, not 9.", e.Message, StringComparison.Ordinal);

        // KnowledgeTopOne is a single-label choice: the multi-label P_f blends the whole vote.
        var multi = Assert.Throws<ArgumentException>(() => VscNetTestKit.Builder().WithMultiLabel().Configure(o => o.Fusion.KnowledgeTopOne = true).Build());
        Assert.Contains("Fusion.KnowledgeTopOne is for single-label classes", multi.Message, StringComparison.Ordinal);

        // The derived values themselves are accepted, and the model's own copies carry them.
        using var model = VscNetTestKit.Builder().Configure(o => o.Cim.Classes = VscNetTestKit.Classes).Build();
        Assert.Equal(VscNetTestKit.Classes, model.CimOptions!.Classes);
        Assert.Equal(8, model.CimOptions.InFeatures);
        Assert.Equal(0, model.Options.Cim.InFeatures); // the options stay as given
    }

    [Fact]
    public void AddVscNet_InvalidOptions_FailsValidationWithEveryProblem()
    {
        var services = new ServiceCollection();
        services.AddCausalVision().AddVscNet(o =>
        {
            o.Training.BatchSize = 0;
            o.Refinement.AlphaF = 1.5;
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
    public void AddVscNet_BuildersAskForTheTrainingSeed_SameWeightsWhateverTheGlobalGenerator()
    {
        VscNetTestKit.RegisterTinyBackbone();
        ServiceProvider Provider(int seed)
        {
            var services = new ServiceCollection();
            services.AddCausalVision().AddVscNet(o =>
            {
                o.Ablation = VscNetAblation.Locating;
                o.Backbone.Name = VscNetTestKit.TinyBackboneName;
                o.Training.Seed = seed;
            });
            return services.BuildServiceProvider();
        }

        VscNet Make(ServiceProvider provider, long state)
        {
            manual_seed(state);
            return provider.GetRequiredService<VscNetBuilder>().WithRegions(2).WithTagVocabulary(VscNetTestKit.TagNames).WithClasses(3).Build();
        }

        using var four = Provider(4);
        using var five = Provider(5);
        using var a = Make(four, 1);
        using var b = Make(four, 2);
        using var c = Make(five, 1);
        ModuleContract.AssertStateDictsEqual(a, b);
        Assert.False(a.state_dict()["backbone.conv.weight"].allclose(c.state_dict()["backbone.conv.weight"]));
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
        var o = new VscNetOptions { Ablation = VscNetAblation.Locating, Prediction = VscPredictionHead.Tags, NodeFeatures = 32 };
        o.Refinement.AlphaF = 0.3;
        o.Cim = CimOptions.Selective();
        o.Cim.EvaluationConfounders = CimConfounders.RandomPermutation;
        o.GraphEncoder.Layers = 3;
        o.Graph.TagTagWeight = 0.4;
        o.Fusion.Knowledge = KnowledgeInput.Logits;
        o.Vote.Mode = ClassVoteMode.Weighted;
        o.Hierarchy.Art.Vigilance = 0.9;
        o.Fva.Loss.LocatingLossWeight = 0.5;
        o.Training.Seed = 9;
        var c = o.Clone();
        Assert.Equal(VscNetAblation.Locating, c.Ablation);
        Assert.Equal(VscPredictionHead.Tags, c.Prediction);
        Assert.Equal(32, c.NodeFeatures);
        Assert.Equal(0.3, c.Refinement.AlphaF);
        Assert.Equal(CimMaskPlacement.AfterNorm, c.Cim.MaskPlacement);
        Assert.Equal(CimConfounders.RandomPermutation, c.Cim.EvaluationConfounders);
        Assert.Equal(3, c.GraphEncoder.Layers);
        Assert.Equal(0.4, c.Graph.TagTagWeight);
        Assert.Equal(KnowledgeInput.Logits, c.Fusion.Knowledge);
        Assert.Equal(ClassVoteMode.Weighted, c.Vote.Mode);
        Assert.Equal(0.9, c.Hierarchy.Art.Vigilance);
        Assert.Equal(0.5, c.Fva.Loss.LocatingLossWeight);
        Assert.Equal(9, c.Training.Seed);
        Assert.NotSame(o.Refinement, c.Refinement);
        Assert.NotSame(o.Cim, c.Cim);
        Assert.NotSame(o.Graph, c.Graph);
        Assert.NotSame(o.GraphEncoder, c.GraphEncoder);
        Assert.NotSame(o.Fusion, c.Fusion);
        Assert.NotSame(o.Hierarchy.Art, c.Hierarchy.Art);
        c.Refinement.AlphaF = 0.4;
        c.Cim.KlWeight = 0.25;
        Assert.Equal(0.3, o.Refinement.AlphaF);
        Assert.Equal(1.0, o.Cim.KlWeight);
    }
}
