using CausalVision.Testing;
using CausalVision.Training;

namespace CausalVision.Tests.Training;

public sealed class FeatureHeadTrainerTests
{
    // Two classes, two contexts (class y tied to context y). Feature 0 = the cause: +-1 by class
    // plus uniform noise in [-2, 2] (75 % accurate alone); feature 1 = the context: +-2, noise-free. In training the
    // context agrees with the class with probability p.
    private static FeatureSet Data(int n, double p, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * 2];
        var y = new int[n];
        var t = new int[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = i % 2;
            t[i] = rng.NextDouble() < p ? y[i] : 1 - y[i];
            x[2 * i] = (float)((y[i] == 1 ? 1 : -1) + (2.0 * ((rng.NextDouble() * 2) - 1)));
            x[(2 * i) + 1] = t[i] == 1 ? 2f : -2f;
        }

        return new FeatureSet(x, 2, y, t, [0, 1], 2);
    }

    [Fact]
    public void Options_Defaults()
    {
        var o = new FeatureHeadTrainerOptions();
        Assert.Equal(TrainingObjective.Erm, o.Objective);
        Assert.Equal(0.01, o.GroupDroStepSize);
        Assert.Equal(30, o.Epochs);
        Assert.Equal(128, o.BatchSize);
        Assert.Equal(1e-3, o.LearningRate);
        Assert.Equal(1e-4, o.WeightDecay);
        Assert.Equal(SelectionMetric.MeanGroupAccuracy, o.Selection);
        Assert.Equal(0, o.Seed);
        Assert.Equal(DataSampling.Shuffle, o.Sampling);
        Assert.Throws<ArgumentException>(() => new FeatureHeadTrainer(new FeatureHeadTrainerOptions { Epochs = 0 }));
        Assert.Throws<ArgumentException>(() => new FeatureHeadTrainer(new FeatureHeadTrainerOptions { Sampling = (DataSampling)7 }));
    }

    [Fact]
    public void Fit_SameSeed_SameHead()
    {
        var train = Data(200, 0.9, 1);
        var o = new FeatureHeadTrainerOptions { Epochs = 3, Seed = 5 };
        var a = new FeatureHeadTrainer(o).Fit(train);
        var b = new FeatureHeadTrainer(o).Fit(train);

        Assert.Equal(a.Weight, b.Weight);
        Assert.Equal(a.Bias, b.Bias);
    }

    [Fact]
    public void Fit_GroupDro_BeatsErmOnTheWorstGroup()
    {
        // With p = 0.95 ERM leans on the noise-free context; Group DRO upweights the minority groups
        // (class and context disagree) and leans on the cause.
        var train = Data(800, 0.95, 2);
        var ood = Data(800, 0.5, 3);
        FeatureHead Fit(TrainingObjective objective) => new FeatureHeadTrainer(new FeatureHeadTrainerOptions
        {
            Objective = objective,
            GroupDroStepSize = 0.1,
            Epochs = 20,
            LearningRate = 0.05,
            Selection = SelectionMetric.LastEpoch,
            Seed = 1,
        }).Fit(train);

        var erm = Fit(TrainingObjective.Erm).Evaluate(ood);
        var dro = Fit(TrainingObjective.GroupDro).Evaluate(ood);

        Assert.True(erm.WorstGroupAccuracy < 0.5, $"ERM worst group {erm.WorstGroupAccuracy}, DRO {dro.WorstGroupAccuracy}");
        Assert.True(dro.WorstGroupAccuracy > erm.WorstGroupAccuracy + 0.2, $"DRO {dro.WorstGroupAccuracy} vs ERM {erm.WorstGroupAccuracy}");
        Assert.True(dro.ShortcutRate < erm.ShortcutRate);
    }

    [Fact]
    public void GroupBalancedEpochOrder_DrawsEveryGroupAlike_AndIsFixedBySeedAndEpoch()
    {
        // 1,000 rows: group 0 holds 900, group 5 holds 90, group 9 holds 10.
        var groups = Enumerable.Range(0, 1000).Select(i => i < 900 ? 0L : i < 990 ? 5L : 9L).ToArray();
        var order = FeatureHeadTrainer.GroupBalancedEpochOrder(groups, 3, 1);

        Assert.Equal(1000, order.Length);
        Assert.Equal(order, FeatureHeadTrainer.GroupBalancedEpochOrder(groups, 3, 1));
        Assert.NotEqual(order, FeatureHeadTrainer.GroupBalancedEpochOrder(groups, 3, 2));
        Assert.All(order, i => Assert.InRange(i, 0, 999));
        var perGroup = order.GroupBy(i => groups[i]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new[] { 0L, 5L, 9L }, perGroup.Keys.Order().ToArray());
        // Each group about a third (binomial sd 15): the 10-row group is drawn about 33 times per row.
        Assert.All(perGroup.Values, count => Assert.InRange(count, 333 - 75, 333 + 75));
        Assert.Empty(FeatureHeadTrainer.GroupBalancedEpochOrder([], 0, 0));
    }

    [Fact]
    public void Fit_GroupBalancedSampling_BeatsShuffleOnTheWorstGroup()
    {
        // The data of the Group DRO test: balanced sampling shows the minority groups as often as the majority ones.
        var train = Data(800, 0.95, 2);
        var ood = Data(800, 0.5, 3);
        FeatureHead Fit(DataSampling sampling) => new FeatureHeadTrainer(new FeatureHeadTrainerOptions
        {
            Sampling = sampling,
            Epochs = 20,
            LearningRate = 0.05,
            Selection = SelectionMetric.LastEpoch,
            Seed = 1,
        }).Fit(train);

        var shuffled = Fit(DataSampling.Shuffle).Evaluate(ood);
        var balanced = Fit(DataSampling.GroupBalanced).Evaluate(ood);

        Assert.True(balanced.WorstGroupAccuracy > shuffled.WorstGroupAccuracy + 0.2, $"balanced {balanced.WorstGroupAccuracy} vs shuffled {shuffled.WorstGroupAccuracy}");
        Assert.True(balanced.ShortcutRate < shuffled.ShortcutRate);
    }

    [Fact]
    public void Fit_WithValidation_SelectsTheBestValidationEpoch()
    {
        var train = Data(400, 0.9, 4);
        var val = Data(200, 0.9, 5);
        var head = new FeatureHeadTrainer(new FeatureHeadTrainerOptions { Epochs = 6, Selection = SelectionMetric.Accuracy, Seed = 2 }).Fit(train, val);

        Assert.InRange(head.SelectedEpoch, 1, 6);
        Assert.Equal(head.Evaluate(val).Accuracy, head.SelectionScore, 12);
        var last = new FeatureHeadTrainer(new FeatureHeadTrainerOptions { Epochs = 6, Selection = SelectionMetric.LastEpoch, Seed = 2 }).Fit(train, val);
        Assert.Equal(6, last.SelectedEpoch);
        Assert.True(double.IsNaN(last.SelectionScore));
    }

    [Fact]
    public void Fit_And_Predict_NoLeakedTensors()
    {
        var train = Data(100, 0.9, 6);
        TensorLeaks.AssertNone(() => new FeatureHeadTrainer(new FeatureHeadTrainerOptions { Epochs = 2, Objective = TrainingObjective.GroupDro }).Fit(train, train).Predict(train));
    }
}
