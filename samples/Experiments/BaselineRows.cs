// The "baseline-rows" and "p-sweep" experiments: the reference rows (ERM, ceiling, tags -> class
// oracle, Group DRO) as linear heads on frozen backbone features of the built-in benchmark.
using System.Globalization;
using CausalVision.Backbones;
using CausalVision.Evaluation;
using CausalVision.Synthetic;
using CausalVision.Training;

namespace CausalVision.Samples;

/// <summary>Settings shared by the experiments (from the command line).</summary>
internal sealed record ExperimentSettings(
    string Backbone, string? Pretrained, double P, int TrainSize, int ValidationSize, int TestSize, int ImageSize, int Epochs, double LearningRate, double GroupDroStep, double[] SweepPs)
{
    /// <summary>Gets the weight decays of extra ERM and Group DRO rows (Sagawa et al. need strong L2 for Group DRO to help the worst group).</summary>
    public double[] WeightDecays { get; init; } = [];
}

/// <summary>Builds the experiment definitions.</summary>
internal static class BaselineRows
{
    public static readonly string[] Names = ["baseline-rows", "p-sweep"];

    public static ExperimentDefinition Create(string name, ExperimentSettings s) => name switch
    {
        "baseline-rows" => Baseline(s),
        "p-sweep" => Sweep(s),
        _ => throw new ArgumentException($"unknown experiment '{name}'; known: {string.Join(", ", Names)}."),
    };

    private static ExperimentDefinition Baseline(ExperimentSettings s)
    {
        var rows = new List<ExperimentRow>
        {
            new("erm", c => Row(c, s, s.P, TrainingObjective.Erm, oracle: false), description: "ERM on the biased training split"),
            new("group-dro", c => Row(c, s, s.P, TrainingObjective.GroupDro, oracle: false), description: "Group DRO (Sagawa et al. 2020) over (class, context) groups"),
            new("ceiling", c => Row(c, s, 0, TrainingObjective.Erm, oracle: false), description: "ERM on the unbiased variant (p = 1/contexts)"),
            new("oracle", c => Row(c, s, s.P, TrainingObjective.Erm, oracle: true), description: "tags -> class oracle (privileged: the objects drawn)"),
        };
        foreach (var wd in s.WeightDecays)
        {
            rows.Add(new($"erm@wd={Str(wd)}", c => Row(c, s, s.P, TrainingObjective.Erm, oracle: false, wd), description: $"ERM with weight decay {Str(wd)}"));
            rows.Add(new($"group-dro@wd={Str(wd)}", c => Row(c, s, s.P, TrainingObjective.GroupDro, oracle: false, wd), description: $"Group DRO with weight decay {Str(wd)}"));
        }

        return new ExperimentDefinition { Name = "baseline-rows", Baseline = "erm", Rows = rows, Recipe = Recipe(s, $"p = {Str(s.P)}") };
    }

    private static ExperimentDefinition Sweep(ExperimentSettings s)
    {
        var rows = new List<ExperimentRow>();
        foreach (var p in s.SweepPs)
        {
            rows.Add(new($"erm@p={Str(p)}", c => Row(c, s, p, TrainingObjective.Erm, oracle: false)));
            rows.Add(new($"group-dro@p={Str(p)}", c => Row(c, s, p, TrainingObjective.GroupDro, oracle: false)));
        }

        return new ExperimentDefinition { Name = "p-sweep", Baseline = rows[0].Name, Rows = rows, Recipe = Recipe(s, $"p in {{{string.Join(", ", s.SweepPs.Select(Str))}}}") };
    }

    private static string Recipe(ExperimentSettings s, string p) =>
        $"built-in benchmark, SyntheticBenchmarkOptions.Robustness ({p}; 6 classes x 6 contexts = 36 groups; objects of radius 8-12 px at 64 px), "
        + $"{s.TrainSize} train / {s.ValidationSize} val (training distribution) / {s.TestSize / 3} test_iid / {s.TestSize} test_ood images at {s.ImageSize} px, benchmark seed = run seed; "
        + $"frozen '{s.Backbone}' backbone ({(s.Pretrained is not null ? "weights " + Path.GetFileName(s.Pretrained) : s.Backbone == global::CausalVision.Backbones.ImageNetResNet18.RegistryName ? "ImageNet weights from ML.NET's ResNet18.onnx" : "random initialisation from the run seed")}), pooled features of the un-augmented images (no augmentation: features are cached once per seed), standardised; "
        + $"linear head, Adam lr {Str(s.LearningRate)}, weight decay 1e-4 (rows @wd= use theirs), batch 128, {s.Epochs} epochs, same data order for every row of a seed; epoch selected on validation mean-group accuracy "
        + $"(the ceiling on its own unbiased validation split); Group DRO step size {Str(s.GroupDroStep)}. Test metrics: test_ood unless prefixed iid_.";

