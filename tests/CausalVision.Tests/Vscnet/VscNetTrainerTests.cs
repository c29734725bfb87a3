using CausalVision.Clustering.Hierarchy;
using CausalVision.Vscnet;
using CausalVision.Synthetic;
using CausalVision.Training;

namespace CausalVision.Tests.Vscnet;

public sealed class VscNetTrainerTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "vscnet-tests-" + Guid.NewGuid().ToString("N"));

    private static readonly SyntheticBenchmark Bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
    {
        ImageSize = 16,
        ClassCount = VscNetTestKit.Classes,
        ShapeCount = 2,
        ColorCount = 3,
        TrainSize = 8,
        TestIidSize = 4,
        TestOodSize = 4,
        Seed = 3,
    });

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static VscNet Model(string? dir, int stage1 = 1, int stage2 = 1) => VscNetTestKit.Builder()
        .ForDataset(Bench.Info)
        .Configure(o =>
        {
            o.Training.BatchSize = 4;
            o.Training.Stage1Epochs = stage1;
            o.Training.Stage2Epochs = stage2;
            o.Training.CheckpointDirectory = dir;
            o.Hierarchy.MinMembers = 1;
            o.Hierarchy.PurityThreshold = 0;
        })
        .Build();

    [Fact]
    public void Run_NineImagesInBatchesOfFour_DropsTheBatchOfOneAndStaysFinite()
    {
        var nine = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            ImageSize = 16,
            ClassCount = VscNetTestKit.Classes,
            ShapeCount = 2,
            ColorCount = 3,
            TrainSize = 9,
            TestIidSize = 2,
            TestOodSize = 2,
            Seed = 3,
        });
        using var model = Model(null);
        using var trainer = new VscNetTrainer(model);
        var reports = new List<TrainingProgress>();
        trainer.Run(nine.Train, null, new SyncProgress(reports.Add));
        // Two steps per epoch (4 + 4; the ninth image waits for the next epoch's shuffle), in both stages.
        Assert.All(reports.Where(r => r.Metrics.Count == 0), r => Assert.Equal(2, r.Steps));
        foreach (var (name, t) in model.state_dict())
        {
            Assert.True(t.is_floating_point() ? isfinite(t).all().item<bool>() : true, $"{name} is not finite");
        }
    }

    [Fact]
    public void TrainStep_BatchOfOneInTrainingMode_IsRejectedWithAClearError()
    {
        using var model = Model(null);
        using var trainer = new VscNetTrainer(model);
        model.train();
        using var optimizer = optim.Adam(model.Stage1Parameters(), 1e-3);
        using var x = VscNetTestKit.Images(batch: 1);
        using var y = VscNetTestKit.Labels(batch: 1);
        using var tags = zeros(1, VscNetTestKit.Tags);
        var e = Assert.Throws<InvalidOperationException>(() => trainer.TrainStep(optimizer, x, y, tags));
        Assert.Contains("batch of one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Stage1VseStage2_ReportsMetricsAndWritesFiles()
    {
        var dir = Path.Combine(root, "run");
        using var model = Model(dir);
        using var trainer = new VscNetTrainer(model);
        var reports = new List<TrainingProgress>();
        var result = trainer.Run(Bench.Train, Bench.TestIid, new SyncProgress(reports.Add));
        var metrics = result.Metrics;
        Assert.InRange(metrics["acc@1"], 0, 1);

        // One result type for every trainer: each epoch of both stages, numbered on across them.
        var stages = model.Options.Training;
        Assert.Equal(Enumerable.Range(1, stages.Stage1Epochs + stages.Stage2Epochs), result.Epochs.Select(e => e.Epoch));
        Assert.Equal(result.Epochs, result.History);
        Assert.Equal(1, result.FirstEpoch);
        Assert.Equal(Enumerable.Repeat(1.0, stages.Stage1Epochs).Concat(Enumerable.Repeat(2.0, stages.Stage2Epochs)), result.Epochs.Select(e => e.Metrics["stage"]));
        Assert.All(result.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss)));
        Assert.Equal(Path.Combine(dir, VscNetTrainer.Stage2File), result.CheckpointPath);
        Assert.InRange(metrics["acc@3"], 0.999, 1); // k = min(5, 3 classes) covers every class
        Assert.True(File.Exists(Path.Combine(dir, VscNetTrainer.Stage1File)));
        Assert.True(File.Exists(Path.Combine(dir, VscNetTrainer.Stage2File)));
        Assert.True(File.Exists(Path.Combine(dir, VscNetTrainer.HierarchyFile)));
        Assert.NotNull(trainer.Hierarchy);
        Assert.True(trainer.Hierarchy!.Count > 0);
        Assert.Equal(VscNetStage.Classification, model.Stage);
        Assert.Contains(reports, r => r.Stage == 1 && r.Metrics.ContainsKey("acc@1"));
        Assert.Contains(reports, r => r.Stage == 2 && r.Metrics.ContainsKey("loss"));
        Assert.Equal(2, Checkpoint.ReadState(Path.Combine(dir, VscNetTrainer.Stage2File)).Stage);
    }

    [Fact]
    public void Run_ResumedAfterStage2Epoch1_EqualsUninterruptedRun()
    {
        var straight = Path.Combine(root, "straight");
        using var a = Model(straight, stage1: 1, stage2: 2);
        using (var trainer = new VscNetTrainer(a))
        {
            trainer.Run(Bench.Train, null);
        }

        var resumed = Path.Combine(root, "resumed");
        using (var b1 = Model(resumed, stage1: 1, stage2: 1))
        using (var trainer = new VscNetTrainer(b1))
        {
            trainer.Run(Bench.Train, null);
        }

        using var b2 = Model(resumed, stage1: 1, stage2: 2);
        TrainingResult second;
        using (var trainer = new VscNetTrainer(b2))
        {
            second = trainer.Run(Bench.Train, null);
        }

        // The resumed call trains epoch 3 (stage 2's second) and still reports the whole history from the checkpoint.
        Assert.Equal(new[] { 3 }, second.Epochs.Select(e => e.Epoch));
        Assert.Equal(3, second.FirstEpoch);
        Assert.Equal(new[] { 1, 2, 3 }, second.History.Select(e => e.Epoch));
        Assert.Equal(2, Checkpoint.ReadState(Path.Combine(resumed, VscNetTrainer.Stage2File)).Epoch);
        ModuleContract.AssertStateDictsEqual(a, b2);
    }

    [Fact]
    public void Run_ResumedInStage1_EqualsUninterruptedRun()
    {
        var straight = Path.Combine(root, "s1-straight");
        using var a = Model(straight, stage1: 2, stage2: 1);
        using (var trainer = new VscNetTrainer(a))
        {
            trainer.Run(Bench.Train, null);
        }

        var resumed = Path.Combine(root, "s1-resumed");
        using (var b1 = Model(resumed, stage1: 1, stage2: 1))
        using (var trainer = new VscNetTrainer(b1))
        {
            trainer.TrainStage1(Bench.Train);
        }

        using var b2 = Model(resumed, stage1: 2, stage2: 1);
        using (var trainer = new VscNetTrainer(b2))
        {
            trainer.Run(Bench.Train, null);
        }

        ModuleContract.AssertStateDictsEqual(a, b2);
    }

    [Fact]
    public void TrainStage2_BeforeStage1_ThrowsInvalidOperation()
    {
        using var model = Model(null);
        using var trainer = new VscNetTrainer(model);
        var e = Assert.Throws<InvalidOperationException>(() => trainer.TrainStage2(Bench.Train));
        Assert.Contains("stage 1", e.Message);
    }

    [Fact]
    public void TrainStep_MismatchedBatchSizes_ThrowsArgument()
    {
        using var model = Model(null);
        using var trainer = new VscNetTrainer(model);
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        using var x = VscNetTestKit.Images(4);
        using var y = VscNetTestKit.Labels(4);
        using var tags = zeros(3, VscNetTestKit.Tags);
        var e = Assert.Throws<ArgumentException>(() => trainer.TrainStep(optimizer, x, y, tags));
        Assert.Contains("mismatched batch sizes", e.Message);
    }

    [Fact]
    public void TrainStep_TagsWiderThanVocabulary_ThrowsArgument()
    {
        using var model = Model(null);
        using var trainer = new VscNetTrainer(model);
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        using var x = VscNetTestKit.Images(4);
        using var y = VscNetTestKit.Labels(4);
        using var tags = zeros(4, VscNetTestKit.Tags + 2);
        var e = Assert.Throws<ArgumentException>(() => trainer.TrainStep(optimizer, x, y, tags));
        Assert.Contains("outside the model's vocabulary", e.Message);
    }

    [Fact]
    public void SetHierarchy_EmptyHierarchy_ThrowsArgument()
    {
        using var model = Model(null);
        using var features = rand(10, (long)model.SpatialNet!.HiddenSize);
        var ids = Enumerable.Range(0, 10).Select(i => (long)(i % VscNetTestKit.Tags)).ToArray();
        var classes = Enumerable.Range(0, 10).Select(i => (long)(i % VscNetTestKit.Classes)).ToArray();
        using var empty = ExemplarHierarchy.Build(features, ids, classes, VscNetTestKit.Tags, VscNetTestKit.Classes, new HierarchyOptions { MinMembers = 1000 });
        Assert.Equal(0, empty.Count);
        var e = Assert.Throws<ArgumentException>(() => model.SetHierarchy(empty));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Run_DatasetWithOtherVocabulary_ThrowsArgument()
    {
        using var model = VscNetTestKit.Builder().Build(); // tag0..tag5 but 3 classes: matches counts
        using var other = VscNetTestKit.Builder().WithTagVocabulary(new[] { "a", "b" }).Build();
        using var trainer = new VscNetTrainer(other);
        var e = Assert.Throws<ArgumentException>(() => trainer.Run(Bench.Train, null));
        Assert.Contains("2", e.Message);
    }

    [Fact]
    public void Fit_MultiLabel_ReportsPrecisionAndRecallAtK()
    {
        VscNetTestKit.RegisterTinyBackbone();
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            ImageSize = 16,
            ClassCount = 3,
            ShapeCount = 2,
            ColorCount = 2,
            BiasedPairCount = 1,
            TrainSize = 8,
            TestIidSize = 4,
            TestOodSize = 4,
            MultiLabel = true,
            Seed = 5,
        });
        var options = new VscNetOptions();
        options.Backbone.Name = VscNetTestKit.TinyBackboneName;
        options.Fva.Steps = 2;
        options.NodeFeatures = 8;
        options.Cim.HiddenFeatures = 8;
        options.Fusion.FusedFeatures = 8;
        options.Hierarchy.MinMembers = 1;
        options.Hierarchy.PurityThreshold = 0;
        options.Training.BatchSize = 4;
        options.Training.Stage1Epochs = 1;
        options.Training.Stage2Epochs = 1;
        var metrics = VscNetTrainer.Fit(bench.Train, bench.TestIid, options).Metrics;
        var k = Math.Min(5, bench.Info.ClassCount);
        Assert.Equal(new[] { "p@1", $"p@{k}", "r@1", $"r@{k}" }, metrics.Keys.Order(StringComparer.Ordinal));
        Assert.All(metrics.Values, v => Assert.InRange(v, 0, 1));
        if (k == bench.Info.ClassCount)
        {
            Assert.Equal(1.0, metrics[$"r@{k}"], 6); // k = every class: every positive is retrieved
        }
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
