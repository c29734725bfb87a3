using CausalVision.CausalLabels;

namespace CausalVision.Tests.CausalLabels;

public sealed class LabelTargetsTests
{
    [Fact]
    public void ToMultiHot_LabelSets_SetsOnes()
    {
        using var t = LabelTargets.ToMultiHot(new[] { new[] { 0, 2 }, new[] { 1, 1 } }, 3);
        TensorAssert.Values(new[] { 1f, 0f, 1f, 0f, 1f, 0f }, t);
    }

    [Fact]
    public void ToMultiHot_EmptyLabelSet_ThrowsUnlessAllowed()
    {
        var sets = new[] { new[] { 0 }, Array.Empty<int>() };
        var ex = Assert.Throws<ArgumentException>(() => LabelTargets.ToMultiHot(sets, 3));
        Assert.Contains("Image 1 has an empty label set", ex.Message, StringComparison.Ordinal);
        using var t = LabelTargets.ToMultiHot(sets, 3, allowEmptySets: true);
        TensorAssert.Values(new[] { 1f, 0f, 0f, 0f, 0f, 0f }, t);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void ToMultiHot_LabelOutOfRange_Throws(int label)
    {
        var ex = Assert.Throws<ArgumentException>(() => LabelTargets.ToMultiHot(new[] { new[] { 0, label } }, 3));
        Assert.Contains($"label {label}, outside [0, 3)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMultiHot_NoImagesOrNoLabels_Throws()
    {
        Assert.Throws<ArgumentException>(() => LabelTargets.ToMultiHot(Array.Empty<int[]>(), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => LabelTargets.ToMultiHot(new[] { new[] { 0 } }, 0));
    }
}
