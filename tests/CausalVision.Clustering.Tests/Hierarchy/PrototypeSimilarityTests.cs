using CausalVision.Clustering.Hierarchy;

namespace CausalVision.Clustering.Tests.Hierarchy;

public sealed class PrototypeSimilarityTests
{
    [Fact]
    public void FuzzyJaccard_KnownValues()
    {
        using var q = tensor(new float[] { 0.2f, 0.8f, 0.4f, 0.6f }, new long[] { 2, 2 });
        using var p = tensor(new float[] { 0.4f, 0.6f, 0f, 0f }, new long[] { 2, 2 });
        using var s = PrototypeSimilarity.FuzzyJaccard(q, p);
        // [0.2,0.8] vs [0.4,0.6]: min sum 0.8 / max sum 1.2 = 2/3; vs zeros: 0 / 1 = 0; identical -> 1.
        TensorAssert.Values(new[] { 2f / 3, 0f, 1f, 0f }, s);
    }

    [Fact]
    public void FuzzyJaccard_BatchedQueries_EqualsBruteForce()
    {
        manual_seed(1);
        using var q = rand(3, 4, 6);
        using var p = rand(5, 6);
        using var s = PrototypeSimilarity.FuzzyJaccard(q, p);
        TensorAssert.Shape(s, 3, 4, 5);
        var qa = q.data<float>().ToArray();
        var pa = p.data<float>().ToArray();
        var expected = new float[3 * 4 * 5];
        for (var m = 0; m < 12; m++)
        {
            for (var k = 0; k < 5; k++)
            {
                double mn = 0, mx = 0;
                for (var f = 0; f < 6; f++)
                {
                    mn += Math.Min(qa[(m * 6) + f], pa[(k * 6) + f]);
                    mx += Math.Max(qa[(m * 6) + f], pa[(k * 6) + f]);
                }

                expected[(m * 5) + k] = (float)(mn / mx);
            }
        }

        TensorAssert.Values(expected, s, 1e-6);
    }

    [Fact]
    public void Cosine_KnownValues()
    {
        using var q = tensor(new float[] { 1, 0 }, new long[] { 1, 2 });
        using var p = tensor(new float[] { 1, 1, 0, 2, -3, 0 }, new long[] { 3, 2 });
        using var s = PrototypeSimilarity.Cosine(q, p);
        TensorAssert.Values(new[] { 1f / MathF.Sqrt(2), 0f, -1f }, s, 1e-6);
    }

    [Fact]
    public void BestByTag_TagWithAndWithoutPrototypes_RestrictedOrFallback()
    {
        using var sim = tensor(new float[] { 0.2f, 0.9f, 0.5f, 0.7f, 0.1f, 0.3f }, new long[] { 2, 3 });
        using var cands = tensor(new long[] { 0, 1, 2, 1, 0, 7 }, new long[] { 2, 3 });
        using var m = PrototypeSimilarity.BestByTag(sim, cands, new long[] { 0, 0, 1 });
        Assert.Equal(new long[] { 1, 2, 1, 2, 0, 0 }, m.Index.data<long>().ToArray());
        TensorAssert.Values(new[] { 0.9f, 0.5f, 0.9f, 0.3f, 0.7f, 0.7f }, m.Score);
        Assert.Equal(new[] { false, false, true, false, false, true }, m.FellBack.data<bool>().ToArray());
    }

    [Fact]
    public void FuzzyJaccard_Gradient_FlowsToQueries()
    {
        using var q = tensor(new float[] { 0.2f, 0.8f }, new long[] { 1, 2 }, requires_grad: true);
        using var p = tensor(new float[] { 0.4f, 0.6f }, new long[] { 1, 2 });
        using var s = PrototypeSimilarity.FuzzyJaccard(q, p);
        s.sum().backward();
        using var g = q.grad!;
        TensorAssert.Finite(g);
        Assert.True(g.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void BadInput_ThrowsClearMessages()
    {
        using var q = rand(2, 4);
        using var p = rand(3, 5);
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => PrototypeSimilarity.FuzzyJaccard(q, p)).Message);
        using var empty = zeros(0, 4);
        Assert.Contains("non-empty", Assert.Throws<ArgumentException>(() => PrototypeSimilarity.Cosine(q, empty)).Message);
        using var nan = tensor(new[] { float.NaN, 0f, 0f, 0f }, new long[] { 1, 4 });
        using var p4 = rand(3, 4);
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() => PrototypeSimilarity.FuzzyJaccard(nan, p4)).Message);
        using var sim = rand(2, 3);
        using var cands = zeros(new long[] { 2, 1 }, ScalarType.Int64);
        Assert.Contains("P = 2", Assert.Throws<ArgumentException>(() => PrototypeSimilarity.BestByTag(sim, cands, new long[] { 0, 1 })).Message);
        Assert.Contains("no prototypes", Assert.Throws<ArgumentException>(() => PrototypeSimilarity.BestByTag(sim, cands, Array.Empty<long>())).Message);
        using var badCands = zeros(new long[] { 3, 1 }, ScalarType.Int64);
        Assert.Contains("leading shape", Assert.Throws<ArgumentException>(() => PrototypeSimilarity.BestByTag(sim, badCands, new long[] { 0, 1, 1 })).Message);
    }

    [Fact]
    public void AllEntryPoints_NoTensorLeaks()
    {
        using var q = rand(2, 3, 4);
        using var p = rand(5, 4);
        using var cands = zeros(new long[] { 2, 3, 2 }, ScalarType.Int64);
        TensorLeaks.AssertNone(() => PrototypeSimilarity.FuzzyJaccard(q, p).Dispose());
        TensorLeaks.AssertNone(() => PrototypeSimilarity.Cosine(q, p).Dispose());
        TensorLeaks.AssertNone(() =>
        {
            using var s = PrototypeSimilarity.FuzzyJaccard(q, p);
            PrototypeSimilarity.BestByTag(s, cands, new long[] { 0, 0, 1, 1, 2 }).Dispose();
        });
    }
}
