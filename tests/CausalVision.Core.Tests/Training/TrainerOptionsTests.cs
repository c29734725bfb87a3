using CausalVision.Training;

namespace CausalVision.Tests.Training;

public sealed class TrainerOptionsTests
{
    [Fact]
    public void Ctor_Defaults_FollowVscnetRecipe()
    {
        var o = new TrainerOptions();
        Assert.Equal(10, o.Epochs);
        Assert.Equal(64, o.BatchSize);
        Assert.Equal(5e-4, o.LearningRate);
        Assert.Equal(1e-3, o.WeightDecay);
        Assert.Equal(4, o.LearningRateStepEpochs);
        Assert.Equal(0.1, o.LearningRateGamma);
        Assert.Equal("cpu", o.Device);
        Assert.Equal(0, o.Seed);
        Assert.Null(o.CheckpointDirectory);
        Assert.Equal(2, o.Workers);
        Assert.Equal(4, o.PrefetchBatches);
        Assert.Null(o.MultiLabel);
        Assert.Equal(1, o.EvaluateEveryEpochs);
        o.Validate();
    }

    [Theory]
    [InlineData(0, 5e-4)]
    [InlineData(3, 5e-4)]
    [InlineData(4, 5e-5)]
    [InlineData(7, 5e-5)]
    [InlineData(8, 5e-6)]
    public void StepLearningRate_Epoch_DecaysTenfoldEveryFourEpochs(int epoch, double expected) =>
        Assert.Equal(expected, new TrainerOptions().StepLearningRate(epoch), 15);

    [Fact]
    public void StepLearningRate_StepZero_Constant() =>
        Assert.Equal(0.1, new TrainerOptions { LearningRate = 0.1, LearningRateStepEpochs = 0 }.StepLearningRate(100));

    [Fact]
    public void Validate_InvalidOptions_ThrowsListingProblems()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TrainerOptions { Epochs = 0, LearningRate = double.NaN, Device = " " }.Validate());
        Assert.Contains("Epochs", ex.Message);
        Assert.Contains("finite", ex.Message);
        Assert.Contains("Device", ex.Message);
    }

    [Fact]
    public void SetLearningRate_Optimizer_UpdatesEveryGroup()
    {
        using var lin = nn.Linear(2, 2);
        using var opt = optim.Adam(lin.parameters(), 0.1);
        TrainingLoop.SetLearningRate(opt, 0.025);
        Assert.All(opt.ParamGroups, g => Assert.Equal(0.025, g.LearningRate));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingLoop.SetLearningRate(opt, 0));
    }
}
