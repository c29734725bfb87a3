using CausalVision.CausalLabels;
using CausalVision.Training;
using static CausalVision.Tests.CausalLabels.CausalLabelModelTestData;

namespace CausalVision.Tests.CausalLabels;

public sealed class CausalLabelTrainerTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), $"cv-causal-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Train_StageOne_UpdatesBackboneAndDecoderNotIntervention()
    {
        var bench = Bench();
        using var model = Model();
        var backbone = Snapshot(model, "backbone.");
        var decoder = Snapshot(model, "head.decoder.");
        var intervention = Snapshot(model, "head.intervention.");
        var trainer = new CausalLabelTrainer(model, TrainerOptions(stage1: 1, causal: 0), new RandomConfounderDictionaryBuilder(K));
        trainer.Train(bench.Train);
        Assert.True(Changed(model, backbone));
        Assert.True(Changed(model, decoder));
        Assert.False(Changed(model, intervention));
        Assert.All(model.Intervention!.parameters(), p => Assert.Null(p.grad));
        trainer.TakeDictionary()?.Dispose();
        Release(backbone);
        Release(decoder);
        Release(intervention);
    }

    [Fact]
    public void Train_CausalStage_UpdatesInterventionBackboneFrozen()
    {
        var bench = Bench();
        using var model = Model();
        var backbone = Snapshot(model, "backbone.");
        var intervention = Snapshot(model, "head.intervention.");
        using var runningMean = model.state_dict()["backbone.bn.running_mean"].clone();
        var trainer = new CausalLabelTrainer(model, TrainerOptions(stage1: 0, causal: 1), new RandomConfounderDictionaryBuilder(K));
        var result = trainer.Train(bench.Train);
        var state = trainer.State;
        Assert.Equal(3, state.Stage);
        Assert.Equal(1, state.Epoch);
        Assert.Equal(new[] { 1 }, result.Epochs.Select(e => e.Epoch));
        Assert.Equal(3.0, result.Epochs[0].Metrics["stage"]);
        Assert.Equal(result.GlobalStep, state.GlobalStep);
        Assert.False(Changed(model, backbone));
        Assert.True(Changed(model, intervention));
        TensorAssert.Close(runningMean, model.state_dict()["backbone.bn.running_mean"], 0, 0); // backbone in eval mode
        Assert.All(model.Backbone.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(model.Intervention!.parameters(), p => Assert.NotNull(p.grad));
        Assert.NotNull(trainer.Dictionary);
        TensorAssert.Close(trainer.Dictionary!.Centres, model.Intervention.Centres, 0, 0);
        trainer.TakeDictionary()?.Dispose();
        Release(backbone);
        Release(intervention);
    }

    [Fact]
    public void Train_EachStage_NoLeakedTensors()
    {
        var bench = Bench();
        using var model = Model();
        TensorLeaks.AssertSteadyState(() =>
        {
            var trainer = new CausalLabelTrainer(model, TrainerOptions(stage1: 1, causal: 1), new RandomConfounderDictionaryBuilder(K));
            trainer.Train(bench.Train);
            trainer.TakeDictionary()!.Dispose();
        });
        using var decouple = Model(CausalLabelVariant.Decouple);
        TensorLeaks.AssertSteadyState(() => new CausalLabelTrainer(decouple, TrainerOptions(stage1: 1)).Train(bench.Train));
    }

    [Fact]
    public void Train_ResumeInCausalStage_EqualsUninterruptedRun()
    {
        var bench = Bench();
        using var straight = Model(seed: 11);
        var a = new CausalLabelTrainer(straight, TrainerOptions(stage1: 1, causal: 2), new RandomConfounderDictionaryBuilder(K, seed: 4));
        a.Train(bench.Train);
        a.TakeDictionary()?.Dispose();

        using (var first = Model(seed: 11))
        {
            var b = new CausalLabelTrainer(first, TrainerOptions(stage1: 1, causal: 1, dir: dir), new RandomConfounderDictionaryBuilder(K, seed: 4));
            b.Train(bench.Train);
            b.TakeDictionary()?.Dispose();
        }

        Assert.True(File.Exists(Path.Combine(dir, CausalLabelTrainer.DictionaryFileName)));
        Assert.Equal(3, Checkpoint.ReadState(Path.Combine(dir, CausalLabelTrainer.CheckpointFileName)).Stage);
        using var resumed = Model(seed: 99); // different initial weights: everything must come from the checkpoint
        var c = new CausalLabelTrainer(resumed, TrainerOptions(stage1: 1, causal: 2, dir: dir), new RandomConfounderDictionaryBuilder(K, seed: 123));
        var result = c.Train(bench.Train);
        var state = c.State;
        Assert.Equal(3, state.Stage);
        Assert.Equal(2, state.Epoch);

        // The resumed call trains stage 3's second epoch and still reports the whole history from the checkpoint.
        Assert.Equal(new[] { 3 }, result.Epochs.Select(e => e.Epoch));
        Assert.Equal(new[] { 1, 2, 3 }, result.History.Select(e => e.Epoch));
        Assert.Equal(new[] { 1.0, 3.0, 3.0 }, result.History.Select(e => e.Metrics["stage"]));
        var expected = straight.state_dict();
        foreach (var (key, value) in resumed.state_dict())
        {
            TensorAssert.Close(expected[key], value, 1e-6, 1e-6);
        }

        c.TakeDictionary()?.Dispose();
    }

    [Fact]
    public void Train_ResumeInStageOne_EqualsUninterruptedRun()
    {
        var bench = Bench();
        using var straight = Model(CausalLabelVariant.Decouple, seed: 3);
        new CausalLabelTrainer(straight, TrainerOptions(stage1: 2, causal: 0)).Train(bench.Train);
        using (var first = Model(CausalLabelVariant.Decouple, seed: 3))
        {
            new CausalLabelTrainer(first, TrainerOptions(stage1: 1, causal: 0, dir: dir)).Train(bench.Train);
        }

        using var resumed = Model(CausalLabelVariant.Decouple, seed: 8);
        new CausalLabelTrainer(resumed, TrainerOptions(stage1: 2, causal: 0, dir: dir)).Train(bench.Train);
        var expected = straight.state_dict();
        foreach (var (key, value) in resumed.state_dict())
        {
            TensorAssert.Close(expected[key], value, 1e-6, 1e-6);
        }
    }

    [Fact]
    public void Train_DecoupleMatchedBudget_SameStepsAsCausalAndBackboneFrozen()
    {
        var bench = Bench();
        using var stageOne = Model(CausalLabelVariant.Decouple, seed: 3);
        var o = TrainerOptions(stage1: 1, causal: 2);
        o.MatchDecoupleBudget = false;
        var onlyStageOne = new CausalLabelTrainer(stageOne, o).Train(bench.Train);

        using var decouple = Model(CausalLabelVariant.Decouple, seed: 3);
        var matched = new CausalLabelTrainer(decouple, TrainerOptions(stage1: 1, causal: 2)).Train(bench.Train);
        using var causal = Model(CausalLabelVariant.Causal, seed: 3);
        var causalState = new CausalLabelTrainer(causal, TrainerOptions(stage1: 1, causal: 2), new RandomConfounderDictionaryBuilder(K, 1)).Train(bench.Train);

        Assert.Equal(2, onlyStageOne.GlobalStep);
        Assert.Equal(causalState.GlobalStep, matched.GlobalStep);
        Assert.Equal(6, matched.GlobalStep);
        var before = stageOne.state_dict();
        foreach (var (key, value) in decouple.state_dict())
        {
            if (key.StartsWith("backbone.", StringComparison.Ordinal))
            {
                TensorAssert.Close(before[key], value, 0, 0);
            }
        }

        Assert.True(Changed(decouple, Snapshot(stageOne, "head.decoder")), "The decoder did not train in the matched-budget epochs.");
    }

    [Theory]
    [InlineData(DictionaryControl.PriorMean, 1)]
    [InlineData(DictionaryControl.Zero, K)]
    [InlineData(DictionaryControl.MatchedRandom, K)]
    [InlineData(DictionaryControl.ShuffledPrior, K)]
    public void Train_DictionaryControl_InstallsTheControlDictionary(DictionaryControl control, int expectedK)
    {
        var bench = Bench();
        using var model = Model(CausalLabelVariant.Causal, seed: 3);
        var o = TrainerOptions(stage1: 1, causal: 1);
        o.DictionaryControl = control;
        var recorder = new RecordingBuilder(new RandomConfounderDictionaryBuilder(K, 1));
        using var trainer = new CausalLabelTrainer(model, o, recorder);
        trainer.Train(bench.Train);
        Assert.Equal(expectedK, model.NumConfounders);
        using var built = recorder.Built!;
        using var expected = DictionaryControls.Apply(control, built, o.Seed);
        TensorAssert.Close(expected.Centres, model.Intervention!.Centres, 1e-6, 1e-6);
        TensorAssert.Close(expected.Prior, model.Intervention!.Prior, 1e-6, 1e-6);
        var e = CausalLabelTrainer.Evaluate(model, bench.TestOod, 4, null, CausalLabelScores.CausalOnly);
        Assert.True(double.IsFinite(e.Map));
    }

    [Fact]
    public void Train_Progress_ReportsEveryStepAndEpochMetrics()
    {
        var bench = Bench();
        using var model = Model(CausalLabelVariant.Baseline);
        var reports = new List<TrainingProgress>();
        var trainer = new CausalLabelTrainer(model, TrainerOptions(stage1: 1), progress: new SyncProgress(reports));
        trainer.Train(bench.Train, bench.TestIid);
        Assert.Equal(3, reports.Count); // 8 images / batch 4 = 2 steps + the epoch report
        Assert.All(reports, r => Assert.Equal(1, r.Stage));
        Assert.True(reports[^1].Metrics.ContainsKey("mAP"));
        Assert.True(double.IsFinite(reports[^1].Loss));
    }

    [Fact]
    public void Evaluate_ReturnsSuiteWithBiasedPairs()
    {
        var bench = Bench();
        using var model = Model(CausalLabelVariant.Decouple);
        var pair = bench.BiasedPairs[0];
        var pairs = new[] { new CausalVision.Metrics.BiasedPair(pair.Biased, pair.Context, double.NaN, double.NaN) };
        var e = new CausalLabelTrainer(model).Evaluate(bench.TestOod, pairs);
        Assert.Equal(8, e.Images);
        Assert.InRange(e.Map, 0, 1);
        var d = e.ToDictionary();
        Assert.Equal(15, d.Count);
        Assert.True(d.ContainsKey("OF1@3"));
    }

    [Fact]
    public void Ctor_Device_BlankRejectedAndCpuKeepsModelOnCpu()
    {
        using var model = Model();
        Assert.Contains("Device", Assert.Throws<ArgumentException>(() => new CausalLabelTrainer(model, new CausalLabelTrainerOptions { Device = " " }, new RandomConfounderDictionaryBuilder(K))).Message, StringComparison.Ordinal);
        Assert.Contains("bogus", Assert.Throws<ArgumentException>(() => new CausalLabelTrainer(model, new CausalLabelTrainerOptions { Device = "bogus" }, new RandomConfounderDictionaryBuilder(K))).Message, StringComparison.OrdinalIgnoreCase);
        using var trainer = new CausalLabelTrainer(model, new CausalLabelTrainerOptions { Device = "cpu" }, new RandomConfounderDictionaryBuilder(K));
        Assert.All(model.parameters(), p => Assert.Equal(DeviceType.CPU, p.device_type));
    }

    [Fact]
    public void Ctor_CausalWithoutBuilderOrWrongDataset_ThrowsClearMessage()
    {
        using var model = Model();
        Assert.Contains("dictionary builder", Assert.Throws<ArgumentException>(() => new CausalLabelTrainer(model)).Message, StringComparison.Ordinal);
        Assert.Contains("BatchSize", Assert.Throws<ArgumentException>(() => new CausalLabelTrainer(model, new CausalLabelTrainerOptions { BatchSize = 0 }, new RandomConfounderDictionaryBuilder(K))).Message, StringComparison.Ordinal);
        var other = CausalVision.Synthetic.SyntheticBenchmark.Generate(new CausalVision.Synthetic.SyntheticBenchmarkOptions { MultiLabel = true, ImageSize = 32, ShapeCount = 3, ColorCount = 2, BiasedPairCount = 1, TrainSize = 4, TestIidSize = 1, TestOodSize = 1 });
        var trainer = new CausalLabelTrainer(model, TrainerOptions(), new RandomConfounderDictionaryBuilder(K));
        Assert.Contains("has 6 labels but the model was built for 4", Assert.Throws<ArgumentException>(() => trainer.Train(other.Train)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_LabelBuilderWithKNotL_ThrowsClearMessage()
    {
        var bench = Bench();
        using var model = Model(); // K = 3, L = 4
        var trainer = new CausalLabelTrainer(model, TrainerOptions(stage1: 0, causal: 1), new ClassMeanConfounderDictionaryBuilder());
        var ex = Assert.Throws<ArgumentException>(() => trainer.Train(bench.Train));
        Assert.Contains("K = 4 centres but the model was built for K = 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ComputeLoss_HandValues_BceAndAsl()
    {
        using var logits = tensor(new float[] { 0f, 0f }, new long[] { 1, 2 });
        using var targets = tensor(new float[] { 1f, 0f }, new long[] { 1, 2 });
        using var bce = CausalLabelTrainer.ComputeLoss(logits, targets, MultiLabelLoss.BinaryCrossEntropy);
        Assert.Equal(Math.Log(2), bce.item<float>(), 5);

        // ASL at p = 0.5: positive term -log 0.5; negative term p_m = 0.45: -(0.45^4) log(0.55).
        using var asl = CausalLabelTrainer.ComputeLoss(logits, targets, MultiLabelLoss.Asymmetric);
        var expected = (Math.Log(2) - (Math.Pow(0.45, 4) * Math.Log(0.55))) / 2;
        Assert.Equal(expected, asl.item<float>(), 5);
        using var wrong = zeros(1, 3);
        Assert.Throws<ArgumentException>(() => CausalLabelTrainer.ComputeLoss(logits, wrong, MultiLabelLoss.BinaryCrossEntropy));
    }

    private sealed class SyncProgress(List<TrainingProgress> sink) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => sink.Add(value);
    }

    /// <summary>Delegates to a builder and keeps a copy of what it built.</summary>
    private sealed class RecordingBuilder(IConfounderDictionaryBuilder inner) : IConfounderDictionaryBuilder
    {
        public ConfounderDictionary? Built { get; private set; }

        public string Name => inner.Name;

        public ConfounderDictionary Build(IEnumerable<ConfounderFeatureBatch> batches)
        {
            var d = inner.Build(batches);
            Built = new ConfounderDictionary(d.Centres, d.Prior);
            return d;
        }
    }
}
