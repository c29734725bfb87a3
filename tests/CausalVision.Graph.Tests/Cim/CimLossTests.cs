using CausalVision.Graph.Cim;

namespace CausalVision.Graph.Tests.Cim;

public sealed class CimLossTests
{
    private static readonly float Ln2 = MathF.Log(2f);
    private static readonly float Ln3 = MathF.Log(3f);

    // Logits whose softmax is exactly (0.5, 0.25, 0.25).
    private static Tensor Half() => tensor(new[] { MathF.Log(0.5f), MathF.Log(0.25f), MathF.Log(0.25f) }, new long[] { 1, 3 });

    [Fact]
    public void KlToUniform_UniformLogits_IsExactlyZero_BothDirections()
    {
        using var logits = tensor(new float[] { 0, 0, 0, 7, 7, 7, -3, -3, -3 }, new long[] { 3, 3 });
        foreach (var direction in new[] { CimKlDirection.PredictionToUniform, CimKlDirection.UniformToPrediction })
        {
            using var kl = CimLoss.KlToUniform(logits, direction);
            Assert.Equal(0f, kl.item<float>());
        }

        using var many = full(new long[] { 2, 101 }, 1.5f);
        using var kl101 = CimLoss.KlToUniform(many);
        Assert.True(Math.Abs(kl101.item<float>()) < 1e-6, $"KL of uniform over 101 classes = {kl101.item<float>()}");
    }

    [Fact]
    public void KlToUniform_KnownThreeClassExample_MatchesHandValue()
    {
        // p = (1/2, 1/4, 1/4): KL(p || U) = Σ p log p + log 3 = log 3 − 1.5 log 2;
        // KL(U || p) = −log 3 − (1/3) Σ log p = (5/3) log 2 − log 3.
        using var logits = Half();
        using var forward = CimLoss.KlToUniform(logits, CimKlDirection.PredictionToUniform);
        using var reverse = CimLoss.KlToUniform(logits, CimKlDirection.UniformToPrediction);
        Assert.Equal(Ln3 - (1.5f * Ln2), forward.item<float>(), 6);
        Assert.Equal((5f / 3f * Ln2) - Ln3, reverse.item<float>(), 6);

        // Batch mean: the known row with a uniform row halves the value.
        using var two = cat(new[] { Half(), zeros(1, 3) }, 0);
        using var mean = CimLoss.KlToUniform(two);
        Assert.Equal((Ln3 - (1.5f * Ln2)) / 2f, mean.item<float>(), 6);
    }

    [Fact]
    public void L2_TinyLogits_MatchesHandValue()
    {
        // softmax = (0.5, 0.25, 0.25): label 0 -> 0.25 + 0.0625 + 0.0625 = 0.375; label 1 -> 0.25 + 0.5625 + 0.0625 = 0.875.
        using var logits = cat(new[] { Half(), Half() }, 0);
        using var labels = tensor(new long[] { 0, 1 });
        using var l2 = CimLoss.L2(logits, labels);
        Assert.Equal(0.625f, l2.item<float>(), 6);

        // Multi-hot (1, 1, 0) -> target (0.5, 0.5, 0): 0 + 0.0625 + 0.0625.
        using var multi = tensor(new float[] { 1, 1, 0 }, new long[] { 1, 3 });
        using var one = Half();
        using var l2Multi = CimLoss.L2(one, multi);
        Assert.Equal(0.125f, l2Multi.item<float>(), 6);
    }

    [Fact]
    public void CrossEntropy_TinyLogits_MatchesHandValue()
    {
        using var logits = cat(new[] { Half(), Half() }, 0);
        using var labels = tensor(new long[] { 0, 1 });
        using var ce = CimLoss.CrossEntropy(logits, labels);
        Assert.Equal((Ln2 + (2 * Ln2)) / 2f, ce.item<float>(), 6);

        // Multi-hot: BCE with logits (ln 3, 0, −ln 3) vs (1, 1, 0): (−ln .75 + ln 2 − ln .75) / 3.
        using var z = tensor(new[] { Ln3, 0f, -Ln3 }, new long[] { 1, 3 });
        using var y = tensor(new float[] { 1, 1, 0 }, new long[] { 1, 3 });
        using var bce = CimLoss.CrossEntropy(z, y);
        Assert.Equal(((-2f * MathF.Log(0.75f)) + Ln2) / 3f, bce.item<float>(), 6);
    }

