using CausalVision.Vscnet.Fva;

namespace CausalVision.Tests.Vscnet.Fva;

public sealed class FvaLossTests
{
    [Fact]
    public void SelectStepTargets_FewerTagsThanSteps_AscendingThenMasked()
    {
        using var targets = FvaLoss.SelectStepTargets([[5, 2, 2]], 4, 10);
        Assert.Equal(new long[] { 2, 5, -1, -1 }, targets.data<long>().ToArray());
    }

    [Fact]
    public void SelectStepTargets_MoreTagsThanSteps_KeepsSmallestIds()
    {
        using var targets = FvaLoss.SelectStepTargets([[9, 1, 4, 7], []], 2, 10);
        Assert.Equal(new long[] { 1, 4, -1, -1 }, targets.data<long>().ToArray());
    }

    [Fact]
    public void SelectStepTargets_MultiHot_MatchesIdLists()
    {
        using var multiHot = tensor(new float[] { 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0 }, new long[] { 4, 4 });
        using var targets = FvaLoss.SelectStepTargets(multiHot, 3);
        Assert.Equal(new long[] { 1, -1, -1, 0, 1, 2, 0, 1, 2, -1, -1, -1 }, targets.data<long>().ToArray());
        using var fromLists = FvaLoss.SelectStepTargets([[1], [0, 1, 2], [0, 1, 2, 3], []], 3, 4);
        Assert.Equal(fromLists.data<long>().ToArray(), targets.data<long>().ToArray());
    }

    [Fact]
    public void SelectStepTargets_MultiHotSmallerVocabularyThanSteps_PadsWithNoTarget()
    {
        using var multiHot = tensor(new float[] { 1, 1 }, new long[] { 1, 2 });
        using var targets = FvaLoss.SelectStepTargets(multiHot, 4);
        Assert.Equal(new long[] { 0, 1, -1, -1 }, targets.data<long>().ToArray());
    }

    [Theory]
    [InlineData(10)]
    [InlineData(-1)]
    public void SelectStepTargets_TagOutsideVocabulary_Throws(int tag)
    {
        var ex = Assert.Throws<ArgumentException>(() => FvaLoss.SelectStepTargets([[1], [tag]], 3, 10));
        Assert.Contains("outside the vocabulary", ex.Message, StringComparison.Ordinal);
    }

    private static CascadedSpatialNetOutput UniformOutput(int batch, int steps, int tags)
    {
        // Zero logits: every supervised step costs log M. All thetas [[0.8, 0, 0], [0, 0.8, 0]]: the code's
        // locating loss is then only the diversity term, 5 * exp(0) = 5 per image.
        var theta = Enumerable.Repeat(new float[] { 0.8f, 0, 0, 0, 0.8f, 0 }, batch * steps).SelectMany(t => t).ToArray();
        return new CascadedSpatialNetOutput(
            tensor(theta, new long[] { batch, steps, 2, 3 }),
            zeros(batch, steps, 4),
            zeros(batch, steps, 4),
            zeros(batch, steps, tags));
    }

    [Fact]
    public void Compute_ZeroLogits_MatchesHandComputedObjective()
    {
        using var output = UniformOutput(2, 3, 4);
        using var targets = tensor(new long[] { 0, 1, -1, 2, -1, -1 }, new long[] { 2, 3 });
        using var classLogits = zeros(2, 3);
        using var labels = tensor(new long[] { 0, 2 });
        var options = new FvaLossOptions { LocatingLossWeight = 0.5 };
        using var terms = new FvaLoss(options).Compute(output, classLogits, labels, targets);
        var tag = 1.5 * Math.Log(4); // (2 + 1) supervised steps over 2 images
        Assert.Equal(Math.Log(3), terms.ClassTerm.item<float>(), 5);
        Assert.Equal(tag, terms.TagTerm.item<float>(), 5);
        Assert.Equal(Math.Log(3) + tag, terms.Semantic.item<float>(), 5);
        Assert.Equal(5.0, terms.Locating.Total.item<float>(), 5);
        Assert.Equal(Math.Log(3) + tag + 2.5, terms.Total.item<float>(), 5);
    }

