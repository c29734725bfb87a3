using CausalVision.Vscnet.Har;

namespace CausalVision.Tests.Vscnet.Har;

public sealed class TagRefinementTests
{
    [Fact]
    public void Ctor_Defaults_PinsEveryDefault()
    {
        var o = new TagRefinementOptions();
        Assert.Equal(0.1, o.AlphaF);
        Assert.Equal(TagStepAggregation.PerStep, o.StepAggregation);
        Assert.Equal(9, o.TopK);
    }

    [Fact]
    public void Refine_PerStep_MatchesEquation7OnKnownNumbers()
    {
        // softmax([0, ln 3]) = (0.25, 0.75); softmax([0, 0]) = (0.5, 0.5); alpha 0.2:
        // 0.8 * (0.25, 0.75) + 0.2 * (0.5, 0.5) = (0.3, 0.7).
        using var logits = tensor(new[] { 0f, (float)Math.Log(3) }, new long[] { 1, 1, 2 });
        using var reference = zeros(1, 2);
        using var result = new TagRefinement(new TagRefinementOptions { AlphaF = 0.2 }).Refine(logits, reference);
        TensorAssert.Shape(result.Refined, 1, 1, 2);
        TensorAssert.Values([0.3f, 0.7f], result.Refined, atol: 1e-6);
        Assert.Equal(new long[] { 1, 0 }, result.TopKIds.data<long>().ToArray());
        TensorAssert.Values([0.7f, 0.3f], result.TopKScores, atol: 1e-6);
    }

    [Fact]
    public void Refine_PerStepReference_UsesEachStepsOwnDistribution()
    {
        // Step 0 refined towards tag 1, step 1 towards tag 0; alpha 0.5, equal logits (0.5, 0.5).
        using var logits = zeros(1, 2, 2);
        using var reference = tensor(new float[] { 0, 100, 100, 0 }, new long[] { 1, 2, 2 });
        using var result = new TagRefinement(new TagRefinementOptions { AlphaF = 0.5, TopK = 0 }).Refine(logits, reference);
        TensorAssert.Values([0.25f, 0.75f, 0.75f, 0.25f], result.Refined, atol: 1e-6);
    }

    [Fact]
    public void Refine_MinMaxThenMax_MatchesAuthorsAggregation()
    {
        // Step 0 logits (1, 3, 2) -> (0, 1, 0.5); step 1 (4, 0, 2) -> (1, 0, 0.5); max over steps (1, 1, 0.5).
        // t_r = counts of matched tags [[2, -1]] = (0, 0, 1).
        using var logits = tensor(new float[] { 1, 3, 2, 4, 0, 2 }, new long[] { 1, 2, 3 });
        using var matched = tensor(new long[] { 2, -1 }, new long[] { 1, 2 });
        using var counts = TagRefinement.MatchedTagCounts(matched, 3);
        TensorAssert.Values([0f, 0f, 1f], counts);
        var options = new TagRefinementOptions { AlphaF = 0.1, StepAggregation = TagStepAggregation.MinMaxThenMax, TopK = 2 };
        using var result = new TagRefinement(options).Refine(logits, counts);
        double e = Math.E, z1 = (2 * e) + Math.Exp(0.5), z2 = 2 + e;
        var expected = new[] { (0.9 * e / z1) + (0.1 / z2), (0.9 * e / z1) + (0.1 / z2), (0.9 * Math.Exp(0.5) / z1) + (0.1 * e / z2) };
        TensorAssert.Shape(result.Refined, 1, 3);
        TensorAssert.Values(expected.Select(v => (float)v).ToArray(), result.Refined, atol: 1e-6);
        TensorAssert.Shape(result.TopKIds, 1, 2);
        Assert.DoesNotContain(2L, result.TopKIds.data<long>().ToArray());
    }

    [Fact]
    public void MatchedTagCounts_RepeatedAndMissingIds_CountsPerImage()
    {
        using var matched = tensor(new long[] { 1, 1, -1, 0, 2, 2 }, new long[] { 2, 3 });
        using var counts = TagRefinement.MatchedTagCounts(matched, 3);
        TensorAssert.Values([0f, 2f, 0f, 1f, 0f, 2f], counts);
    }

    [Fact]
    public void Refine_RowsSumToOneAndLeakNothing()
    {
        manual_seed(21);
        using var logits = randn(3, 4, 12);
        using var reference = randn(3, 12);
        var refinement = new TagRefinement();
        TensorLeaks.AssertNone(() =>
        {
            using var result = refinement.Refine(logits, reference);
            using var sums = result.Refined.sum(-1);
            using var ones = ones_like(sums);
            TensorAssert.Close(ones, sums, atol: 1e-5);
            Assert.Equal(new long[] { 3, 4, 9 }, result.TopKIds.shape);
        });
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void Ctor_AlphaOutOfRange_Throws(double alpha)
    {
        var ex = Assert.Throws<ArgumentException>(() => new TagRefinement(new TagRefinementOptions { AlphaF = alpha }));
        Assert.Contains("AlphaF", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refine_MismatchedBatchOrVocabulary_Throws()
    {
        using var logits = zeros(2, 3, 5);
        using var otherBatch = zeros(3, 5);
        using var otherVocabulary = zeros(2, 4);
        using var otherSteps = zeros(2, 2, 5);
        var refinement = new TagRefinement();
        Assert.Throws<ArgumentException>(() => refinement.Refine(logits, otherBatch));
        var ex = Assert.Throws<ArgumentException>(() => refinement.Refine(logits, otherVocabulary));
        Assert.Contains("tags", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => refinement.Refine(logits, otherSteps));
    }

    [Fact]
    public void MatchedTagCounts_IdOutsideVocabulary_Throws()
    {
        using var matched = tensor(new long[] { 0, 3 }, new long[] { 1, 2 });
        var ex = Assert.Throws<ArgumentException>(() => TagRefinement.MatchedTagCounts(matched, 3));
        Assert.Contains("tag ids outside", ex.Message, StringComparison.Ordinal);
    }
}