    private static Dictionary<string, double> Row(ExperimentRunContext c, ExperimentSettings s, double p, TrainingObjective objective, bool oracle, double weightDecay = 1e-4)
    {
        // p = 0 asks for the unbiased variant (p = 1 / contexts) of the same benchmark.
        var bench = c.Shared($"bench@{Str(p)}", () => SyntheticBenchmark.Generate(Options(s, p, c.Seed)));
        var test = c.Shared($"bench@{Str(s.P)}", () => SyntheticBenchmark.Generate(Options(s, s.P, c.Seed)));
        FeatureSet Features(SyntheticBenchmark b, SyntheticSplit split, string key) => oracle
            ? c.Shared($"tags/{key}", () => SyntheticFeatures.FromTags(b, split))
            : c.Shared($"features/{key}", () =>
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var backbone = c.Shared("backbone", () => CreateBackbone(s, c.Seed));
                var f = SyntheticFeatures.FromBackbone(backbone, b, split);
                c.Log($"features {key}: {split.Count} images in {watch.Elapsed.TotalSeconds:0.0} s");
                return f;
            });

        var train = Features(bench, bench.Train, $"train@{Str(p)}");
        var val = Features(bench, bench.Validation, $"val@{Str(p)}");
        // test_iid follows the row's own training distribution (the ceiling: the biased one of --p);
        // test_ood does not depend on p, so every row of a seed shares it.
        var iidBench = p == 0 ? test : bench;
        var iid = Features(iidBench, iidBench.TestIid, $"test_iid@{Str(p == 0 ? s.P : p)}");
        var ood = Features(test, test.TestOod, "test_ood");
        var head = new FeatureHeadTrainer(new FeatureHeadTrainerOptions
        {
            Objective = objective,
            GroupDroStepSize = s.GroupDroStep,
            Epochs = s.Epochs,
            LearningRate = s.LearningRate,
            WeightDecay = weightDecay,
            Seed = c.Seed,
            Selection = SelectionMetric.MeanGroupAccuracy,
        }).Fit(train, val);

        var mi = head.Evaluate(iid);
        var mo = head.Evaluate(ood);
        // The validation split's scores (training distribution): what a hyper-parameter may be chosen on.
        var mv = head.Evaluate(val);
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["iid_acc"] = mi.Accuracy,
            ["ood_acc"] = mo.Accuracy,
            ["iid_ood_gap"] = Metrics.GroupMetrics.IidOodGap(mi.Accuracy, mo.Accuracy),
            ["worst_group_acc"] = mo.WorstGroupAccuracy,
            ["mean_group_acc"] = mo.MeanGroupAccuracy,
            ["shortcut_rate"] = mo.ShortcutRate,
            ["selected_epoch"] = head.SelectedEpoch,
            ["val_mean_group_acc"] = mv.MeanGroupAccuracy,
            ["val_worst_group_acc"] = mv.WorstGroupAccuracy,
        };
    }

    /// <summary>The Robustness benchmark of the settings at spurious correlation p (0: the unbiased variant).</summary>
    internal static SyntheticBenchmarkOptions Options(ExperimentSettings s, double p, int seed)
    {
        var o = SyntheticBenchmarkOptions.Robustness(p == 0 ? 0.5 : p);
        o.Seed = seed;
        o.ImageSize = s.ImageSize;
        o.TrainSize = s.TrainSize;
        o.ValidationSize = s.ValidationSize;
        o.TestOodSize = s.TestSize;
        o.TestIidSize = Math.Max(1, s.TestSize / 3);
        return p == 0 ? o.Unbiased() : o;
    }

    private static Backbone CreateBackbone(ExperimentSettings s, int seed) =>
        BackboneRegistry.Create(s.Backbone, new BackboneOptions { ImageSize = s.ImageSize, Seed = seed, PretrainedPath = s.Pretrained });

    private static string Str(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
