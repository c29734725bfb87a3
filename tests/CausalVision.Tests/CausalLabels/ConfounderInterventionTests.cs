using CausalVision.CausalLabels;
using static CausalVision.Tests.CausalLabels.CausalLabelTestData;

namespace CausalVision.Tests.CausalLabels;

public sealed class ConfounderInterventionTests
{
    [Theory]
    [InlineData(InterventionForm.Grounded, false, null)]
    [InlineData(InterventionForm.Grounded, true, 24)]
    [InlineData(InterventionForm.GroundedNormalized, false, null)]
    [InlineData(InterventionForm.GroundedNormalized, true, 24)]
    [InlineData(InterventionForm.LayerNorm, false, null)]
    [InlineData(InterventionForm.Literal, false, null)]
    [InlineData(InterventionForm.LayerNorm, true, null)]
    [InlineData(InterventionForm.LayerNorm, false, 24)]
    [InlineData(InterventionForm.Literal, true, 24)]
    public void Forward_Batched_EqualsPerConfounderReference(InterventionForm form, bool batchQueries, int? confounderDim)
    {
        manual_seed(11);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, confounderDim, form, dropout: 0.2);
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
    public void Forward_Literal_DependsOnlyOnPriorMeanOfCentres()
    {
        // Shift invariance of softmax: the literal form sees the dictionary only through E_P[c].
        using var outputs = ForDictionaryAndPriorMean(InterventionForm.Literal);
        TensorAssert.Close(outputs[0], outputs[1], atol: 1e-5);
    }

    [Theory]
    [InlineData(InterventionForm.Grounded)]
    [InlineData(InterventionForm.GroundedNormalized)]
    [InlineData(InterventionForm.LayerNorm)]
    public void Forward_GroundedOrLayerNorm_ChangesWhenDictionaryIsReplacedByPriorMean(InterventionForm form)
    {
        using var outputs = ForDictionaryAndPriorMean(form);
        using var diff = (outputs[0] - outputs[1]).abs().max();
        Assert.True(diff.item<float>() > 1e-3, $"Expected different outputs, max |diff| {diff.item<float>()}.");
    }

    [Fact]
    public void GroundedMemory_EqualsHandComputedFormula()
    {
        // z_i = x_i + sum_c softmax_c(W_q x_i . W_k c / sqrt(d)) P(c) W_v c, computed here from the
        // state dict in float64 with explicit loops over i and c.
        manual_seed(17);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, 24, InterventionForm.Grounded, 0.0);
        m.eval();
        var (centres, prior) = Dictionary(24);
        using (centres)
        using (prior)
        {
            m.SetDictionary(centres, prior);
        }

        using var x = randn(1, Labels, Dim);
        using var z = m.GroundedMemory(x);
        var sd = m.state_dict();
        using var wq = sd["w_q.weight"].to(float64);
        using var bq = sd["w_q.bias"].to(float64);
        using var wk = sd["w_k.weight"].to(float64);
        using var bk = sd["w_k.bias"].to(float64);
        using var wv = sd["w_v.weight"].to(float64);
        using var c = sd["centres"].to(float64);
        using var p = sd["prior"].to(float64);
        using var x64 = x[0].to(float64);
        var expected = new double[Labels * Dim];
        for (var i = 0; i < Labels; i++)
        {
            using var qi = wq.matmul(x64[i]) + bq;
            var s = new double[K];
            for (var j = 0; j < K; j++)
            {
                using var kj = wk.matmul(c[j]) + bk;
                s[j] = (qi * kj).sum().item<double>() / Math.Sqrt(Dim);
            }

            var max = s.Max();
            var den = s.Sum(v => Math.Exp(v - max));
            using var acc = x64[i].clone();
            for (var j = 0; j < K; j++)
            {
                using var vj = wv.matmul(c[j]);
                acc.add_(vj * (Math.Exp(s[j] - max) / den * p[j].item<double>()));
            }

            var row = acc.data<double>().ToArray();
            Array.Copy(row, 0, expected, i * Dim, Dim);
        }

