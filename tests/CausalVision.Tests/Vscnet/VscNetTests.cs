using CausalVision.Vscnet;

namespace CausalVision.Tests.Vscnet;

public sealed class VscNetTests
{
    public static TheoryData<VscNetAblation> Rows => new()
    {
        VscNetAblation.Base,
        VscNetAblation.Locating,
        VscNetAblation.Locating | VscNetAblation.Graph,
        VscNetAblation.Locating | VscNetAblation.Knowledge,
        VscNetAblation.Locating | VscNetAblation.Knowledge | VscNetAblation.Graph,
        VscNetAblation.Locating | VscNetAblation.Knowledge | VscNetAblation.Graph | VscNetAblation.Causal,
        VscNetAblation.Full,
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Forward_EachAblationStage2_ShapesAndDistributions(VscNetAblation ablation)
    {
        using var model = VscNetTestKit.Builder(ablation).Build();
        using var hierarchy = model.Has(VscNetAblation.Knowledge) ? VscNetTestKit.Hierarchy(model) : null;
        if (hierarchy is not null)
        {
            model.SetHierarchy(hierarchy);
        }

        if (model.HasStage2)
        {
            model.SetStage(VscNetStage.Classification);
        }

        using var x = VscNetTestKit.Images();
        using var o = model.call(x);
        TensorAssert.Shape(o.Logits, 4, VscNetTestKit.Classes);
        TensorAssert.Shape(o.Probabilities, 4, VscNetTestKit.Classes);
        using var sums = o.Probabilities.sum(1);
        using var ones = ones_like(sums);
        TensorAssert.Close(ones, sums, 1e-5);
        Assert.Equal(ablation.HasFlag(VscNetAblation.Locating), o.Fva is not null);
        Assert.Equal(model.Has(VscNetAblation.Knowledge), o.KnowledgeVote is not null);
        Assert.Equal(model.Has(VscNetAblation.Graph), o.Adjacency is not null);
        Assert.Equal(model.Has(VscNetAblation.Causal), o.NodeMask is not null);
        if (o.Fva is not null)
        {
            TensorAssert.Shape(o.Fva.Thetas, 4, VscNetTestKit.Regions, 2, 3);
            TensorAssert.Shape(o.TagProbabilities!, 4, VscNetTestKit.Regions, VscNetTestKit.Tags);
        }

        if (o.NodeMask is not null)
        {
            var n = o.Adjacency!.shape[1];
            TensorAssert.Shape(o.NodeMask, 4, n, 2);
            TensorAssert.Shape(o.EdgeMask!, 4, n, n, 2);
            TensorAssert.Shape(o.InterventionLogits!, 4, VscNetTestKit.Classes);
            Assert.NotNull(o.Permutation); // training mode intervenes
        }
    }

    [Fact]
    public void Forward_FullWithFusion_ProbabilitiesAreMeanOfSoftmaxAndVote()
    {
        using var model = VscNetTestKit.Builder().Build();
        using var hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        model.eval();
        using var x = VscNetTestKit.Images();
        using var o = model.call(x);
        using var expected = (o.Logits.softmax(-1) + o.KnowledgeVote!) / 2;
        TensorAssert.Close(expected, o.Probabilities, 1e-6);
        Assert.Null(o.Permutation); // no intervention at evaluation by default
    }

    [Fact]
    public void Forward_Stage2WithoutHierarchy_ThrowsInvalidOperation()
    {
        using var model = VscNetTestKit.Builder().Build();
        var e = Assert.Throws<InvalidOperationException>(() => model.SetStage(VscNetStage.Classification));
        Assert.Contains("hierarchy", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SetStage_Stage2InTraining_FrozenPartsStayInEvalMode()
    {
        using var model = VscNetTestKit.Builder().Build();
        using var hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        model.train();
        Assert.True(model.training);
        Assert.False(model.Backbone.training);
        Assert.False(model.SpatialNet!.training);
        Assert.All(model.named_children().Where(c => c.name == "cim"), c => Assert.True(c.module.training));
        model.SetStage(VscNetStage.Alignment);
        model.train();
        Assert.True(model.Backbone.training);
    }

    [Fact]
    public void SetStage_BaseStage2_ThrowsInvalidOperation()
    {
        using var model = VscNetTestKit.Builder(VscNetAblation.Base).Build();
        Assert.Throws<InvalidOperationException>(() => model.SetStage(VscNetStage.Classification));
    }

    [Fact]
    public void Forward_WrongChannels_ThrowsArgument()
    {
        using var model = VscNetTestKit.Builder().Build();
        using var x = zeros(2, 1, 16, 16);
        var e = Assert.Throws<ArgumentException>(() => model.call(x).Dispose());
        Assert.Contains("[B, 3, H, W]", e.Message);
    }

    [Fact]
    public void SetHierarchy_WrongTagCount_ThrowsArgument()
    {
        using var model = VscNetTestKit.Builder().Build();
        using var other = VscNetTestKit.Builder().WithTagVocabulary(new[] { "a", "b", "c", "d", "e", "f", "g" }).Build();
        using var h = VscNetTestKit.Hierarchy(model);
        var e = Assert.Throws<ArgumentException>(() => other.SetHierarchy(h));
        Assert.Contains("6 tags", e.Message);
    }

    [Fact]
    public void Backward_Stage1_ReachesEveryTrainableParameterAndOnlyStage1()
    {
        using var model = VscNetTestKit.Builder().Build();
        model.SetStage(VscNetStage.Alignment);
        using var x = VscNetTestKit.Images();
        using var y = VscNetTestKit.Labels();
        using var tags = VscNetTestKit.StepTargets();
        using (var o = model.call(x))
        using (var loss = VscNetLoss.Stage1(model, o, y, tags))
        {
            loss.Total.backward();
        }

        ModuleContract.AssertGradientsReachAllParameters(model);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.StartsWith("delta_c", StringComparison.Ordinal) && p.parameter.requires_grad);
    }

    [Fact]
    public void Backward_Stage2_ReachesEveryTrainableParameterCsnetFrozen()
    {
        using var model = VscNetTestKit.Builder().Build();
        using var hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        using var x = VscNetTestKit.Images();
        using var y = VscNetTestKit.Labels();
        using (var o = model.call(x))
        using (var loss = VscNetLoss.Stage2(model, o, y))
        {
            loss.Total.backward();
        }

        ModuleContract.AssertGradientsReachAllParameters(model);
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.StartsWith("csnet.", StringComparison.Ordinal))
            {
                Assert.False(p.requires_grad, name);
                Assert.True(p.grad is null, $"{name} received a gradient in stage 2");
            }
        }
    }

    [Fact]
    public void TrainingStep_EachStage_LeavesNoTensors()
    {
        using var model = VscNetTestKit.Builder().Build();
        using var hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        using var x = VscNetTestKit.Images();
        using var y = VscNetTestKit.Labels();
        using var tags = VscNetTestKit.StepTargets();
        foreach (var stage in new[] { VscNetStage.Alignment, VscNetStage.Classification })
        {
            model.SetStage(stage);
            using var optimizer = optim.Adam(model.parameters().Where(p => p.requires_grad), 1e-3);
            void Step()
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var o = model.call(x);
                var loss = stage == VscNetStage.Alignment ? VscNetLoss.Stage1(model, o, y, tags) : VscNetLoss.Stage2(model, o, y);
                loss.Total.backward();
                optimizer.step();
            }

            TensorLeaks.AssertSteadyState(Step);
        }
    }
}
