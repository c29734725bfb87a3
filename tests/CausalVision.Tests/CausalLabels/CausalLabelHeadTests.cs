using CausalVision.CausalLabels;
using static CausalVision.Tests.CausalLabels.CausalLabelTestData;

namespace CausalVision.Tests.CausalLabels;

public sealed class CausalLabelHeadTests
{
    [Theory]
    [InlineData(CausalFusion.SumLogits)]
    [InlineData(CausalFusion.AverageProbabilities)]
    [InlineData(CausalFusion.LearnedWeight)]
    [InlineData(CausalFusion.CausalOnly)]
    public void ForwardParts_EachFusion_ShapesAndFusionFormula(CausalFusion fusion)
    {
        using var head = Build(Options(fusion));
        head.eval();
        using var tokens = Tokens();
        using var parts = head.ForwardParts(tokens);
        TensorAssert.Shape(parts.Logits, 2, Labels);
        TensorAssert.Shape(parts.BaselineLogits, 2, Labels);
        TensorAssert.Shape(parts.CausalLogits!, 2, Labels);
        TensorAssert.Shape(parts.LabelFeatures!, 2, Labels, Dim);
        using var scope = NewDisposeScope();
        var b = parts.BaselineLogits;
        var c = parts.CausalLogits!;
        var expected = fusion switch
        {
            CausalFusion.SumLogits => b + c,
            CausalFusion.AverageProbabilities => ((b.sigmoid() + c.sigmoid()) * 0.5).logit(),
            CausalFusion.LearnedWeight => (b + c) * 0.5, // w = sigmoid(0) at initialisation
            _ => c.alias(),
        };
        TensorAssert.Close(expected, parts.Logits, atol: 1e-4);
        using var plain = head.call(tokens);
        TensorAssert.Close(parts.Logits, plain, atol: 1e-6);
    }

    [Fact]
    public void Forward_WithoutIntervention_ReturnsBaseline()
    {
        var options = Options();
        options.UseIntervention = false;
        using var head = Build(options);
        using var tokens = Tokens();
        using var parts = head.ForwardParts(tokens);
        Assert.Null(parts.CausalLogits);
        Assert.Null(head.Intervention);
        TensorAssert.Close(parts.BaselineLogits, parts.Logits, atol: 0);
        Assert.DoesNotContain(head.state_dict().Keys, k => k.StartsWith("intervention.", StringComparison.Ordinal));
        using var c = zeros(K, Dim);
        using var p = full(K, 1f / K);
        Assert.Throws<InvalidOperationException>(() => head.SetDictionary(c, p));
    }

    [Theory]
    [InlineData(CausalFusion.SumLogits, InterventionQuery.LabelEmbedding, null)]
    [InlineData(CausalFusion.LearnedWeight, InterventionQuery.LabelFeature, 24)]
    [InlineData(CausalFusion.AverageProbabilities, InterventionQuery.LabelEmbedding, 24)]
    public void Backward_EveryTrainableParameter_GetsGradient(CausalFusion fusion, InterventionQuery query, int? confounderDim)
    {
        using var head = Build(Options(fusion, query, confounderDim));
        var (centres, prior) = Dictionary(confounderDim ?? Dim);
        using (centres)
        using (prior)
        {
            head.SetDictionary(centres, prior);
        }

        using var tokens = Tokens();
        using var target = tensor(new float[] { 1, 0, 1, 0, 0, 0, 1, 1, 0, 1 }, new long[] { 2, Labels });
        using (var logits = head.call(tokens))
        using (var loss = nn.functional.binary_cross_entropy_with_logits(logits, target))
        {
            loss.backward();
        }

        foreach (var (name, p) in head.named_parameters())
        {
            Assert.True(p.grad is not null, $"{name} has no gradient.");
            using var norm = p.grad!.abs().sum();
            Assert.True(norm.item<float>() > 0, $"{name} has an all-zero gradient.");
        }

        Assert.DoesNotContain(head.named_parameters(), p => p.name.EndsWith("centres", StringComparison.Ordinal) || p.name.EndsWith("prior", StringComparison.Ordinal));
    }

