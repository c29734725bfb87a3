using CausalVision.Vscnet.Har;

namespace CausalVision.Tests.Vscnet.Har;

public sealed class TagRefinementTemperatureTests
{
    // Ten tags: the network prefers tag 0 (logit 0.3) over tag 1 (0); the rest are unlikely (-2). The matched prototype's
    // tag distribution t_r puts all its mass on tag 1.
    private static (Tensor Logits, Tensor Reference) Inputs()
    {
        var logits = new float[10];
        Array.Fill(logits, -2f);
        logits[0] = 0.3f;
        logits[1] = 0f;
        var reference = new float[10];
        reference[1] = 1f;
        return (tensor(logits, new long[] { 1, 1, 10 }), tensor(reference, new long[] { 1, 10 }));
    }

    [Fact]
    public void Refine_Equation7AsWritten_CannotMoveTheRanking()
    {
        // softmax of a probability vector is nearly flat (max/min <= e): tag 1 gains only alpha * (e - 1) / (9 + e).
        var (logits, reference) = Inputs();
        using var l = logits;
        using var r = reference;
        using var result = new TagRefinement(new TagRefinementOptions { AlphaF = 0.2, TopK = 2 }).Refine(l, r);
        Assert.Equal(new long[] { 0, 1 }, result.TopKIds.data<long>().ToArray());
    }

    [Fact]
    public void Refine_LowTemperature_PrototypeReRanksTheTags()
    {
        var (logits, reference) = Inputs();
        using var l = logits;
        using var r = reference;
        using var result = new TagRefinement(new TagRefinementOptions { AlphaF = 0.2, TopK = 2, PrototypeTemperature = 0.05 }).Refine(l, r);
        Assert.Equal(new long[] { 1, 0 }, result.TopKIds.data<long>().ToArray());
        using var sum = result.Refined.sum();
        Assert.Equal(1f, sum.item<float>(), 5);
    }

    [Fact]
    public void Refine_TemperatureOne_EqualsDefault()
    {
        var (logits, reference) = Inputs();
        using var l = logits;
        using var r = reference;
        using var a = new TagRefinement(new TagRefinementOptions { PrototypeTemperature = 1.0 }).Refine(l, r);
        using var b = new TagRefinement().Refine(l, r);
        TensorAssert.Close(a.Refined, b.Refined, atol: 0, rtol: 0);
        Assert.Throws<ArgumentException>(() => new TagRefinement(new TagRefinementOptions { PrototypeTemperature = 0 }));
    }
}
