using CausalVision.Vscnet.Fusion;

namespace CausalVision.Tests.Vscnet.Fusion;

public sealed class MultiViewFusionTests
{
    private static readonly float Ln2 = MathF.Log(2f);
    private static readonly float Ln3 = MathF.Log(3f);

    private static MultiViewFusion Known(double causalScale = 1.0, double visualScale = 1.0)
    {
        // H = 2, D_v = 1, W = 2, C = 3 with hand-set weights.
        var f = new MultiViewFusion(new FusionOptions { CausalFeatures = 2, VisualFeatures = 1, FusedFeatures = 2, Classes = 3, CausalScale = causalScale, VisualScale = visualScale });
        var p = f.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using (no_grad())
        {
            p["causal_proj.weight"].copy_(eye(2));
            p["causal_proj.bias"].zero_();
            p["visual_proj.weight"].copy_(tensor(new float[] { 1, 2 }, new long[] { 2, 1 }));
            p["visual_proj.bias"].copy_(tensor(new float[] { 0.5f, 0 }));
            p["classifier.weight"].copy_(tensor(new float[] { 1, 0, 0, 1, 1, -1 }, new long[] { 3, 2 }));
            p["classifier.bias"].zero_();
        }

        return f;
    }

    [Fact]
    public void Forward_KnownWeights_ComputesEq14Exactly()
    {
        using var fc = tensor(new float[] { 1, 2 }, new long[] { 1, 2 });
        using var fv = tensor(new float[] { 3 }, new long[] { 1, 1 });
        using (var f = Known())
        using (var o = f.call(fc, fv, null))
        {
            // F_e = (1, 2) + (3·1 + 0.5, 3·2) = (4.5, 8); P_e = (4.5, 8, −3.5); P_f = softmax(P_e).
            TensorAssert.Values(new[] { 4.5f, 8f }, o.Features);
            TensorAssert.Values(new[] { 4.5f, 8f, -3.5f }, o.Logits);
            var e = new[] { MathF.Exp(4.5f), MathF.Exp(8f), MathF.Exp(-3.5f) };
            var s = e.Sum();
            TensorAssert.Values(e.Select(v => v / s).ToArray(), o.Probabilities, 1e-6);
        }

        using (var f = Known(causalScale: 0.6, visualScale: 0.4))
        using (var o = f.call(fc, fv, null))
        {
            // 0.6·(1, 2) + 0.4·(3.5, 6) = (2.0, 3.6).
            TensorAssert.Values(new[] { 2.0f, 3.6f }, o.Features, 1e-5);
        }
    }