    [Fact]
    public void Compute_Weights_CombineTheTermsAsEq13()
    {
        using var causal = cat(new[] { Half(), Half() }, 0);
        using var trivial = cat(new[] { Half(), zeros(1, 3) }, 0);
        using var intervened = zeros(2, 3);
        using var labels = tensor(new long[] { 0, 1 });

        // Paper defaults: L2, KL(p || U), weights 1.
        var paper = new CimLoss(new CimOptions { InFeatures = 1, Classes = 3 });
        using (var r = paper.Compute(causal, trivial, intervened, labels))
        {
            var kl = (Ln3 - (1.5f * Ln2)) / 2f;
            const float l2Uniform = (4f / 9f) + (2f / 9f); // (1/3 − 1)² + 2·(1/3)²
            Assert.Equal(kl, r.Kl.item<float>(), 6);
            Assert.Equal(0.625f, r.Causal.item<float>(), 6);
            Assert.Equal(l2Uniform, r.Intervened.item<float>(), 6);
            Assert.Equal(kl + 0.625f + l2Uniform, r.Total.item<float>(), 5);
        }

        // CAL: CE, KL(U || p), 0.5 / 1.0 / 0.5.
        var cal = new CimLoss(CimOptions.Cal(1, 3));
        using (var r = cal.Compute(causal, trivial, intervened, labels))
        {
            var kl = ((5f / 3f * Ln2) - Ln3) / 2f;
            Assert.Equal(kl, r.Kl.item<float>(), 6);
            Assert.Equal(1.5f * Ln2, r.Causal.item<float>(), 6);
            Assert.Equal(Ln3, r.Intervened.item<float>(), 6);
            Assert.Equal((0.5f * kl) + (1.5f * Ln2) + (0.5f * Ln3), r.Total.item<float>(), 5);
        }
    }

    [Fact]
    public void Compute_Backward_GivesFiniteGradientsToAllThreeLogits_NoLeaks()
    {
        var loss = new CimLoss(new CimOptions { InFeatures = 1, Classes = 4 });
        manual_seed(1);
        using var zc = randn(5, 4).requires_grad_();
        using var zn = randn(5, 4).requires_grad_();
        using var zm = randn(5, 4).requires_grad_();
        using var y = tensor(new long[] { 0, 1, 2, 3, 0 });
        TensorLeaks.AssertSteadyState(() =>
        {
            using var r = loss.Compute(zc, zn, zm, y);
            r.Total.backward();
        });
        foreach (var z in new[] { zc, zn, zm })
        {
            Assert.NotNull(z.grad);
            TensorAssert.Finite(z.grad!);
            Assert.True(z.grad!.abs().sum().item<float>() > 0);
        }
    }

    [Fact]
    public void Compute_BadLabels_ThrowClearMessages()
    {
        var loss = new CimLoss(new CimOptions { InFeatures = 1, Classes = 3 });
        using var z = zeros(2, 3);
        using var outOfRange = tensor(new long[] { 0, 3 });
        Assert.Contains("[0, 3)", Assert.Throws<ArgumentException>(() => loss.Compute(z, z, z, outOfRange)).Message);
        using var negative = tensor(new long[] { -1, 0 });
        Assert.Contains("[0, 3)", Assert.Throws<ArgumentException>(() => loss.Compute(z, z, z, negative)).Message);
        using var wrongBatch = tensor(new long[] { 0, 1, 2 });
        Assert.Contains("batch size", Assert.Throws<ArgumentException>(() => loss.Compute(z, z, z, wrongBatch)).Message);
        using var z3 = zeros(3, 3);
        Assert.Contains("batch size 3", Assert.Throws<ArgumentException>(() => loss.Compute(z, z3, z, outOfRange)).Message);
        using var nanLabels = tensor(new float[] { float.NaN, 0, 1, 0, 1, 0 }, new long[] { 2, 3 });
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => loss.Compute(z, z, z, nanLabels)).Message);
        using var emptyRow = tensor(new float[] { 0, 0, 0, 0, 1, 0 }, new long[] { 2, 3 });
        Assert.Contains("without any positive class", Assert.Throws<ArgumentException>(() => loss.Compute(z, z, z, emptyRow)).Message);
        using var above = tensor(new float[] { 2, 0, 0, 0, 1, 0 }, new long[] { 2, 3 });
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => loss.Compute(z, z, z, above)).Message);
        using var nanLogits = tensor(new float[] { float.NaN, 0, 0, 0, 0, 0 }, new long[] { 2, 3 });
        using var ok = tensor(new long[] { 0, 1 });
        Assert.Contains("causalLogits contains NaN", Assert.Throws<ArgumentException>(() => loss.Compute(nanLogits, z, z, ok)).Message);
        using var wrongClasses = zeros(2, 4);
        Assert.Contains("3 classes", Assert.Throws<ArgumentException>(() => loss.Compute(z, wrongClasses, z, ok)).Message);
        using var boolLabels = tensor(new[] { true, false });
        Assert.Contains("class indices", Assert.Throws<ArgumentException>(() => loss.Compute(z, z, z, boolLabels)).Message);
    }
}
