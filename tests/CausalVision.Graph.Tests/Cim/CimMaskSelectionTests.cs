using CausalVision.Graph.Cim;
using CausalVision.Graph.Conv;
using CausalVision.Graph.Hetero;
using CausalVision.Testing;

namespace CausalVision.Graph.Tests.Cim;

public sealed class CimMaskSelectionTests
{
    [Fact]
    public void MaskBudgetTerm_HandExample_IsMeanExcessOverRealNodes()
    {
        // Graph 0: real nodes with causal masks 0.9, 0.5, padding row; mean 0.7, excess over 0.3 = 0.4.
        // Graph 1: masks 0.1, 0.2; mean 0.15 < 0.3, excess 0.
        using var mask = tensor(new float[] { 0.1f, 0.9f, 0.5f, 0.5f, 0, 0, 0.9f, 0.1f, 0.8f, 0.2f, 0, 0 }, new long[] { 2, 3, 2 });
        using var term = CimLoss.MaskBudgetTerm(mask, 0.3);
        Assert.Equal(0.2, term.item<float>(), 5);
        Assert.Throws<ArgumentException>(() => CimLoss.MaskBudgetTerm(mask, 1.0));
    }

    [Fact]
    public void Loss_WithBudget_AddsWeightedTermToTotal()
    {
        var options = new CimOptions { InFeatures = 4, Classes = 3, MaskBudget = 0.3, MaskBudgetWeight = 2 };
        using var logits = zeros(2, 3);
        using var labels = tensor(new long[] { 0, 1 });
        using var mask = tensor(new float[] { 0.1f, 0.9f, 0.5f, 0.5f, 0, 0, 0.9f, 0.1f, 0.8f, 0.2f, 0, 0 }, new long[] { 2, 3, 2 });
        using var without = new CimLoss(options).Compute(logits, logits, logits, labels);
        using var with = new CimLoss(options).Compute(logits, logits, logits, labels, mask);
        Assert.Null(without.Budget);
        Assert.Equal(0.2, with.Budget!.item<float>(), 5);
        Assert.Equal(without.Total.item<float>() + 0.4f, with.Total.item<float>(), 5);
    }

    [Fact]
    public void Gce_ConfidentCorrectTrivialHead_CostsLessThanUniform()
    {
        var options = new CimOptions { InFeatures = 4, Classes = 3, TrivialObjective = CimTrivialObjective.GeneralizedCrossEntropy };
        using var labels = tensor(new long[] { 0, 1 });
        using var uniform = zeros(2, 3);
        using var confident = tensor(new float[] { 5, 0, 0, 0, 5, 0 }, new long[] { 2, 3 });
        using var a = new CimLoss(options).Compute(uniform, uniform, uniform, labels);
        using var b = new CimLoss(options).Compute(uniform, confident, uniform, labels);
        // GCE of uniform p_y = 1/3: (1 - (1/3)^0.7) / 0.7.
        Assert.Equal((1 - Math.Pow(1.0 / 3, 0.7)) / 0.7, a.Kl.item<float>(), 5);
        Assert.True(b.Kl.item<float>() < 0.05f);
        // A confident, correct f_n makes the samples hard for nothing: the causal weights W = CE_n / (CE_c + CE_n) drop.
        Assert.True(b.Causal.item<float>() < a.Causal.item<float>());
    }

    [Fact]
    public void Encoder_WithoutInputNorm_ZeroNodeStaysWithoutContribution()
    {
        // With BatchNorm first, a node masked to zero becomes -mean/std; with the input norm off it stays zero.
        manual_seed(5);
        using var x = randn(1, 3, 4) + 2;
        x[0, 2] = zeros(4);
        using var adj = zeros(1, 3, 3);
        using var withNorm = new GcnEncoder(new GcnEncoderOptions { InFeatures = 4, HiddenFeatures = 4, Bias = false });
        using var withoutNorm = new GcnEncoder(new GcnEncoderOptions { InFeatures = 4, HiddenFeatures = 4, Bias = false, NormalizeInput = false });
        using var a = withNorm.EncodeNodes(x, adj, null);
        using var b = withoutNorm.EncodeNodes(x, adj, null);
        using var scope = NewDisposeScope();
        Assert.True(a[0, 2].abs().sum().item<float>() > 0, "BatchNorm-first: the zero node gets a state");
        Assert.Equal(0f, b[0, 2].abs().sum().item<float>());
    }

    [Fact]
    public void Module_AfterNorm_HasInputNormAndForwardLeaksNothing()
    {
        var options = CimOptions.Selective(4, 3);
        options.HiddenFeatures = 8;
        using var cim = new CimModule(options);
        Assert.Contains(cim.named_parameters(), p => p.name.StartsWith("input_norm.", StringComparison.Ordinal));
        Assert.Equal(CimMaskPlacement.AfterNorm, cim.MaskPlacement);
        using var graph = TestGraphs.RandomBatch();
        cim.eval();
        TensorLeaks.AssertNone(() =>
        {
            using var o = cim.call(graph);
            Assert.Equal(new long[] { graph.BatchSize, 3 }, o.CausalLogits.shape);
        });
    }
}
