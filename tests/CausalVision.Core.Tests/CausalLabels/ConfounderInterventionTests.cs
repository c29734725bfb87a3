using CausalVision.CausalLabels;
using static CausalVision.Tests.CausalLabels.CausalLabelTestData;

namespace CausalVision.Tests.CausalLabels;

public sealed class ConfounderInterventionTests
{
    [Theory]
    [InlineData(true, false, null)]
    [InlineData(false, false, null)]
    [InlineData(true, true, null)]
    [InlineData(true, false, 24)]
    [InlineData(false, true, 24)]
    public void Forward_Batched_EqualsPerConfounderReference(bool normalize, bool batchQueries, int? confounderDim)
    {
        manual_seed(11);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, confounderDim, normalize, dropout: 0.2);
        m.eval();
        var (centres, prior) = Dictionary(confounderDim ?? Dim);
        using (centres)
        using (prior)
        {
            m.SetDictionary(centres, prior);
        }

        using var x = randn(2, Labels, Dim);
        using var q = batchQueries ? randn(2, Labels, Dim) : randn(Labels, Dim);
        using var batched = m.call(x, q);
        using var slow = m.ForwardPerConfounder(x, q);
        TensorAssert.Shape(batched, 2, Labels);
        TensorAssert.Close(slow, batched, atol: 1e-5, rtol: 0);
    }

    [Fact]
    public void Forward_WithoutMemoryNorm_DependsOnlyOnPriorMeanOfCentres()
    {
        // Shift invariance of softmax: without LN the confounders act only through E_P[c].
        using var outputs = ForTwoDictionaries(normalize: false);
        TensorAssert.Close(outputs[0], outputs[1], atol: 1e-5);
    }

    [Fact]
    public void Forward_WithMemoryNorm_SeesEachConfounder()
    {
        using var outputs = ForTwoDictionaries(normalize: true);
        using var diff = (outputs[0] - outputs[1]).abs().max();
        Assert.True(diff.item<float>() > 1e-3, $"Expected different outputs, max |diff| {diff.item<float>()}.");
    }

    [Fact]
    public void SetDictionary_StoresBuffersInStateDict()
    {
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K);
        var (centres, prior) = Dictionary(Dim);
        using (centres)
        using (prior)
        {
            m.SetDictionary(centres, prior);
            var sd = m.state_dict();
            TensorAssert.Close(centres, sd["centres"], atol: 0);
            TensorAssert.Close(prior, sd["prior"], atol: 0);
        }

        Assert.DoesNotContain(m.parameters(), p => p.shape.SequenceEqual(new long[] { K, Dim }));
    }

    [Fact]
    public void Ctor_NoDictionary_ZeroCentresUniformPrior()
    {
        using var m = new ConfounderIntervention(Labels, Dim, Heads, 4);
        TensorAssert.Values(new[] { 0.25f, 0.25f, 0.25f, 0.25f }, m.Prior);
        Assert.Equal(0f, m.Centres.abs().sum().item<float>());
    }

    [Fact]
    public void SetDictionary_PriorNotSummingToOne_Throws()
    {
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K);
        using var c = zeros(K, Dim);
        using var p = tensor(new float[] { 0.5f, 0.3f, 0.3f });
        var ex = Assert.Throws<ArgumentException>(() => m.SetDictionary(c, p));
        Assert.Contains("must sum to 1; it sums to 1.1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetDictionary_NegativePrior_Throws()
    {
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K);
        using var c = zeros(K, Dim);
        using var p = tensor(new float[] { 1.2f, -0.1f, -0.1f });
        var ex = Assert.Throws<ArgumentException>(() => m.SetDictionary(c, p));
        Assert.Contains("non-negative", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetDictionary_OtherFeatureDimension_Throws()
    {
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K);
        using var c = zeros(K, 2048);
        using var p = full(K, 1f / K);
        var ex = Assert.Throws<ArgumentException>(() => m.SetDictionary(c, p));
        Assert.Contains("feature dimension 2048 but the model expects 16", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetDictionary_OtherK_Throws()
    {
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K);
        using var c = zeros(K + 1, Dim);
        using var p = full(K + 1, 1f / (K + 1));
        var ex = Assert.Throws<ArgumentException>(() => m.SetDictionary(c, p));
        Assert.Contains("K = 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetDictionary_NaNCentre_Throws()
    {
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K);
        using var c = full(K, Dim, float.NaN);
        using var p = full(K, 1f / K);
        Assert.Throws<ArgumentException>(() => m.SetDictionary(c, p));
    }

    [Fact]
    public void Forward_WrongQueryShape_Throws()
    {
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K);
        using var x = zeros(2, Labels, Dim);
        using var q = zeros(Labels + 1, Dim);
        var ex = Assert.Throws<ArgumentException>(() => m.call(x, q));
        Assert.Contains("Expected queries", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_NoLeakedTensors()
    {
        manual_seed(5);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K);
        using var x = randn(2, Labels, Dim);
        using var q = randn(Labels, Dim);
        TensorLeaks.AssertNone(() =>
        {
            using var y = m.call(x, q);
            using var slow = m.ForwardPerConfounder(x, q);
        });
        TensorLeaks.AssertSteadyState(() =>
        {
            using var y = m.call(x, q);
            using var loss = y.sum();
            loss.backward();
        });
    }

    private static DisposableList ForTwoDictionaries(bool normalize)
    {
        manual_seed(13);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, null, normalize, 0.0);
        m.eval();
        using var x = randn(2, Labels, Dim);
        using var q = randn(Labels, Dim);
        using var prior = tensor(new float[] { 0.5f, 0.3f, 0.2f });
        using var a = randn(K, Dim);
        using var mean = (a * prior.unsqueeze(1)).sum(0, keepdim: true).expand(K, Dim).contiguous();
        var result = new DisposableList();
        m.SetDictionary(a, prior);
        result.Add(m.call(x, q));
        m.SetDictionary(mean, prior);
        result.Add(m.call(x, q));
        return result;
    }

    private sealed class DisposableList : List<Tensor>, IDisposable
    {
        public void Dispose()
        {
            foreach (var t in this)
            {
                t.Dispose();
            }
        }
    }
}