    [Fact]
    public void Fuse_KnownNumbers_MatchesWeightedSum()
    {
        // softmax(0, ln 2, 0) = (0.25, 0.5, 0.25).
        using var pe = tensor(new[] { 0f, Ln2, 0f }, new long[] { 1, 3 });
        using var pk = tensor(new[] { 0.1f, 0.2f, 0.7f }, new long[] { 1, 3 });
        using (var f = new MultiViewFusion(new FusionOptions { CausalFeatures = 1, VisualFeatures = 1, Classes = 3 }))
        {
            using var both = f.Fuse(pe, pk);
            TensorAssert.Values(new[] { 0.35f, 0.7f, 0.95f }, both, 1e-6);
            using var alone = f.Fuse(pe, null);
            TensorAssert.Values(new[] { 0.25f, 0.5f, 0.25f }, alone, 1e-6);
        }

        using (var f = new MultiViewFusion(new FusionOptions { CausalFeatures = 1, VisualFeatures = 1, Classes = 3, EvidenceWeight = 2, KnowledgeWeight = 0.5 }))
        using (var weighted = f.Fuse(pe, pk))
        {
            TensorAssert.Values(new[] { 0.55f, 1.1f, 0.85f }, weighted, 1e-6);
        }

        // Logits: softmax(0, ln 3, 0) = (0.2, 0.6, 0.2).
        using (var f = new MultiViewFusion(new FusionOptions { CausalFeatures = 1, VisualFeatures = 1, Classes = 3, Knowledge = KnowledgeInput.Logits }))
        using (var logitVote = tensor(new[] { 0f, Ln3, 0f }, new long[] { 1, 3 }))
        using (var fused = f.Fuse(pe, logitVote))
        {
            TensorAssert.Values(new[] { 0.45f, 1.1f, 0.45f }, fused, 1e-6);
        }

        // Top-1 decision of a probability vote: the plain one-hot.
        using (var f = new MultiViewFusion(new FusionOptions { CausalFeatures = 1, VisualFeatures = 1, Classes = 3, KnowledgeWeight = 0.3, KnowledgeTopOne = true }))
        using (var fused = f.Fuse(pe, pk))
        {
            TensorAssert.Values(new[] { 0.25f, 0.5f, 0.55f }, fused, 1e-6);
        }

        // Authors' code: 0.7·softmax(P_e) + 0.3·softmax(one_hot(argmax P_k)), softmax(0, 0, 1) = (1, 1, e) / (2 + e).
        using (var f = new MultiViewFusion(FusionOptions.AuthorsCode(1, 1, 3)))
        using (var fused = f.Fuse(pe, pk))
        {
            var z = 2f + MathF.E;
            TensorAssert.Values(new[] { (0.7f * 0.25f) + (0.3f / z), (0.7f * 0.5f) + (0.3f / z), (0.7f * 0.25f) + (0.3f * MathF.E / z) }, fused, 1e-6);
        }
    }

    [Fact]
    public void Backward_ReachesBothProjectionsAndClassifier()
    {
        manual_seed(1);
        using var f = new MultiViewFusion(new FusionOptions { CausalFeatures = 8, VisualFeatures = 6, FusedFeatures = 5, Classes = 4 });
        using var fc = randn(3, 8).requires_grad_();
        using var fv = randn(3, 6).requires_grad_();
        using var pk = softmax(randn(3, 4), 1);
        using var y = tensor(new long[] { 0, 3, 1 });
        using (var scope = NewDisposeScope())
        {
            using var o = f.call(fc, fv, pk);
            TensorAssert.Shape(o.Features, 3, 5);
            TensorAssert.Shape(o.Logits, 3, 4);
            TensorAssert.Shape(o.Probabilities, 3, 4);
            nn.functional.cross_entropy(o.Logits, y).backward();
        }

        Assert.Equal(6, f.parameters().Count());
        foreach (var (name, p) in f.named_parameters())
        {
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"{name} got no gradient");
        }