        using var exp = tensor(expected).view(1, Labels, Dim).to(float32);
        TensorAssert.Close(exp, z, atol: 1e-5, rtol: 0);
    }

    [Theory]
    [InlineData(InterventionForm.Grounded)]
    [InlineData(InterventionForm.GroundedNormalized)]
    public void Grounded_FiniteDifferences_MatchAutogradInFloat64(InterventionForm form)
    {
        manual_seed(23);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, 24, form, 0.0);
        m.to(float64);
        m.eval();
        var (centres, prior) = Dictionary(24);
        using (centres)
        using (prior)
        {
            using var c64 = centres.to(float64);
            using var p64 = prior.to(float64);
            m.SetDictionary(c64, p64);
        }

        using var x = randn(2, Labels, Dim, dtype: float64).requires_grad_();
        using var q = randn(Labels, Dim, dtype: float64);
        using var r = randn(2, Labels, dtype: float64);
        double Loss()
        {
            using var noGrad = no_grad();
            using var y = m.call(x, q);
            using var l = (y * r).sum();
            return l.item<double>();
        }

        using (var y = m.call(x, q))
        using (var l = (y * r).sum())
        {
            l.backward();
        }

        var named = m.named_parameters().ToDictionary(t => t.name, t => t.parameter);
        var checks = new List<(string Name, Tensor Value, Tensor Grad)> { ("x", x, x.grad!) };
        foreach (var name in new[] { "w_q.weight", "w_k.weight", "w_k.bias", "w_v.weight" })
        {
            checks.Add((name, named[name], named[name].grad!));
        }

        const double h = 1e-6;
        foreach (var (name, value, grad) in checks)
        {
            var flat = value.detach().view(-1);
            var g = grad.view(-1);
            for (var idx = 0; idx < flat.shape[0]; idx += Math.Max(1, (int)(flat.shape[0] / 7)))
            {
                double original = flat[idx].item<double>();
                flat[idx] = original + h;
                var plus = Loss();
                flat[idx] = original - h;
                var minus = Loss();
                flat[idx] = original;
                var numeric = (plus - minus) / (2 * h);
                var analytic = g[idx].item<double>();
                Assert.True(Math.Abs(numeric - analytic) <= 1e-6 + 1e-5 * Math.Abs(analytic), $"{name}[{idx}]: finite difference {numeric:G10} vs autograd {analytic:G10}.");
            }
        }

        Assert.True(named["w_k.weight"].grad!.abs().sum().item<double>() > 0, "W_k gets no gradient: the dictionary is unused.");
    }

    [Fact]
    public void GroundedMemory_NormalizedWithIdenticalCentres_AddsTheFullValue()
    {
        // Renormalised weights sum to 1: K copies of one centre c give z = x + W_v c exactly, while
        // the VC R-CNN weights give x + (sum_c P(c) / K) W_v c = x + W_v c / K.
        manual_seed(19);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, null, InterventionForm.GroundedNormalized, 0.0);
        using var plain = new ConfounderIntervention(Labels, Dim, Heads, K, null, InterventionForm.Grounded, 0.0);
        using (no_grad())
        {
            var source = m.named_parameters().ToDictionary(t => t.name, t => t.parameter);
            foreach (var (name, p) in plain.named_parameters())
            {
                p.copy_(source[name]);
            }
        }

        using var c = randn(1, Dim);
        using var centres = c.expand(K, Dim).contiguous();
        using var prior = tensor(new float[] { 0.5f, 0.3f, 0.2f });
        m.SetDictionary(centres, prior);
        plain.SetDictionary(centres, prior);
        using var x = randn(2, Labels, Dim);
        var wv = m.named_parameters().First(t => t.name == "w_v.weight").parameter;
        using var value = c.matmul(wv.t());
        using var expected = x + value;
        using var z = m.GroundedMemory(x);
        TensorAssert.Close(expected, z, atol: 1e-5, rtol: 0);
        using var expectedPlain = x + (value / K);
        using var zPlain = plain.GroundedMemory(x);
        TensorAssert.Close(expectedPlain, zPlain, atol: 1e-5, rtol: 0);
    }

    [Fact]
    public void Ctor_Grounded_HasQueryKeyValueMapsAndNoConfProj()
    {
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, 24);
        var names = m.named_parameters().Select(t => t.name).ToList();
        Assert.Equal(InterventionForm.Grounded, m.Form);
        Assert.Contains("w_q.weight", names);
        Assert.Contains("w_k.weight", names);
        Assert.Contains("w_v.weight", names);
        Assert.DoesNotContain("w_v.bias", names);
        Assert.DoesNotContain(names, n => n.StartsWith("conf_proj", StringComparison.Ordinal));
        TensorAssert.Shape(m.named_parameters().First(t => t.name == "w_k.weight").parameter, Dim, 24);
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

    [Theory]
    [InlineData(InterventionForm.Grounded)]
    [InlineData(InterventionForm.GroundedNormalized)]
    [InlineData(InterventionForm.LayerNorm)]
    public void ForwardBackward_NoLeakedTensors(InterventionForm form)
    {
        manual_seed(5);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, form: form);
        using var x = randn(2, Labels, Dim);
        using var q = randn(Labels, Dim);
        TensorLeaks.AssertNone(() =>
        {
            using var y = m.call(x, q);
            using var slow = m.ForwardPerConfounder(x, q);
            if (form != InterventionForm.LayerNorm)
            {
                using var z = m.GroundedMemory(x);
            }
        });
        TensorLeaks.AssertSteadyState(() =>
        {
            using var y = m.call(x, q);
            using var loss = y.sum();
            loss.backward();
        });
    }

    /// <summary>
    /// The outputs of one set of weights with the K-centre dictionary and with a single centre at
    /// E_P[c] (a K = 1 module holding the same parameters).
    /// </summary>
    private static DisposableList ForDictionaryAndPriorMean(InterventionForm form)
    {
        manual_seed(13);
        using var m = new ConfounderIntervention(Labels, Dim, Heads, K, null, form, 0.0);
        using var one = new ConfounderIntervention(Labels, Dim, Heads, 1, null, form, 0.0);
        m.eval();
        one.eval();
        var source = m.named_parameters().ToDictionary(t => t.name, t => t.parameter);
        using (no_grad())
        {
            foreach (var (name, p) in one.named_parameters())
            {
                p.copy_(source[name]);
            }
        }

        using var x = randn(2, Labels, Dim);
        using var q = randn(Labels, Dim);
        using var prior = tensor(new float[] { 0.5f, 0.3f, 0.2f });
        using var a = randn(K, Dim) * 3;
        using var mean = (a * prior.unsqueeze(1)).sum(0, keepdim: true);
        using var unit = ones(1);
        var result = new DisposableList();
        m.SetDictionary(a, prior);
        result.Add(m.call(x, q));
        one.SetDictionary(mean, unit);
        result.Add(one.call(x, q));
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