    [Fact]
    public void StateDict_RoundTripThroughFile_SameOutputsAndDictionary()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cv-causal-head-{Guid.NewGuid():N}.bin");
        try
        {
            using var source = Build(Options(CausalFusion.LearnedWeight), seed: 1);
            var (centres, prior) = Dictionary(Dim);
            using (centres)
            using (prior)
            {
                source.SetDictionary(centres, prior);
            }

            source.save(path);
            using var copy = Build(Options(CausalFusion.LearnedWeight), seed: 2);
            copy.load(path);
            source.eval();
            copy.eval();
            using var tokens = Tokens();
            using var a = source.call(tokens);
            using var b = copy.call(tokens);
            TensorAssert.Close(a, b, atol: 0);
            TensorAssert.Close(source.Intervention!.Centres, copy.Intervention!.Centres, atol: 0);
            TensorAssert.Values(new[] { 0.5f, 0.3f, 0.2f }, copy.Intervention.Prior);
            var keys = copy.state_dict().Keys.ToArray();
            Assert.Contains("intervention.centres", keys);
            Assert.Contains("intervention.prior", keys);
            Assert.Contains("decoder.query_embed.weight", keys);
            Assert.Contains("baseline.W", keys);
            Assert.Contains("intervention.fc2.W", keys);
            Assert.Contains("fusion_weight", keys);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ForwardBackward_NoLeakedTensors()
    {
        using var head = Build(Options());
        using var tokens = Tokens();
        using var target = zeros(2, Labels);
        TensorLeaks.AssertNone(() =>
        {
            using var y = head.call(tokens);
            using var parts = head.ForwardParts(tokens);
        });
        TensorLeaks.AssertSteadyState(() =>
        {
            head.zero_grad();
            using var y = head.call(tokens);
            using var loss = nn.functional.binary_cross_entropy_with_logits(y, target);
            loss.backward();
        });
    }

    [Fact]
    public void TrainStep_WithAdamInScope_NoLeakedTensors()
    {
        using var head = Build(Options(CausalFusion.LearnedWeight));
        using var tokens = Tokens();
        using var target = zeros(2, Labels);
        using var optimizer = optim.Adam(head.parameters(), 1e-3);
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.binary_cross_entropy_with_logits(head.call(tokens), target);
            loss.backward();
            optimizer.step();
        });
    }

    [Fact]
    public void Forward_NaNTokens_Throws()
    {
        using var head = Build(Options());
        using var tokens = full(1, 4, InputDim, float.NaN);
        var ex = Assert.Throws<ArgumentException>(() => head.call(tokens));
        Assert.Contains("NaN or Inf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_WrongTokenShape_Throws()
    {
        using var head = Build(Options());
        using var tokens = zeros(2, InputDim);
        var ex = Assert.Throws<ArgumentException>(() => head.call(tokens));
        Assert.Contains($"[B, N, {InputDim}]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetDictionary_DictionaryFromOtherBackbone_Throws()
    {
        using var head = Build(Options(confounderDim: 24));
        using var dictionary = ConfounderDictionary.Random(K, 2048);
        var ex = Assert.Throws<ArgumentException>(() => head.SetDictionary(dictionary));
        Assert.Contains("feature dimension 2048 but the model expects 24", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetDictionary_FromAssignments_UsedByForward()
    {
        using var head = Build(Options());
        head.eval();
        using var tokens = Tokens();
        using var before = head.call(tokens);
        using var features = randn(20, Dim);
        using var assignments = arange(20, dtype: int64).remainder(K);
        using var dictionary = ConfounderDictionary.FromAssignments(features, assignments, K);
        head.SetDictionary(dictionary);
        using var after = head.call(tokens);
        using var diff = (after - before).abs().max();
        Assert.True(diff.item<float>() > 1e-4);
    }

    private static CausalLabelHead Build(CausalLabelOptions options, long seed = 0)
    {
        manual_seed(seed);
        return new CausalLabelHead(options);
    }
}
