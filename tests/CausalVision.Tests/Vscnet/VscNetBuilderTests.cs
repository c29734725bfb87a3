using CausalVision.Vscnet;

namespace CausalVision.Tests.Vscnet;

public sealed class VscNetBuilderTests
{
    [Fact]
    public void Build_MissingVocabularyClassesAndBadOptions_ListsEveryProblem()
    {
        var builder = new VscNetBuilder().WithBackbone(new VscNetTestKit.TinyBackbone()).WithRegions(0).WithClasses(1);
        var e = Assert.Throws<ArgumentException>(() => builder.Build());
        Assert.Contains("The tag vocabulary is empty: call WithTagVocabulary(names).", e.Message);
        Assert.Contains("At least 2 classes are needed (call WithClasses) but 1 were given.", e.Message);
        Assert.Contains("Steps", e.Message);
    }

    [Fact]
    public void Build_DuplicateTagName_Throws()
    {
        var builder = VscNetTestKit.Builder().WithTagVocabulary(new[] { "a", "b", "a" });
        var e = Assert.Throws<ArgumentException>(() => builder.Build());
        Assert.Contains("The tag name 'a' appears more than once.", e.Message);
    }

    [Fact]
    public void Build_UnknownBackboneName_ListsKnownOnes()
    {
        var builder = VscNetTestKit.Builder().WithBackbone("resnet9000");
        var e = Assert.Throws<ArgumentException>(() => builder.Build());
        Assert.Contains("Unknown backbone 'resnet9000'", e.Message);
        Assert.Contains("resnet18", e.Message);
    }

    [Fact]
    public void Build_Twice_ThrowsInvalidOperation()
    {
        var builder = VscNetTestKit.Builder();
        using var model = builder.Build();
        Assert.Throws<InvalidOperationException>(() => builder.Build());
        Assert.Throws<InvalidOperationException>(() => builder.WithRegions(4));
        Assert.Throws<InvalidOperationException>(() => builder.WithSeed(1));
    }

    [Fact]
    public void WithComponent_TogglesSingleFlags()
    {
        using var model = VscNetTestKit.Builder(VscNetAblation.Full).WithComponent(VscNetAblation.Fusion, enabled: false).Build();
        Assert.Equal(VscNetAblation.Full & ~VscNetAblation.Fusion, model.Ablation);
        Assert.False(model.Has(VscNetAblation.Fusion));
        Assert.True(model.Has(VscNetAblation.Causal));
    }

    [Fact]
    public void Build_ByName_SmallStemResNet18_RunsStage1()
    {
        using var model = new VscNetBuilder()
            .WithBackbone("resnet18")
            .Configure(o => o.Backbone.Options.SmallInputStem = true)
            .WithRegions(2)
            .WithTagVocabulary(VscNetTestKit.TagNames)
            .WithClasses(3)
            .Build();
        using var x = rand(2, 3, 32, 32);
        using var o = model.call(x);
        TensorAssert.Shape(o.Logits, 2, 3);
        TensorAssert.Shape(o.Fva!.HiddenStates, 2, 2, 512);
        Assert.Equal(2, model.Regions);
    }

    [Fact]
    public void Build_WithoutWithSeed_DrawsFromTheGlobalGeneratorAsItFindsIt()
    {
        // The backbone instance exists before: only the VSCNet modules are created in Build.
        VscNet Make(long state, long? seed = null)
        {
            var builder = new VscNetBuilder().WithBackbone(new VscNetTestKit.TinyBackbone()).WithRegions(2).WithTagVocabulary(VscNetTestKit.TagNames).WithClasses(3);
            if (seed is long s)
            {
                builder.WithSeed(s);
            }

            manual_seed(state);
            return builder.Build();
        }

        using var a = Make(7);
        using var b = Make(7);
        using var c = Make(8);
        ModuleContract.AssertStateDictsEqual(a, b);
        Assert.False(a.state_dict()["classifier.weight"].allclose(c.state_dict()["classifier.weight"]));

        // Asked, the builder seeds: the state it found no longer matters.
        using var d = Make(7, seed: 5);
        using var e = Make(8, seed: 5);
        ModuleContract.AssertStateDictsEqual(d, e);
    }

    [Fact]
    public void Build_SameSeed_SameWeights()
    {
        using var a = VscNetTestKit.Builder(seed: 5).Build();
        using var b = VscNetTestKit.Builder(seed: 5).Build();
        ModuleContract.AssertStateDictsEqual(a, b);
    }
}
