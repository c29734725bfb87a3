using CausalVision.Data;
using CausalVision.Synthetic;
using CausalVision.Training;

namespace CausalVision.Tests.Training;

/// <summary>The shared epoch loop on a tiny linear model: counts, history, resume and the non-finite guard.</summary>
public sealed class TrainingLoopTests : IDisposable
{
    private static readonly SyntheticBenchmark Bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
    {
        ImageSize = 16, ClassCount = 3, TrainSize = 20, TestIidSize = 6, TestOodSize = 6, Seed = 5,
    });

    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-loop-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Flatten, dropout (draws from the RNG, so a resume must restore it) and a linear layer.</summary>
    private static nn.Module<Tensor, Tensor> Net(long seed)
    {
        manual_seed(seed);
        return nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(3 * 16 * 16, 3));
    }

    private TrainingStage Stage(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, int epochs, string? checkpoint = null, List<TrainingProgress>? reports = null, Func<Batch, Tensor>? loss = null) => new()
    {
        Name = "loop test",
        Stage = 2,
        Model = model,
        Optimizer = optimizer,
        Loader = new DataLoader(Bench.Train, new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 1 }),
        Device = CPU,
        Epochs = epochs,
        Loss = loss ?? (b => TrainingLoop.ClassificationLoss(model.call(b.Images), b, multiLabel: false)),
        LearningRate = epoch => 0.1 / (epoch + 1),
        Evaluate = epoch => epoch % 2 == 1 ? new Dictionary<string, double> { ["score"] = epoch } : null,
        Seed = 9,
        ResumeFrom = checkpoint,
        CheckpointPath = checkpoint,
        CheckpointState = end => new TrainingState(2, end.Epoch + 1, end.GlobalStep, 9, end.Metrics) { History = end.History },
        Progress = reports is null ? null : new Sink(reports),
    };

    private static float[] Flat(nn.Module module) => [.. module.parameters().SelectMany(p => p.detach().data<float>().ToArray())];

    [Fact]
    public void Run_ThreeEpochs_CountsStepsReportsAndKeepsTheHistory()
    {
        using var model = Net(1);
        using var optimizer = new LeanAdam(model.parameters(), 0.1);
        var reports = new List<TrainingProgress>();
        var result = TrainingLoop.Run(Stage(model, optimizer, 3, Path.Combine(dir, "a.ckpt"), reports));

        // 20 images in batches of 8: 3 steps an epoch (8, 8, 4), one report per step and one per epoch's end.
        Assert.Equal(0, result.StartEpoch);
        Assert.Equal(9, result.GlobalStep);
        Assert.Equal(12, reports.Count);
        Assert.Equal(new[] { 1, 2, 3, 3, 1, 2, 3, 3, 1, 2, 3, 3 }, reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(2, r.Stage));
        Assert.Equal(new[] { 1, 2, 3 }, result.History.Select(e => e.Epoch));
        Assert.Equal(result.History, result.Trained);
        Assert.Equal(new[] { 0.1, 0.05, 0.1 / 3 }, result.History.Select(e => e.LearningRate));
        Assert.All(result.History, e => Assert.True(double.IsFinite(e.TrainLoss) && e.TrainLoss > 0));

        // Epoch 2 (0-based 1) was evaluated; every summary says its stage; the latest metrics carry on.
        Assert.Equal(1.0, result.History[1].Metrics["score"]);
        Assert.False(result.History[2].Metrics.ContainsKey("score"));
        Assert.All(result.History, e => Assert.Equal(2.0, e.Metrics["stage"]));
        Assert.Equal(1.0, result.Metrics["score"]);

        var saved = Checkpoint.ReadState(Path.Combine(dir, "a.ckpt"));
        Assert.Equal(3, saved.Epoch);
        Assert.Equal(9, saved.GlobalStep);
        Assert.Equal(result.History.Select(e => e.TrainLoss), saved.History!.Select(e => e.TrainLoss));

        var summary = TrainingLoop.Result(result.History, 1, result.Metrics, TimeSpan.Zero, null, result.GlobalStep);
        Assert.Equal(2, summary.FirstEpoch);
        Assert.Equal(2, summary.Epochs.Count);
        Assert.Equal(3, summary.History.Count);
    }

    [Fact]
    public void Run_ResumedAfterTwoEpochs_EqualsTheUninterruptedRunBitForBit()
    {
        using var straight = Net(1);
        using (var optimizer = new LeanAdam(straight.parameters(), 0.1))
        {
            TrainingLoop.Run(Stage(straight, optimizer, 3));
        }

        var path = Path.Combine(dir, "b.ckpt");
        using (var first = Net(1))
        using (var optimizer = new LeanAdam(first.parameters(), 0.1))
        {
            TrainingLoop.Run(Stage(first, optimizer, 2, path));
        }

        manual_seed(12345); // the generator must come from the checkpoint, not from whatever ran before
        using var resumed = Net(77);
        using var resumedOptimizer = new LeanAdam(resumed.parameters(), 0.1);
        var result = TrainingLoop.Run(Stage(resumed, resumedOptimizer, 3, path));

        Assert.Equal(2, result.StartEpoch);
        Assert.NotNull(result.ResumedState);
        Assert.Equal(new[] { 3 }, result.Trained.Select(e => e.Epoch));
        Assert.Equal(new[] { 1, 2, 3 }, result.History.Select(e => e.Epoch));
        Assert.Equal(9, result.GlobalStep);
        Assert.Equal(Flat(straight), Flat(resumed));
    }

    [Fact]
    public void Run_LossTurnsNaN_ThrowsNamingTheStepAndKeepsTheLastGoodCheckpoint()
    {
        using var model = Net(1);
        using var optimizer = new LeanAdam(model.parameters(), 0.1);
        var path = Path.Combine(dir, "c.ckpt");
        var calls = 0;
        Tensor Loss(Batch b)
        {
            var loss = TrainingLoop.ClassificationLoss(model.call(b.Images), b, multiLabel: false);
            return ++calls == 5 ? loss * float.NaN : loss;
        }

        var error = Assert.Throws<InvalidOperationException>(() => TrainingLoop.Run(Stage(model, optimizer, 3, path, loss: Loss)));
        Assert.Contains("epoch 2, step 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Checkpoint.ReadState(path).Epoch);
    }

    [Fact]
    public void Run_ALossThatIsNotAScalar_IsRejected()
    {
        using var model = Net(1);
        using var optimizer = new LeanAdam(model.parameters(), 0.1);
        Assert.Throws<ArgumentException>(() => TrainingLoop.Run(Stage(model, optimizer, 1, loss: b => model.call(b.Images))));
    }

    private sealed class Sink(List<TrainingProgress> reports) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => reports.Add(value);
    }
}
