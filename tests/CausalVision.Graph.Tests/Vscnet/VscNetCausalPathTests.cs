using CausalVision.Fva;
using CausalVision.Graph.Cim;
using CausalVision.Graph.Vscnet;

namespace CausalVision.Graph.Tests.Vscnet;

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
            o.Fusion.Prediction = VscPredictionHead.CausalClassifier;
            o.Cim = VscCimOptions.Selective();
            o.Fva = FvaOptions.Localising();
            o.Fva.Steps = VscNetTestKit.Regions;
            o.Har.PrototypeTemperature = 0.05;
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
        using var model = Build(o => o.Cim = VscCimOptions.Selective());
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
        options.Fusion.Prediction = VscPredictionHead.CausalClassifier;
        Assert.Contains(options.Problems(), p => p.Contains("CausalClassifier", StringComparison.Ordinal));
    }
}