    [Fact]
    public void Compute_AuthorsCodeOptions_MeanOverSupervisedStepsWithoutClassTerm()
    {
        using var output = UniformOutput(2, 3, 4);
        using var targets = tensor(new long[] { 0, 1, -1, 2, -1, -1 }, new long[] { 2, 3 });
        using var terms = new FvaLoss(FvaLossOptions.AuthorsCode()).Compute(output, null, null, targets);
        Assert.Equal(0.0, terms.ClassTerm.item<float>());
        Assert.Equal(5 * Math.Log(4), terms.TagTerm.item<float>(), 5);
        Assert.Equal((5 * Math.Log(4)) + 5, terms.Total.item<float>(), 4);
    }

    [Fact]
    public void Compute_SoftLabels_EqualHardLabelCrossEntropyForOneHot()
    {
        manual_seed(11);
        using var output = UniformOutput(2, 2, 3);
        using var targets = tensor(new long[] { 0, 1, 2, -1 }, new long[] { 2, 2 });
        using var classLogits = randn(2, 3);
        using var hard = tensor(new long[] { 2, 0 });
        using var soft = tensor(new float[] { 0, 0, 1, 1, 0, 0 }, new long[] { 2, 3 });
        var loss = new FvaLoss();
        using var a = loss.Compute(output, classLogits, hard, targets);
        using var b = loss.Compute(output, classLogits, soft, targets);
        Assert.Equal(a.ClassTerm.item<float>(), b.ClassTerm.item<float>(), 5);
    }

    [Fact]
    public void Compute_LocateSupervisedStepsOnly_IgnoresUnsupervisedThetas()
    {
        using var output = UniformOutput(1, 3, 4);
        using (no_grad())
        {
            output.Thetas[0, 2, 0, 2] = tensor(0.9f); // an unsupervised step moved away
        }

        using var targets = tensor(new long[] { 0, 1, -1 }, new long[] { 1, 3 });
        using var all = new FvaLoss(new FvaLossOptions { ClassLossWeight = 0 }).Compute(output, null, null, targets);
        using var supervised = new FvaLoss(new FvaLossOptions { ClassLossWeight = 0, LocateSupervisedStepsOnly = true }).Compute(output, null, null, targets);
        Assert.Equal(5.0, supervised.Locating.Total.item<float>(), 5);
        Assert.True(all.Locating.Total.item<float>() > 5.5);
    }

    [Fact]
    public void Compute_NoLeakedTensors()
    {
        using var output = UniformOutput(2, 3, 4);
        using var targets = tensor(new long[] { 0, 1, -1, 2, -1, -1 }, new long[] { 2, 3 });
        using var classLogits = zeros(2, 3);
        using var labels = tensor(new long[] { 0, 2 });
        var loss = new FvaLoss();
        TensorLeaks.AssertNone(() =>
        {
            using var terms = loss.Compute(output, classLogits, labels, targets);
        });
    }

    [Fact]
    public void Compute_StepTargetOutsideVocabulary_Throws()
    {
        using var output = UniformOutput(1, 2, 4);
        using var targets = tensor(new long[] { 0, 4 }, new long[] { 1, 2 });
        var ex = Assert.Throws<ArgumentException>(() => new FvaLoss().Compute(output, null, null, targets));
        Assert.Contains("tag ids outside", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_StepTargetsBatchMismatch_Throws()
    {
        using var output = UniformOutput(2, 2, 4);
        using var targets = tensor(new long[] { 0, 1 }, new long[] { 1, 2 });
        var ex = Assert.Throws<ArgumentException>(() => new FvaLoss(FvaLossOptions.AuthorsCode()).Compute(output, null, null, targets));
        Assert.Contains("stepTargets has 1 images", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_ClassLabelsMismatchOrOutOfRange_Throws()
    {
        using var output = UniformOutput(2, 2, 4);
        using var targets = tensor(new long[] { 0, 1, 2, -1 }, new long[] { 2, 2 });
        using var classLogits = zeros(2, 3);
        using var shortLabels = tensor(new long[] { 0 });
        using var badLabels = tensor(new long[] { 0, 3 });
        var loss = new FvaLoss();
        Assert.Throws<ArgumentException>(() => loss.Compute(output, classLogits, shortLabels, targets));
        var ex = Assert.Throws<ArgumentException>(() => loss.Compute(output, classLogits, badLabels, targets));
        Assert.Contains("class ids outside", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => loss.Compute(output, null, null, targets));
    }
}
