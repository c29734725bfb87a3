using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static CausalVision.Tests.CausalLabels.CausalLabelModelTestData;

namespace CausalVision.Tests.CausalLabels;

public sealed class CausalLabelModelTests
{
    [Theory]
    [InlineData(CausalLabelVariant.Baseline)]
    [InlineData(CausalLabelVariant.Decouple)]
    [InlineData(CausalLabelVariant.Causal)]
    public void Forward_EachVariant_LogitsPerLabel(CausalLabelVariant variant)
    {
        using var model = Model(variant);
        using var images = rand(2, 3, 32, 32);
        using var logits = model.call(images);
        TensorAssert.Shape(logits, 2, Labels);
        TensorAssert.Finite(logits);
        using var parts = model.ForwardParts(images);
        Assert.Equal(variant == CausalLabelVariant.Causal, parts.CausalLogits is not null);
        Assert.Equal(variant != CausalLabelVariant.Baseline, parts.LabelFeatures is not null);
        Assert.Equal(variant == CausalLabelVariant.Baseline, model.Head is null);
        Assert.Equal(variant == CausalLabelVariant.Causal ? K : 0, model.NumConfounders);
    }

    [Fact]
    public void ForwardParts_WithoutIntervention_LogitsEqualGroupWise()
    {
        using var model = Model();
        model.eval();
        using var images = rand(2, 3, 32, 32);
        using var parts = model.ForwardParts(images, intervene: false);
        Assert.Null(parts.CausalLogits);
        TensorAssert.Close(parts.BaselineLogits, parts.Logits, 0, 0);
    }

