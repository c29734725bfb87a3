using CausalVision.Vscnet;

namespace CausalVision.Tests.Vscnet;

public sealed class VscNetRefinementTests
{
    [Fact]
    public void Forward_WithKnowledge_TagsFollowEquation7WithMatchedPrototypes()
    {
        using var model = VscNetTestKit.Builder(VscNetAblation.Locating | VscNetAblation.Knowledge).Configure(o => o.Refinement.AlphaF = 0.3).Build();
        using var hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        model.eval();
        using var x = VscNetTestKit.Images();
        using var o = model.call(x);

        // Independent recomputation of eq. 7: t_f = (1 - a) softmax(t) + a softmax(t_r), t_r = the matched prototype's
        // tag distribution, for every region.
        using var scope = NewDisposeScope();
        var matched = o.MatchedPrototypes!.reshape(-1);
        var tr = hierarchy.TagDistribution.index_select(0, matched).reshape(4, VscNetTestKit.Regions, VscNetTestKit.Tags);
        var expected = (o.Fva!.TagLogits.softmax(-1) * 0.7) + (tr.softmax(-1) * 0.3);
        TensorAssert.Close(expected, o.TagProbabilities!, 1e-6);

        // Each matched prototype carries one of the region's 3 most probable tags (tag-restricted matching).
        var top = o.Fva.TagLogits.topk(3, dim: 2).indexes.cpu().data<long>().ToArray();
        var ids = matched.cpu().data<long>().ToArray();
        for (var r = 0; r < ids.Length; r++)
        {
            Assert.Contains(hierarchy.PrototypeTags[(int)ids[r]], top.Skip(r * 3).Take(3));
        }
    }

    [Fact]
    public void StateDict_RoundTrip_SameOutputs()
    {
        using var a = VscNetTestKit.Builder(seed: 1).Build();
        using var b = VscNetTestKit.Builder(seed: 2).Build();
        using var hierarchy = VscNetTestKit.Hierarchy(a);
        var report = ModuleContract.CopyStateViaSafeTensors(a, b);
        ModuleContract.AssertStateDictsEqual(a, b);
        foreach (var m in new[] { a, b })
        {
            m.SetHierarchy(hierarchy);
            m.SetStage(VscNetStage.Classification);
            m.eval();
        }

        using var x = VscNetTestKit.Images();
        using var oa = a.call(x);
        using var ob = b.call(x);
        TensorAssert.Close(oa.Probabilities, ob.Probabilities, 1e-6);
        Assert.Contains(a.state_dict().Keys, k => k.StartsWith("cim.", StringComparison.Ordinal));
        Assert.Contains(a.state_dict().Keys, k => k.StartsWith("csnet.gru.", StringComparison.Ordinal));
        Assert.NotNull(report);
    }

    [Fact]
    public void Explain_Stage1_RegionsWithoutRefinement()
    {
        using var model = VscNetTestKit.Builder(VscNetAblation.Locating).Build();
        using var x = VscNetTestKit.Images(1);
        var e = Assert.Single(model.Explain(x));
        Assert.Equal(VscNetTestKit.Regions, e.Regions.Count);
        Assert.All(e.Regions, r => Assert.Empty(r.TagsAfter));
        Assert.All(e.Regions, r => Assert.Equal(-1, r.Prototype));
        Assert.All(e.Regions, r => Assert.Equal(3, r.TagsBefore.Count));
        Assert.Null(e.NodeMask);
    }
}