        Assert.True(fc.grad!.abs().sum().item<float>() > 0);
        Assert.True(fv.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void StateDict_RoundTrip_And_NoLeaks()
    {
        manual_seed(2);
        using var source = new MultiViewFusion(new FusionOptions { CausalFeatures = 4, VisualFeatures = 3, FusedFeatures = 5, Classes = 2 });
        manual_seed(3);
        using var target = new MultiViewFusion(new FusionOptions { CausalFeatures = 4, VisualFeatures = 3, FusedFeatures = 5, Classes = 2 });
        Assert.Equal(
            new[] { "causal_proj.bias", "causal_proj.weight", "classifier.bias", "classifier.weight", "visual_proj.bias", "visual_proj.weight" },
            source.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray());
        ModuleContract.CopyStateViaSafeTensors(source, target);
        using var fc = randn(2, 4);
        using var fv = randn(2, 3);
        using var a = source.call(fc, fv, null);
        using var b = target.call(fc, fv, null);
        TensorAssert.Close(a.Probabilities, b.Probabilities, 0, 0);
        using var pk = tensor(new float[] { 0.5f, 0.5f, 1, 0 }, new long[] { 2, 2 });
        using var y = tensor(new long[] { 1, 0 });
        TensorLeaks.AssertSteadyState(() =>
        {
            using var o = source.call(fc, fv, pk);
            using var loss = nn.functional.cross_entropy(o.Logits, y);
            loss.backward();
        });
    }

    [Fact]
    public void Forward_BadInput_ThrowsClearMessages()
    {
        using var f = new MultiViewFusion(new FusionOptions { CausalFeatures = 4, VisualFeatures = 3, Classes = 2 });
        using var fc = zeros(2, 4);
        using var fv = zeros(2, 3);
        using var fv3 = zeros(3, 3);
        Assert.Contains("batch size 3", Assert.Throws<ArgumentException>(() => f.call(fc, fv3, null)).Message);
        using var wide = zeros(2, 5);
        Assert.Contains("must be 4", Assert.Throws<ArgumentException>(() => f.call(wide, fv, null)).Message);
        using var nan = tensor(new float[] { float.NaN, 0, 0, 0, 0, 0 }, new long[] { 2, 3 });
        Assert.Contains("visual contains NaN", Assert.Throws<ArgumentException>(() => f.call(fc, nan, null)).Message);
        using var negative = tensor(new float[] { -0.5f, 1.5f, 0.5f, 0.5f }, new long[] { 2, 2 });
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => f.call(fc, fv, negative)).Message);
        using var pk3 = zeros(3, 2);
        Assert.Contains("batch size 3", Assert.Throws<ArgumentException>(() => f.call(fc, fv, pk3)).Message);
        using var pkWrongC = zeros(2, 3);
        Assert.Contains("must be 2", Assert.Throws<ArgumentException>(() => f.call(fc, fv, pkWrongC)).Message);
        using var flat = zeros(4);
        Assert.Contains("rank 2", Assert.Throws<ArgumentException>(() => f.call(flat, fv, null)).Message);
    }

    [Fact]
    public void Options_DefaultsPresetAndValidation()
    {
        var o = new FusionOptions();
        Assert.Equal((0L, 0L, 0L, 0), (o.CausalFeatures, o.VisualFeatures, o.FusedFeatures, o.Classes));
        Assert.Equal((1.0, 1.0, 1.0, 1.0), (o.CausalScale, o.VisualScale, o.EvidenceWeight, o.KnowledgeWeight));
        Assert.Equal(KnowledgeInput.Probabilities, o.Knowledge);
        Assert.False(o.KnowledgeTopOne);
        var authors = FusionOptions.AuthorsCode(8, 16, 5);
        Assert.Equal((8L, 16L, 5), (authors.CausalFeatures, authors.VisualFeatures, authors.Classes));
        Assert.Equal((0.6, 0.4, 0.7, 0.3, true), (authors.CausalScale, authors.VisualScale, authors.EvidenceWeight, authors.KnowledgeWeight, authors.KnowledgeTopOne));
        Assert.Equal(KnowledgeInput.Logits, authors.Knowledge);
        using (var f = new MultiViewFusion(authors))
        {
            Assert.Equal(16, f.FusedFeatures);
        }

        static string Message(FusionOptions o) => Assert.Throws<ArgumentException>(() => new MultiViewFusion(o)).Message;
        Assert.Contains("FusionOptions.CausalFeatures", Message(new FusionOptions { VisualFeatures = 2, Classes = 2 }));
        Assert.Contains("FusionOptions.Classes", Message(new FusionOptions { CausalFeatures = 2, VisualFeatures = 2, Classes = 1 }));
        Assert.Contains("FusionOptions.VisualScale", Message(new FusionOptions { CausalFeatures = 2, VisualFeatures = 2, Classes = 2, VisualScale = double.NaN }));
        Assert.Contains("FusionOptions.FusedFeatures", Message(new FusionOptions { CausalFeatures = 2, VisualFeatures = 2, Classes = 2, FusedFeatures = -1 }));
        Assert.Contains("FusionOptions.KnowledgeWeight", Message(new FusionOptions { CausalFeatures = 2, VisualFeatures = 2, Classes = 2, KnowledgeWeight = -0.1 }));
        Assert.Contains("FusionOptions.Knowledge", Message(new FusionOptions { CausalFeatures = 2, VisualFeatures = 2, Classes = 2, Knowledge = (KnowledgeInput)5 }));
    }
}
