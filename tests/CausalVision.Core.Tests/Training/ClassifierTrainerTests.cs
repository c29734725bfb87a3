using CausalVision.Data;
using CausalVision.Synthetic;
using CausalVision.Training;

namespace CausalVision.Tests.Training;

public sealed class ClassifierTrainerTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A tiny conv net with dropout (so the RNG state matters for an exact resume).</summary>
    private static nn.Module<Tensor, Tensor> TinyNet(int classes, long seed)
    {
        manual_seed(seed);
        return nn.Sequential(
            nn.Conv2d(3, 4, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Dropout(0.3), nn.Linear(4, classes));
    }

    private static SyntheticBenchmark TinyBenchmark() => SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
    {
        ImageSize = 16, ClassCount = 3, TrainSize = 40, TestIidSize = 12, TestOodSize = 12, Seed = 7,
    });

    private TrainerOptions Options(int epochs, string? sub = null, int workers = 0) => new()
    {
        Epochs = epochs, BatchSize = 16, LearningRate = 0.01, LearningRateStepEpochs = 1, LearningRateGamma = 0.5,
        Seed = 3, Workers = workers, CheckpointDirectory = sub is null ? null : Path.Combine(dir, sub),
    };

    private static float[] Flat(nn.Module module) =>
        [.. module.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray())];

    [Fact]
    public void Fit_WithALogger_LogsTheDeviceEachEpochAndTheResume()
    {
        var bench = TinyBenchmark();
        using var model = TinyNet(3, 11);
        var logger = new ListLogger();
        new ClassifierTrainer(model, Options(2, "log")) { Logger = logger }.Fit(bench.Train, null, bench.TestIid);
        Assert.Contains(logger.Lines, l => l.Id == 1 && l.Text.Contains("training on cpu", StringComparison.OrdinalIgnoreCase) && l.Text.Contains("40 training images", StringComparison.Ordinal));
        Assert.Equal(2, logger.Lines.Count(l => l.Id == 3));
        Assert.Contains(logger.Lines, l => l.Id == 3 && l.Text.Contains("epoch 2/2", StringComparison.Ordinal) && l.Text.Contains("acc1", StringComparison.Ordinal));

        using var again = TinyNet(3, 11);
        var second = new ListLogger();
        new ClassifierTrainer(again, Options(3, "log")) { Logger = second }.Fit(bench.Train, null, bench.TestIid, resume: true);
        Assert.Contains(second.Lines, l => l.Id == 2 && l.Text.Contains("2 epoch(s) done", StringComparison.Ordinal));
        Assert.Single(second.Lines, l => l.Id == 3);
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<(int Id, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((eventId.Id, formatter(state, exception)));
    }

    [Fact]
    public void Fit_TwoEpochsVersusOnePlusResume_IdenticalWeightsAndLosses()
    {
        var bench = TinyBenchmark();
        using var straight = TinyNet(3, 11);
        var a = new ClassifierTrainer(straight, Options(2, "a", workers: 2)).Fit(bench.Train, null, bench.TestIid);

        using var first = TinyNet(3, 11);
        var b1 = new ClassifierTrainer(first, Options(1, "b", workers: 2)).Fit(bench.Train, null, bench.TestIid);

        // A different initialisation and a disturbed global RNG: the resume must restore both.
        using var resumed = TinyNet(3, 99);
        manual_seed(12345);
        var b2 = new ClassifierTrainer(resumed, Options(2, "b", workers: 2)).Fit(bench.Train, null, bench.TestIid, resume: true);

        Assert.Equal(2, b2.FirstEpoch);
        Assert.Single(b2.Epochs);
        Assert.Equal(a.Epochs[0].TrainLoss, b1.Epochs[0].TrainLoss);
        Assert.Equal(a.Epochs[1].TrainLoss, b2.Epochs[0].TrainLoss);
        Assert.Equal(0.005, b2.Epochs[0].LearningRate, 12);
        Assert.Equal(Flat(straight), Flat(resumed));
        Assert.Equal(a.Metrics[MetricNames.Acc1], b2.Metrics[MetricNames.Acc1]);
        Assert.Equal(2, Checkpoint.ReadState(b2.CheckpointPath!).Epoch);
    }

    [Fact]
    public void Fit_WorkersZeroOrTwo_SameRun()
    {
        var bench = TinyBenchmark();
        using var m0 = TinyNet(3, 5);
        using var m2 = TinyNet(3, 5);
        var r0 = new ClassifierTrainer(m0, Options(1, workers: 0)).Fit(bench.Train);
        var r2 = new ClassifierTrainer(m2, Options(1, workers: 2)).Fit(bench.Train);
        Assert.Equal(r0.Epochs[0].TrainLoss, r2.Epochs[0].TrainLoss);
        Assert.Equal(Flat(m0), Flat(m2));
    }

    [Fact]
    public void Fit_SeparableColours_LearnsToFullAccuracy()
    {
        using var model = TinyNet(3, 1);
        var options = Options(12);
        options.LearningRate = 0.05;
        options.LearningRateStepEpochs = 0;
        var result = new ClassifierTrainer(model, options).Fit(new ColorDataset(48), null, new ColorDataset(12));
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss / 2, $"loss {result.Epochs[0].TrainLoss} -> {result.Epochs[^1].TrainLoss}");
        Assert.Equal(1.0, result.Metrics[MetricNames.Acc1]);
        Assert.Equal(1.0, result.Metrics[MetricNames.Acc5]);
    }

    [Fact]
    public void Fit_MultiLabel_UsesBceAndReportsMultiLabelMetrics()
    {
        using var model = TinyNet(3, 2);
        var options = Options(12);
        options.LearningRate = 0.05;
        options.LearningRateStepEpochs = 0;
        var result = new ClassifierTrainer(model, options).Fit(new ColorDataset(48, multiLabel: true), null, new ColorDataset(12, multiLabel: true));
        Assert.Equal(
            new[] { MetricNames.CF1, MetricNames.OF1, MetricNames.PrecisionAt3, MetricNames.RecallAt3, MetricNames.MeanAveragePrecision }.Order(),
            result.Metrics.Keys.Order());
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss / 2, $"loss {result.Epochs[0].TrainLoss} -> {result.Epochs[^1].TrainLoss}");
        Assert.Equal(1.0, result.Metrics[MetricNames.MeanAveragePrecision], 6);

        // BCE at initialisation is about ln 2 per label; cross-entropy over 3 classes would be about ln 3.
        using var fresh = TinyNet(3, 2);
        var first = new ClassifierTrainer(fresh, Options(1)).Fit(new ColorDataset(48, multiLabel: true));
        Assert.InRange(first.Epochs[0].TrainLoss, 0.4, 0.9);
    }

    [Fact]
    public void Fit_Progress_ReportsEveryStepAndEpochMetrics()
    {
        using var model = TinyNet(3, 4);
        var reports = new List<TrainingProgress>();
        new ClassifierTrainer(model, Options(2)).Fit(new ColorDataset(40), null, new ColorDataset(9), progress: new SyncProgress(reports.Add));

        // 40 samples in batches of 16: 2 full steps per epoch (the last 8 are dropped by default), plus one
        // end-of-epoch report with metrics.
        Assert.Equal(6, reports.Count);
        Assert.Equal([1, 2, 2, 1, 2, 2], reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(2, r.Steps));
        Assert.Empty(reports[0].Metrics);
        Assert.Contains(MetricNames.Acc1, reports[2].Metrics.Keys);
        Assert.Equal(1.0, reports[^1].Fraction);
        Assert.Equal(0.005, reports[^1].LearningRate, 12);
    }

    [Fact]
    public void RunEpoch_SecondEpoch_LeavesNoTensors()
    {
        using var model = TinyNet(3, 8);
        using var optimizer = optim.Adam(model.parameters(), 0.01);
        var loader = new DataLoader(new ColorDataset(40), new DataLoaderOptions { BatchSize = 16, Workers = 2 });
        var epoch = 0;
        TensorLeaks.AssertSteadyState(() => TrainingLoop.RunEpoch(
            model, optimizer, loader, epoch++, CPU, b => TrainingLoop.ClassificationLoss(model.call(b.Images), b, multiLabel: false)));
    }

    [Fact]
    public void Fit_AfterWarmUp_LeavesNoTensors()
    {
        var data = new ColorDataset(20);
        using var model = TinyNet(3, 8);
        var trainer = new ClassifierTrainer(model, Options(1));
        trainer.Fit(data, null, data);
        TensorLeaks.AssertNone(() => trainer.Fit(data, null, data));
        TensorLeaks.AssertNone(() => trainer.Evaluate(data));
    }

    [Fact]
    public void Fit_EmptyDataset_Throws()
    {
        using var model = TinyNet(3, 1);
        var ex = Assert.Throws<ArgumentException>(() => new ClassifierTrainer(model, Options(1)).Fit(new ColorDataset(0)));
        Assert.Contains("'color' is empty", ex.Message);
    }

    [Fact]
    public void Fit_ModelClassCountMismatch_ThrowsNamingBoth()
    {
        using var model = TinyNet(5, 1);
        var ex = Assert.Throws<ArgumentException>(() => new ClassifierTrainer(model, Options(1)).Fit(new ColorDataset(20)));
        Assert.Contains("[16, 5]", ex.Message);
        Assert.Contains("3 classes", ex.Message);
    }

    [Fact]
    public void Fit_EvaluationClassCountMismatch_Throws()
    {
        using var model = TinyNet(3, 1);
        var ex = Assert.Throws<ArgumentException>(() => new ClassifierTrainer(model, Options(1)).Fit(new ColorDataset(20), null, new ColorDataset(20, classes: 4)));
        Assert.Contains("4 classes", ex.Message);
    }

    [Fact]
    public void Evaluate_ModelClassCountMismatch_Throws()
    {
        using var model = TinyNet(4, 1);
        var ex = Assert.Throws<ArgumentException>(() => new ClassifierTrainer(model, Options(1)).Evaluate(new ColorDataset(5)));
        Assert.Contains("3 classes", ex.Message);
    }

    [Fact]
    public void Fit_ResumeWithoutCheckpointDirectory_Throws()
    {
        using var model = TinyNet(3, 1);
        var ex = Assert.Throws<ArgumentException>(() => new ClassifierTrainer(model, Options(1)).Fit(new ColorDataset(20), resume: true));
        Assert.Contains("CheckpointDirectory", ex.Message);
    }

    [Fact]
    public void Fit_ResumeWithMissingCheckpoint_StartsFresh()
    {
        using var a = TinyNet(3, 1);
        using var b = TinyNet(3, 1);
        var fresh = new ClassifierTrainer(a, Options(1, "x")).Fit(new ColorDataset(20));
        var resumed = new ClassifierTrainer(b, Options(1, "y")).Fit(new ColorDataset(20), resume: true);
        Assert.Equal(1, resumed.FirstEpoch);
        Assert.Equal(fresh.Epochs[0].TrainLoss, resumed.Epochs[0].TrainLoss);
        Assert.True(File.Exists(Path.Combine(dir, "y", ClassifierTrainer.CheckpointFileName)));
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
