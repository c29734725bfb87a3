using System.Runtime.InteropServices;
using CausalVision.Data;
using CausalVision.Tests.Training;
using CausalVision.Training;

namespace CausalVision.Tests.Reliability;

/// <summary>Resume checks, history, BatchNorm batches of one, NaN statistics and native errors at the trainer boundary.</summary>
public sealed class TrainerReliabilityTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-trrel-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static nn.Module<Tensor, Tensor> BnNet(long seed)
    {
        manual_seed(seed);
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding: 1), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.BatchNorm1d(4), nn.Linear(4, 3));
    }

    private TrainerOptions Options(int epochs, int batch = 8, string? sub = "run") => new()
    {
        Epochs = epochs, BatchSize = batch, LearningRate = 0.01, Seed = 3, Workers = 0,
        CheckpointDirectory = sub is null ? null : Path.Combine(dir, sub),
    };

    [Fact]
    public void Fit_SeventeenImagesBatchEight_DropsTheBatchOfOneAndStaysFinite()
    {
        using var model = BnNet(1);
        var steps = new List<int>();
        var result = new ClassifierTrainer(model, Options(1, sub: null)).Fit(new ColorDataset(17), progress: new SyncProgress(p => steps.Add(p.Steps)));
        Assert.All(steps, s => Assert.Equal(2, s));
        Assert.True(double.IsFinite(result.Epochs[0].TrainLoss));
        Assert.Null(TrainingLoop.FirstNonFinite(model));
    }

    [Fact]
    public void Fit_BatchOfOneWithBatchNorm_ThrowsAClearError()
    {
        using var model = BnNet(1);
        var options = Options(1, sub: null);
        options.DropLastIncompleteBatch = false;
        var ex = Assert.Throws<InvalidOperationException>(() => new ClassifierTrainer(model, options).Fit(new ColorDataset(17)));
        Assert.Contains("BatchNorm", ex.Message);
        Assert.Contains("one image", ex.Message);
    }

    [Fact]
    public void Fit_Resume_HistoryIncludesEarlierEpochs()
    {
        using var first = BnNet(2);
        new ClassifierTrainer(first, Options(1)).Fit(new ColorDataset(24), null, new ColorDataset(6));
        using var second = BnNet(2);
        var result = new ClassifierTrainer(second, Options(3)).Fit(new ColorDataset(24), null, new ColorDataset(6), resume: true);
        Assert.Equal(2, result.Epochs.Count);
        Assert.Equal([1, 2, 3], result.History.Select(e => e.Epoch));
        Assert.Equal(3, Checkpoint.ReadState(result.CheckpointPath!).History!.Count);
    }

    [Fact]
    public void Fit_ResumeWithOtherSettings_NamesEachDifference_ForceAccepts()
    {
        using var first = BnNet(2);
        new ClassifierTrainer(first, Options(2)).Fit(new ColorDataset(24));

        using var other = BnNet(2);
        var changed = Options(3, batch: 4);
        changed.LearningRate = 0.02;
        var ex = Assert.Throws<InvalidOperationException>(() => new ClassifierTrainer(other, changed).Fit(new ColorDataset(24), resume: true));
        Assert.Contains("BatchSize: checkpoint 8, now 4", ex.Message);
        Assert.Contains("LearningRate: checkpoint 0.01, now 0.02", ex.Message);

        var fewer = Options(1);
        Assert.Contains("more than the 1 asked for", Assert.Throws<InvalidOperationException>(() => new ClassifierTrainer(other, fewer).Fit(new ColorDataset(24), resume: true)).Message);

        changed.AcceptResumeMismatch = true;
        var forced = new ClassifierTrainer(other, changed).Fit(new ColorDataset(24), resume: true);
        Assert.Equal(3, forced.FirstEpoch);
    }

    [Fact]
    public void Fit_NativeErrorInTheModel_BecomesNativeOperationExceptionNamingTheEpoch()
    {
        using var model = new Throwing();
        var ex = Assert.Throws<NativeOperationException>(() => new ClassifierTrainer(model, Options(1, sub: null)).Fit(new ColorDataset(8)));
        Assert.Contains("epoch 1", ex.Message);
        Assert.IsAssignableFrom<ExternalException>(ex.InnerException);
    }

    [Fact]
    public void NativeOperationException_Guard_PassesManagedExceptionsThrough()
    {
        Assert.Equal(4, NativeOperationException.Guard("x", () => 4));
        Assert.Throws<ArgumentException>(() => NativeOperationException.Guard("x", () => throw new ArgumentException("a")));
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    // A model whose forward makes libtorch throw (a matrix product of mismatched shapes).
    private sealed class Throwing : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear fc = nn.Linear(3, 3);

        public Throwing()
            : base(nameof(Throwing)) => RegisterComponents();

        public override Tensor forward(Tensor input) => fc.call(input.flatten(1).mm(ones(5, 7)));
    }
}
