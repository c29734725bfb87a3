using CausalVision.Vscnet.Fva;
using CausalVision.Graph.Cim;
using CausalVision.Vscnet;

namespace CausalVision.Tests.Vscnet;

/// <summary>The causal-path options of VSCNet: prediction from f_c alone, selective CIM, distinct regions, eq. 7's τ.</summary>
public sealed class VscNetCausalPathTests
{
    private static VscNet Build(Action<VscNetOptions> configure)
    {
        var model = VscNetTestKit.Builder().Configure(configure).Build();
        return model;
    }

    [Fact]
    public void CausalClassifierHead_Stage2_PredictsFromCausalLogitsAloneAndLeaksNothing()
    {
        using var model = Build(o =>
        {
            o.Prediction = VscPredictionHead.CausalClassifier;
            o.Cim = CimOptions.Selective();
            o.Cim.HiddenFeatures = 8;
            o.Fva = FvaOptions.Localising();
            o.Fva.Steps = VscNetTestKit.Regions;
            o.Refinement.PrototypeTemperature = 0.05;
        });
        using var hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        model.eval();
        using var x = VscNetTestKit.Images();
        using (var o = model.call(x))
        {
            TensorAssert.Close(o.CausalLogits!, o.Logits, 0);
            using var p = o.CausalLogits!.softmax(-1);
            TensorAssert.Close(p, o.Probabilities, 1e-6);
        }

        model.train();
        model.SetStage(VscNetStage.Classification);
        using var y = VscNetTestKit.Labels();
        using var optimizer = optim.Adam(model.parameters().Where(p => p.requires_grad), 1e-3);
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var o = model.call(x);
            var loss = VscNetLoss.Stage2(model, o, y);
            loss.Total.backward();
            optimizer.step();
        });
    }

    [Fact]
    public void SelectiveCim_IsWiredIntoTheModule()
    {
        using var model = Build(o =>
        {
            o.Cim = CimOptions.Selective();
            o.Cim.HiddenFeatures = 8;
        });
        var c = model.CimOptions!;
        Assert.Equal(CimMaskPlacement.AfterNorm, c.MaskPlacement);
        Assert.Equal(0, c.MaskEncoderLayers);
        Assert.Equal(1.0, c.MaskBudgetWeight);
        Assert.Contains(model.named_parameters(), p => p.name.StartsWith("cim.input_norm.", StringComparison.Ordinal));
    }

    [Fact]
    public void CausalClassifierHead_WithoutCausal_IsRejected()
    {
        var options = new VscNetOptions { Ablation = VscNetAblation.Locating | VscNetAblation.Knowledge | VscNetAblation.Graph };
        options.Prediction = VscPredictionHead.CausalClassifier;
        Assert.Contains(options.Problems(), p => p.Contains("CausalClassifier", StringComparison.Ordinal));
    }

    [Fact]
    public void TagsHead_Stage2_IsALinearClassifierOnTheLogMeanTagsAndTrainsOnlyIt()
    {
        using var model = VscNetTestKit.Builder(VscNetAblation.Locating | VscNetAblation.Knowledge)
            .Configure(o => o.Prediction = VscPredictionHead.Tags)
            .Build();
        using var hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToArray();
        Assert.Contains("tag_classifier.weight", trainable);
        Assert.DoesNotContain(trainable, n => n.StartsWith("csnet.", StringComparison.Ordinal) || n.StartsWith("classifier.", StringComparison.Ordinal));
        model.eval();
        using var x = VscNetTestKit.Images();
        using (var o = model.call(x))
        {
            using var scope = NewDisposeScope();
            var sd = model.state_dict();
            var expected = nn.functional.linear(o.TagProbabilities!.mean([1L]).clamp_min(1e-6).log(), sd["tag_classifier.weight"], sd["tag_classifier.bias"]);
            TensorAssert.Close(expected, o.Logits, 1e-5);
            TensorAssert.Close(o.Logits.softmax(-1), o.Probabilities, 1e-6);
        }

        // One step moves the tag classifier and nothing that is frozen; nothing leaks.
        model.train();
        model.SetStage(VscNetStage.Classification);
        using var y = VscNetTestKit.Labels();
        using var before = model.state_dict()["tag_classifier.weight"].clone();
        using var csnetBefore = model.state_dict().First(kv => kv.Key.StartsWith("csnet.", StringComparison.Ordinal)).Value.clone();
        using var optimizer = optim.Adam(model.parameters().Where(p => p.requires_grad), 1e-2);
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var o = model.call(x);
            VscNetLoss.Stage2(model, o, y).Total.backward();
            optimizer.step();
        });
        Assert.False(before.allclose(model.state_dict()["tag_classifier.weight"]));
        Assert.True(csnetBefore.allclose(model.state_dict().First(kv => kv.Key.StartsWith("csnet.", StringComparison.Ordinal)).Value));
    }

    [Fact]
    public void TagsHead_WithoutLocating_IsRejectedAndOtherHeadsHaveNoTagClassifier()
    {
        var options = new VscNetOptions { Ablation = VscNetAblation.Base };
        options.Prediction = VscPredictionHead.Tags;
        Assert.Contains(options.Problems(), p => p.Contains("Tags", StringComparison.Ordinal));
        using var model = Build(_ => { });
        Assert.DoesNotContain(model.state_dict().Keys, k => k.StartsWith("tag_classifier.", StringComparison.Ordinal));
    }
}
