using CausalVision.CausalLabels;
using static CausalVision.Tests.CausalLabels.CausalLabelTestData;

namespace CausalVision.Tests.CausalLabels;

public sealed class DictionaryControlTests
{
    private static ConfounderDictionary Built()
    {
        var (centres, prior) = Dictionary(Dim);
        using (centres)
        using (prior)
        {
            return new ConfounderDictionary(centres, prior);
        }
    }

    [Fact]
    public void Apply_PriorMean_OneCentreAtWeightedMean()
    {
        using var d = Built();
        using var c = DictionaryControls.Apply(DictionaryControl.PriorMean, d);
        Assert.Equal(1, c.Count);
        using var mean = (d.Centres * d.Prior.unsqueeze(1)).sum(0, keepdim: true);
        TensorAssert.Close(mean, c.Centres, 1e-6, 1e-6);
        TensorAssert.Values(new[] { 1f }, c.Prior);
    }

    [Fact]
    public void Apply_Zero_ZeroCentresPriorKept()
    {
        using var d = Built();
        using var c = DictionaryControls.Apply(DictionaryControl.Zero, d);
        Assert.Equal(0f, c.Centres.abs().sum().item<float>());
        TensorAssert.Close(d.Prior, c.Prior, 0, 0);
    }

    [Fact]
    public void Apply_ShuffledPrior_SameCentresPermutedPrior()
    {
        using var d = Built();
        using var c = DictionaryControls.Apply(DictionaryControl.ShuffledPrior, d, seed: 4);
        TensorAssert.Close(d.Centres, c.Centres, 0, 0);
        using var a = d.Prior.sort().Values;
        using var b = c.Prior.sort().Values;
        TensorAssert.Close(a, b, 0, 0);
    }

    [Fact]
    public void Apply_MatchedRandom_MatchesMeanAndCovarianceInDistribution()
    {
        // 4,000 centres in 3-d: the Gaussian control's sample moments approach the built ones.
        manual_seed(2);
        using var centres = (randn(4000, 3) * tensor(new[] { 2f, 0.5f, 1f })) + tensor(new[] { 1f, -2f, 0.5f });
        using var prior = full(4000, 1f / 4000);
        using var d = new ConfounderDictionary(centres, prior);
        using var c = DictionaryControls.Apply(DictionaryControl.MatchedRandom, d, seed: 9);
        using var again = DictionaryControls.Apply(DictionaryControl.MatchedRandom, d, seed: 9);
        TensorAssert.Close(c.Centres, again.Centres, 0, 0);
        using var m0 = d.Centres.mean([0]);
        using var m1 = c.Centres.mean([0]);
        TensorAssert.Close(m0, m1, atol: 0.1);
        using var s0 = d.Centres.std(0);
        using var s1 = c.Centres.std(0);
        TensorAssert.Close(s0, s1, atol: 0.1);
        using var diff = (d.Centres - c.Centres).abs().mean();
        Assert.True(diff.item<float>() > 0.5f, "The random control copied the centres.");
    }

    [Fact]
    public void SwapDictionary_ToOneCentre_ChangesKAndRuns()
    {
        manual_seed(3);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, dropout: 0.0);
        m.eval();
        using var d = Built();
        m.SetDictionary(d.Centres, d.Prior);
        using var one = DictionaryControls.Apply(DictionaryControl.PriorMean, d);
        m.SwapDictionary(one.Centres, one.Prior);
        Assert.Equal(1, m.NumConfounders);
        TensorAssert.Shape(m.state_dict()["centres"], 1, Dim);
        using var x = randn(2, Labels, Dim);
        using var q = randn(Labels, Dim);
        using var y = m.call(x, q);
        using var slow = m.ForwardPerConfounder(x, q);
        TensorAssert.Close(slow, y, atol: 1e-5, rtol: 0);
    }
}
