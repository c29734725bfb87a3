using CausalVision.Vscnet.Har;

namespace CausalVision.Tests.Vscnet.Har;

public sealed class ClassVoteTests
{
    // One image, J = 2 steps, P = 3 prototypes (tags 0, 0, 1), M = 2 tags, S = 2 classes.
    // Scores w = sim x p(tag of prototype):
    //   step 0: sim (0.8, 0.4, 0.9), tags (0.7, 0.3) -> (0.56, 0.28, 0.27)
    //   step 1: sim (0.2, 0.6, 0.5), tags (0.1, 0.9) -> (0.02, 0.06, 0.45)
    private static readonly float[] Similarity = [0.8f, 0.4f, 0.9f, 0.2f, 0.6f, 0.5f];
    private static readonly float[] TagProbabilities = [0.7f, 0.3f, 0.1f, 0.9f];
    private static readonly float[] Classes = [1f, 0f, 0.5f, 0.5f, 0f, 1f];

    private static float[] RunVote(ClassVoteOptions options)
    {
        using var sim = tensor(Similarity, new long[] { 1, 2, 3 });
        using var tags = tensor(TagProbabilities, new long[] { 1, 2, 2 });
        using var protoTags = tensor(new long[] { 0, 0, 1 });
        using var classes = tensor(Classes, new long[] { 3, 2 });
        using var vote = new ClassVote(options).Vote(sim, tags, protoTags, classes);
        Assert.Equal(new long[] { 1, 2 }, vote.shape);
        return vote.data<float>().ToArray();
    }

    [Fact]
    public void Ctor_Defaults_PinsEveryDefault()
    {
        var o = new ClassVoteOptions();
        Assert.Equal(ClassVoteMode.PerStepWinner, o.Mode);
        Assert.Equal(5, o.TopTagsPerStep);
    }

    [Fact]
    public void Vote_PerStepWinner_MatchesHandExample()
    {
        // Winners: step 0 prototype 0 (0.56 -> class 0), step 1 prototype 2 (0.45 -> class 1): (0.56, 0.45) / 1.01.
        var vote = RunVote(new ClassVoteOptions());
        Assert.Equal(0.56 / 1.01, vote[0], 5);
        Assert.Equal(0.45 / 1.01, vote[1], 5);
    }

    [Fact]
    public void Vote_Weighted_MatchesHandExample()
    {
        // step 0: 0.56 (1, 0) + 0.28 (0.5, 0.5) + 0.27 (0, 1) = (0.70, 0.41); step 1: (0.05, 0.48); sum (0.75, 0.89).
        var vote = RunVote(new ClassVoteOptions { Mode = ClassVoteMode.Weighted });
        Assert.Equal(0.75 / 1.64, vote[0], 5);
        Assert.Equal(0.89 / 1.64, vote[1], 5);
    }

    [Fact]
    public void Vote_BestMatch_TakesSingleBestPrototypesClasses()
    {
        var vote = RunVote(new ClassVoteOptions { Mode = ClassVoteMode.BestMatch });
        Assert.Equal(1.0, vote[0], 6);
        Assert.Equal(0.0, vote[1], 6);
    }

    [Fact]
    public void Vote_TopOneTagPerStep_DropsOtherTags()
    {
        // step 0 keeps tag 0: (0.56, 0.28, 0); step 1 keeps tag 1: (0, 0, 0.45).
        // Weighted: (0.56 + 0.14, 0.14) + (0, 0.45) = (0.70, 0.59).
        var vote = RunVote(new ClassVoteOptions { Mode = ClassVoteMode.Weighted, TopTagsPerStep = 1 });
        Assert.Equal(0.70 / 1.29, vote[0], 5);
        Assert.Equal(0.59 / 1.29, vote[1], 5);
    }

    [Fact]
    public void Vote_AllScoresZero_ReturnsUniform()
    {
        using var sim = zeros(2, 2, 3);
        using var tags = full(2, 2, 2, 0.5f);
        using var protoTags = tensor(new long[] { 0, 0, 1 });
        using var classes = tensor(Classes, new long[] { 3, 2 });
        var voter = new ClassVote();
        TensorLeaks.AssertNone(() =>
        {
            using var leakCheck = voter.Vote(sim, tags, protoTags, classes);
        });
        using var vote = voter.Vote(sim, tags, protoTags, classes);
        TensorAssert.Values([0.5f, 0.5f, 0.5f, 0.5f], vote);
    }

    [Fact]
    public void Vote_PrototypeTagOutsideVocabulary_Throws()
    {
        using var sim = zeros(1, 2, 3);
        using var tags = zeros(1, 2, 2);
        using var protoTags = tensor(new long[] { 0, 2, 1 });
        using var classes = zeros(3, 2);
        var ex = Assert.Throws<ArgumentException>(() => new ClassVote().Vote(sim, tags, protoTags, classes));
        Assert.Contains("tag ids outside", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vote_MismatchedSizes_Throws()
    {
        using var sim = zeros(1, 2, 3);
        using var tags = zeros(2, 2, 2);
        using var tagsOk = zeros(1, 2, 2);
        using var protoTags = tensor(new long[] { 0, 0, 1 });
        using var classesShort = zeros(2, 2);
        using var classes = zeros(3, 2);
        using var negative = full(3, 2, -1f);
        var vote = new ClassVote();
        Assert.Throws<ArgumentException>(() => vote.Vote(sim, tags, protoTags, classes));
        Assert.Throws<ArgumentException>(() => vote.Vote(sim, tagsOk, protoTags, classesShort));
        var ex = Assert.Throws<ArgumentException>(() => vote.Vote(sim, tagsOk, protoTags, negative));
        Assert.Contains("non-negative", ex.Message, StringComparison.Ordinal);
    }
}
