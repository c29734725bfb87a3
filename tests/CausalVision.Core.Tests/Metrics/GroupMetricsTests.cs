using CausalVision.Metrics;

namespace CausalVision.Tests.Metrics;

public sealed class GroupMetricsTests
{
    // Two classes, two contexts; class 0 is tied to context 0, class 1 to context 1.
    private static readonly int[] Tied = [0, 1];

    [Fact]
    public void Compute_HandExample_PerGroupWorstGroupAndShortcutRate()
    {
        // Image:      0  1  2  3  4  5  6  7
        int[] labels = [0, 0, 0, 0, 1, 1, 1, 1];
        int[] ctx = [0, 0, 1, 1, 1, 1, 0, 0];
        int[] pred = [0, 0, 1, 0, 1, 1, 0, 1];

        // Groups (class, context): (0,0): 2/2; (0,1): images 2,3 -> 1/2; (1,0): images 6,7 -> 1/2; (1,1): 2/2.
        var m = GroupMetrics.Compute(pred, labels, ctx, Tied);

        Assert.Equal(6.0 / 8, m.Accuracy, 12);
        Assert.Equal([(0, 0, 2, 2), (0, 1, 2, 1), (1, 0, 2, 1), (1, 1, 2, 2)], m.PerGroup.Select(g => (g.Class, g.Context, g.Count, g.Correct)));
        Assert.Equal(0.5, m.WorstGroupAccuracy, 12);
        Assert.Equal((0, 1), (m.WorstGroup.Class, m.WorstGroup.Context));
        Assert.Equal((1 + 0.5 + 0.5 + 1) / 4, m.MeanGroupAccuracy, 12);

        // Off-context images: 2, 3 (class 0 on context 1) and 6, 7 (class 1 on context 0). Image 2 is
        // predicted 1 (the class tied to context 1) and image 6 is predicted 0: 2 of 4 followed the context.
        Assert.Equal(4, m.OffContextCount);
        Assert.Equal(0.5, m.ShortcutRate, 12);
        Assert.Equal(1.0, m.AlignedAccuracy, 12);
        Assert.Equal(0.5, m.ConflictingAccuracy, 12);
    }

    [Fact]
    public void Compute_AbsentGroups_AreIgnoredNotCountedAsZero()
    {
        // Only group (0, 0) and (1, 1) are present, both perfect: worst group = 1, no off-context image.
        var m = GroupMetrics.Compute([0, 1, 1], [0, 1, 1], [0, 1, 1], Tied);

        Assert.Equal(2, m.PerGroup.Count);
        Assert.Equal(1.0, m.WorstGroupAccuracy);
        Assert.Equal(0, m.OffContextCount);
        Assert.True(double.IsNaN(m.ShortcutRate));
        Assert.True(double.IsNaN(m.ConflictingAccuracy));
    }

    [Fact]
    public void Compute_SharedContext_PredictionOfAnyTiedClassCountsAsShortcut()
    {
        // Three classes, two contexts: classes 0 and 2 are both tied to context 0.
        int[] tied = [0, 1, 0];

        // Class 1 images on context 0: predicted 2 (tied to 0: shortcut), 0 (shortcut), 1 (correct).
        var m = GroupMetrics.Compute([2, 0, 1], [1, 1, 1], [0, 0, 0], tied);

        Assert.Equal(2.0 / 3, m.ShortcutRate, 12);
        Assert.Equal(1.0 / 3, m.WorstGroupAccuracy, 12);
    }

    [Fact]
    public void Compute_WrongButNotShortcut_DoesNotCount()
    {
        // Class 0 on context 1, predicted class 2 (tied to context 2): wrong but not the shortcut.
        var m = GroupMetrics.Compute([2], [0], [1], [0, 1, 2]);

        Assert.Equal(0.0, m.ShortcutRate);
        Assert.Equal(0.0, m.Accuracy);
    }

    [Fact]
    public void IidOodGap_HandValues_Difference()
    {
        Assert.Equal(0.9 - 0.23, GroupMetrics.IidOodGap(0.9, 0.23), 12);
        Assert.Equal(-0.1, GroupMetrics.IidOodGap(0.5, 0.6), 12);
        Assert.Throws<ArgumentException>(() => GroupMetrics.IidOodGap(1.2, 0.5));
        Assert.Throws<ArgumentException>(() => GroupMetrics.IidOodGap(double.NaN, 0.5));
    }

    [Fact]
    public void ArgMax_Ties_GoToLowerClass()
    {
        Assert.Equal([1, 0, 2], GroupMetrics.ArgMax(new double[,] { { 0, 3, 1 }, { 2, 2, 1 }, { -1, -1, 0 } }));
    }

    [Fact]
    public void Compute_BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => GroupMetrics.Compute([], [], [], Tied));
        Assert.Throws<ArgumentException>(() => GroupMetrics.Compute([0], [0, 1], [0, 1], Tied));
        Assert.Throws<ArgumentException>(() => GroupMetrics.Compute([0], [2], [0], Tied));
        Assert.Throws<ArgumentException>(() => GroupMetrics.Compute([5], [0], [0], Tied));
        Assert.Throws<ArgumentException>(() => GroupMetrics.Compute([0], [0], [-1], Tied));
    }
}