    [Fact]
    public void Forward_NoTensorLeaks()
    {
        using var model = Model();
        using var images = rand(2, 3, 32, 32);
        TensorLeaks.AssertNone(() => model.call(images).Dispose());
        TensorLeaks.AssertNone(() => model.ForwardParts(images).Dispose());
        TensorLeaks.AssertNone(() => model.SpatialFeatures(images).Dispose());
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            model.call(images).sum().backward();
        });
    }

    [Fact]
    public void SpatialFeatures_TinyBackbone_TokensWithoutGradient()
    {
        using var model = Model();
        using var images = rand(2, 3, 32, 32);
        using var tokens = model.SpatialFeatures(images);
        TensorAssert.Shape(tokens, 2, 64, 8);
        Assert.False(tokens.requires_grad);
    }

    [Fact]
    public void SetDictionary_OtherDimensionOrK_ThrowsClearMessage()
    {
        using var model = Model();
        using var wrongDim = ConfounderDictionary.Random(K, 5);
        var ex = Assert.Throws<ArgumentException>(() => model.SetDictionary(wrongDim));
        Assert.Contains("feature dimension 5 but this model expects 8", ex.Message, StringComparison.Ordinal);
        using var wrongK = ConfounderDictionary.Random(K + 1, 8);
        Assert.Contains("K = 4 centres but the model was built for K = 3", Assert.Throws<ArgumentException>(() => model.SetDictionary(wrongK)).Message, StringComparison.Ordinal);
        using var ok = ConfounderDictionary.Random(K, 8, seed: 2);
        model.SetDictionary(ok);
        TensorAssert.Close(ok.Centres, model.Intervention!.Centres, 0, 0);
        using var decouple = Model(CausalLabelVariant.Decouple);
        Assert.Throws<InvalidOperationException>(() => decouple.SetDictionary(ok));
    }

    [Fact]
    public void CopyStageOneFrom_OtherK_CopiesBackboneAndDecoderOnly()
    {
        using var source = Model(seed: 1, k: 3);
        using var target = Model(seed: 2, k: 5);
        var copied = target.CopyStageOneFrom(source);
        Assert.True(copied > 0);
        var s = source.state_dict();
        var t = target.state_dict();
        TensorAssert.Close(s["backbone.conv.weight"], t["backbone.conv.weight"], 0, 0);
        TensorAssert.Close(s["head.decoder.query_embed.weight"], t["head.decoder.query_embed.weight"], 0, 0);
        Assert.Equal(5, t["head.intervention.centres"].shape[0]);
    }

    [Fact]
    public void Build_DerivesDimensionsFromBackbone()
    {
        using var model = Model();
        var o = model.Options;
        Assert.Equal(8, o.InputDim);
        Assert.Equal(8, o.ConfounderDim);
        Assert.True(o.UseIntervention);
        Assert.Equal(["label0", "label1", "label2", "label3"], model.LabelNames);
    }

    [Fact]
    public void Build_InvalidSettings_ThrowsNamingTheProblem()
    {
        Assert.Contains("label set is empty", Assert.Throws<ArgumentException>(() => new CausalLabelModelBuilder().WithBackbone(new TinyBackbone()).Build()).Message, StringComparison.Ordinal);
        Assert.Contains("label set is empty", Assert.Throws<ArgumentException>(() => new CausalLabelModelBuilder().WithBackbone(new TinyBackbone()).WithLabels(Array.Empty<string>()).Build()).Message, StringComparison.Ordinal);
        Assert.Contains("must be divisible by Heads", Assert.Throws<ArgumentException>(() => new CausalLabelModelBuilder().WithBackbone(new TinyBackbone()).WithLabels(2).WithModelDim(10).WithHeads(4).Build()).Message, StringComparison.Ordinal);
        Assert.Contains("NumConfounders", Assert.Throws<ArgumentException>(() => new CausalLabelModelBuilder().WithBackbone(new TinyBackbone()).WithLabels(2).WithModelDim(8).WithHeads(2).WithConfounders(0).Build()).Message, StringComparison.Ordinal);
        Assert.Contains("blank", Assert.Throws<ArgumentException>(() => new CausalLabelModelBuilder().WithLabels(["a", " "]).Build()).Message, StringComparison.Ordinal);
        Assert.Contains("no_such_net", Assert.Throws<ArgumentException>(() => new CausalLabelModelBuilder().WithBackbone("no_such_net").WithLabels(2).Build()).Message, StringComparison.Ordinal);
        var builder = new CausalLabelModelBuilder().WithBackbone(new TinyBackbone()).WithLabels(2).WithModelDim(8).WithHeads(2);
        using (builder.Build())
        {
        }

        Assert.Contains("single-use", Assert.Throws<InvalidOperationException>(() => builder.Build()).Message, StringComparison.Ordinal);

        // The builder contract: every method is guarded after Build, and Build reports every problem at once.
        Assert.Throws<InvalidOperationException>(() => builder.WithLabels(3));
        Assert.Throws<InvalidOperationException>(() => builder.Configure(o => o.Heads = 1));
        var all = Assert.Throws<ArgumentException>(() => new CausalLabelModelBuilder().WithBackbone(new TinyBackbone()).WithLabels(["a", " "]).WithModelDim(10).WithHeads(4).WithConfounders(0).Build()).Message;
        Assert.Contains("blank", all, StringComparison.Ordinal);
        Assert.Contains("must be divisible by Heads", all, StringComparison.Ordinal);
        Assert.Contains("NumConfounders", all, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_NamedSmallStemResNet_ForwardsTinyImages()
    {
        using var model = new CausalLabelModelBuilder()
            .WithBackbone("resnet18", new BackboneOptions { SmallInputStem = true })
            .WithLabels(["a", "b", "c"]).WithModelDim(16).WithHeads(2).WithDecoderLayers(1).WithConfounders(2).WithSeed(0)
            .Build();
        Assert.Equal(512, model.ConfounderDim);
        model.eval();
        using var images = rand(1, 3, 32, 32);
        using var logits = model.call(images);
        TensorAssert.Shape(logits, 1, 3);
        Assert.Equal(["a", "b", "c"], model.LabelNames);
    }

    [Fact]
    public void AddCausalLabels_ValidOptions_TransientBuilderWithDefaults()
    {
        var services = new ServiceCollection();
        services.AddCausalVision(o => o.Device = "cpu").AddCausalLabels(o =>
        {
            o.ModelDim = 8;
            o.Heads = 2;
            o.NumConfounders = 3;
        });
        using var sp = services.BuildServiceProvider();
        var a = sp.GetRequiredService<CausalLabelModelBuilder>();
        var b = sp.GetRequiredService<CausalLabelModelBuilder>();
        Assert.NotSame(a, b);
        using var model = a.WithBackbone(new TinyBackbone()).WithLabels(2).Build();
        Assert.Equal(3, model.NumConfounders);
        Assert.Equal(8, model.Options.ModelDim);
    }

    [Fact]
    public void AddCausalLabels_InvalidOptions_ValidationFails()
    {
        var services = new ServiceCollection();
        services.AddCausalVision().AddCausalLabels(o =>
        {
            o.ModelDim = 10;
            o.Heads = 4;
        });
        using var sp = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<CausalLabelOptions>>().Value);
        Assert.Contains("divisible by Heads", ex.Message, StringComparison.Ordinal);
    }
}
