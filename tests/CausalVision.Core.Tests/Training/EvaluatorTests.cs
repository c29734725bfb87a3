using CausalVision.Training;

namespace CausalVision.Tests.Training;

public sealed class EvaluatorTests
{
    [Fact]
    public void SingleLabel_HandBuiltScores_KnownAccuracies()
    {
        // Image 0: top-1 right. Image 1: true class second. Image 2: true class last of 3. Image 3: unlabelled (ignored).
        var scores = new double[,] { { 0.7, 0.2, 0.1 }, { 0.5, 0.3, 0.2 }, { 0.6, 0.3, 0.1 }, { 1, 0, 0 } };
        var p = new Predictions(scores, [0, 1, 2, -1], new bool[4, 3], ["a", "b", "c", "d"]);
        var m = Evaluator.SingleLabel(p);
        Assert.Equal(1.0 / 3, m[MetricNames.Acc1], 12);
        Assert.Equal(1.0, m[MetricNames.Acc5], 12); // top-5 is top-3 here: every label is found.
    }

    [Fact]
    public void SingleLabel_NoLabels_Throws()
    {
        var p = new Predictions(new double[1, 2], [-1], new bool[1, 2], ["a"]);
        Assert.Throws<ArgumentException>(() => Evaluator.SingleLabel(p));
    }

    [Fact]
    public void MultiLabel_HandBuiltScores_KnownMetrics()
    {
        // Image 0 has labels {0, 1}, image 1 has {2}. Scores rank each image's positives first,
        // but label 1 of image 0 is below the 0.5 threshold.
        var scores = new double[,] { { 0.9, 0.4, 0.1, 0.05 }, { 0.2, 0.1, 0.8, 0.3 } };
        var targets = new bool[,] { { true, true, false, false }, { false, false, true, false } };
        var m = Evaluator.MultiLabel(new Predictions(scores, [-1, -1], targets, ["a", "b"]));
        // Classes 0-2 are ranked perfectly; class 3 has no positive and counts as AP 0 (scikit-learn).
        Assert.Equal(0.75, m[MetricNames.MeanAveragePrecision], 12);
        // Thresholded: predicted {0} and {2}, Nc = 2, Ng = 3. ML-GCN sets Np = 0 to 1 per class before
        // summing (classes 1 and 3 predict nothing), so Np = 4: OP = 1/2, OR = 2/3, OF1 = 4/7.
        Assert.Equal(4.0 / 7, m[MetricNames.OF1], 12);
        // Top-3 per image: image 0 {0,1,2} -> 2/3 precision, recall 1; image 1 {2,3,0} -> 1/3, recall 1.
        Assert.Equal(0.5, m[MetricNames.PrecisionAt3], 12);
        Assert.Equal(1.0, m[MetricNames.RecallAt3], 12);
    }
}
