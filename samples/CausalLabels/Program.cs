// samples/CausalLabels: paper B's ablations on the built-in benchmark's multi-label variant.
//   Table 3: Baseline vs +Decouple vs +Decouple+Causal on exclusive / co-occur / all (mAP).
//   Table 4: K in {20, 40, 80}.
// Each over several seeds (mean +- std), CPU-sized. Usage:
//   eng/torch-env.sh dotnet run --project samples/CausalLabels -c Release -- [--quick] [--seeds N] [--out DIR]
//     [--train N] [--test N] [--epochs N] [--causal-epochs N] [--threads N] [--table6]
//   full: 3 seeds, 1000 train / 500 test, 8 + 3 epochs; --quick: 2 seeds, 300 / 200, 3 + 2 epochs.
//   --threads 1 is fastest on a shared 2-core machine (quick: about 3.5 minutes there).
//   --help lists the options; a bad command line prints one line and exits with code 2.
// Protocol (choices; the slides evaluate on COCO-Stuff / DeepFashion):
//   - data: SyntheticBenchmark { MultiLabel = true }, 24 object labels, 4 biased pairs (b, c) with
//     P(c | b) = 0.9 in train; scored on test_ood, where P(c | b) = 0.5 so exclusive and co-occur
//     images of b are equally frequent. Exclusive / co-occur = ContextualBias AP of b on (b without
//     c) / (b with c) images against the images without b; All = mAP over the 24 labels.
//   - backbone: SmallConvNet (3 strided conv blocks, 4x4x128 features) trained from scratch.
//   - Decouple = stage 1 of the two-stage model (decoder + group-wise classifier); the Causal rows
//     copy those stage-1 weights, build the K-means dictionary from the frozen backbone's spatial
//     features (stage 2) and train the intervention head (stage 3, backbone frozen). The "+Decouple"
//     row here is stage 1 only, so Causal gets CausalEpochs more head epochs: not compute-matched.
//     --headroom runs the equal-budget experiment instead (HeadroomExperiment.cs).
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CausalVision.CausalLabels;
using CausalVision.CausalLabels.Confounders;
using CausalVision.Clustering.KMeans;
using CausalVision.Runtime;
using CausalVision.Samples.CausalLabels;
using CausalVision.Synthetic;
using TorchSharp;
using MetricPair = CausalVision.Metrics.BiasedPair;

var headroom = new Option<bool>("--headroom") { Description = "Run the equal-budget headroom experiment (HeadroomExperiment.cs) instead of Tables 3, 4 and 6." };
var quick = new Option<bool>("--quick") { Description = "Tables: 2 seeds, 300 / 200 images, 3 + 2 epochs." };
var table6 = new Option<bool>("--table6") { Description = "Tables: also Table 6 (random and label confounder dictionaries)." };
var seeds = Count("--seeds", 1, "Seeds: 0 .. N-1 (--headroom: from --first-seed); default 3, 2 with --quick or --headroom.");
var trainSize = Count("--train", 1, "Training images (default 1000; 300 with --quick; 2400 with --headroom).");
var testSize = Count("--test", 1, "Test images (default 500; 200 with --quick; 2000 with --headroom).");
var epochs = Count("--epochs", 0, "Stage-1 epochs (default 8; 3 with --quick; 6 with --headroom).");
var causalEpochs = Count("--causal-epochs", 0, "Causal-head (stage-3) epochs (default 3; 2 with --quick; 3 with --headroom).");
var threads = Count("--threads", 0, "TorchSharp intra-op threads (default: libtorch's; 1 is fastest on a shared 2-core machine).");
var outDir = new Option<string?>("--out") { HelpName = "DIR", Description = "Output folder (default artifacts/causal-labels; artifacts/causal-labels-headroom with --headroom)." };
var firstSeed = Count("--first-seed", 0, "--headroom: the first seed; the seeds are FIRST .. FIRST + N - 1 (default 0).");
var bias = new Option<MultiLabelBias>("--bias")
{
    HelpName = "direct|common-cause",
    Description = "--headroom: the benchmark's bias.",
    DefaultValueFactory = _ => MultiLabelBias.Direct,
    CustomParser = r => r.Tokens[0].Value switch
    {
        "direct" => MultiLabelBias.Direct,
        "common-cause" => MultiLabelBias.CommonCause,
        var other => Error(r, $"--bias must be direct or common-cause, got '{other}'.", MultiLabelBias.Direct),
    },
};
var forms = new Option<InterventionForm[]>("--forms")
{
    HelpName = "FORM,...",
    Description = "--headroom: intervention forms, comma-separated (grounded, groundednormalized, literal, layernorm).",
    Arity = ArgumentArity.ExactlyOne,
    DefaultValueFactory = _ => [InterventionForm.Grounded, InterventionForm.Literal, InterventionForm.LayerNorm],
    CustomParser = ParseForms,
};
var noControls = new Option<bool>("--no-controls") { Description = "--headroom: leave out the dictionary controls." };
var sweep = new Option<bool>("--sweep") { Description = "--headroom: add the grounded K sweep (K = 20, 40, 60, 100)." };
var oracle = new Option<bool>("--oracle") { Description = "--headroom: add Decouple trained on unbiased data (the headroom)." };

var root = new RootCommand("Paper B's ablations on the built-in benchmark's multi-label variant: Tables 3 and 4 (and 6 with --table6), or the headroom experiment (--headroom).")
{
    headroom, quick, table6, seeds, trainSize, testSize, epochs, causalEpochs, threads, outDir, firstSeed, bias, forms, noControls, sweep, oracle,
};
Option[] headroomOnly = [firstSeed, bias, forms, noControls, sweep, oracle];
Option[] tablesOnly = [quick, table6];
root.Validators.Add(r =>
{
    var isHeadroom = r.GetValue(headroom);
    foreach (var option in isHeadroom ? tablesOnly : headroomOnly)
    {
        if (r.GetResult(option) is { Implicit: false })
        {
            r.AddError(isHeadroom ? $"{option.Name} does not apply with --headroom." : $"{option.Name} applies with --headroom only.");
        }
    }
});

root.SetAction(parse =>
{
    try
    {
        TorchRuntime.EnsureAvailable();
    }
    catch (InvalidOperationException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 3;
    }

    if (parse.GetValue(threads) is > 0 and var n)
    {
        torch.set_num_threads(n);
    }

    if (parse.GetValue(headroom))
    {
        var data = new MultiLabelBenchmarkOptions
        {
            TrainSize = parse.GetValue(trainSize) ?? 2400,
            TestSize = parse.GetValue(testSize) ?? 2000,
            CacheImages = true,
            Bias = parse.GetValue(bias),
        };
        var trainer = new CausalLabelTrainerOptions
        {
            Stage1Epochs = parse.GetValue(epochs) ?? 6,
            CausalEpochs = parse.GetValue(causalEpochs) ?? 3,
            BatchSize = 32,
            LearningRate = 1e-3,
        };
        var set = new CausalLabelControlSet { Forms = [.. parse.GetRequiredValue(forms)] };
        if (parse.GetValue(noControls))
        {
            set.Controls = [];
        }

        if (parse.GetValue(sweep))
        {
            set.SweepK = [20, 40, 60, 100];
        }

        return HeadroomExperiment.Run(parse.GetValue(seeds) ?? 2, parse.GetValue(firstSeed) ?? 0, data, trainer, set, parse.GetValue(oracle), parse.GetValue(outDir) ?? Path.Combine("artifacts", "causal-labels-headroom"));
    }

    var isQuick = parse.GetValue(quick);
    return Tables(
        isQuick,
        parse.GetValue(seeds) ?? (isQuick ? 2 : 3),
        parse.GetValue(outDir) ?? Path.Combine("artifacts", "causal-labels"),
        parse.GetValue(trainSize) ?? (isQuick ? 300 : 1000),
        parse.GetValue(testSize) ?? (isQuick ? 200 : 500),
        parse.GetValue(epochs) ?? (isQuick ? 3 : 8),
        parse.GetValue(causalEpochs) ?? (isQuick ? 2 : 3),
        parse.GetValue(table6));
});

// The sample takes no arguments after "--": a leading one (`./build.sh run samples/CausalLabels -- --threads 1`
// passes it through dotnet run) is dropped, so the options after it still count as options.
var parsed = root.Parse(args is ["--", .. var rest] ? rest : args);
if (parsed.Errors.Count > 0)
{
    // One line: the most specific error (an unknown token says more than the errors it causes).
    var error = parsed.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
    Console.Error.WriteLine($"causal-labels: {error.Message} Try --help.");
    return 2;
}

return parsed.Invoke();

// Tables 3, 4 (and 6): one benchmark and one stage-1 model per seed, the causal rows from its weights.
static int Tables(bool quick, int seeds, string outDir, int trainSize, int testSize, int stage1Epochs, int causalEpochs, bool table6)
{
    int[] ks = [20, 40, 80];
    Console.WriteLine($"CausalLabels sample — {TorchRuntime.Describe()}");
    Console.WriteLine($"train {trainSize}, test_ood {testSize}, stage-1 epochs {stage1Epochs}, causal epochs {causalEpochs}, K {string.Join("/", ks)}, seeds {seeds}{(quick ? " (quick)" : string.Empty)}");
    var clock = Stopwatch.StartNew();
    var rows = new Dictionary<string, List<CausalLabelEvaluation>>();

    void Add(string row, CausalLabelEvaluation e)
    {
        if (!rows.TryGetValue(row, out var list))
        {
            rows[row] = list = [];
        }

        list.Add(e);
        Console.WriteLine($"  [{clock.Elapsed:mm\\:ss}] {row,-22} exclusive {e.Exclusive * 100,5:F1}  co-occur {e.CoOccur * 100,5:F1}  all {e.Map * 100,5:F1}  CF1 {e.Threshold.CF1 * 100,5:F1}  OF1 {e.Threshold.OF1 * 100,5:F1}");
    }

    for (var seed = 0; seed < seeds; seed++)
    {
        Console.WriteLine($"seed {seed}");
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            Name = "synthetic-multilabel",
            MultiLabel = true,
            ImageSize = 32,
            TrainSize = trainSize,
            TestIidSize = 1,
            TestOodSize = testSize,
            Seed = seed,
        });
        var pairs = bench.BiasedPairs.Select(p => new MetricPair(p.Biased, p.Context, double.NaN, bench.Options.SpuriousCorrelation)).ToArray();
        var labels = bench.Info.Classes;
        var trainerOptions = new CausalLabelTrainerOptions
        {
            Stage1Epochs = stage1Epochs,
            CausalEpochs = causalEpochs,
            BatchSize = 32,
            LearningRate = 1e-3,
            Seed = seed,

            // Stage 1 only: the causal rows copy these weights (the --headroom mode is the equal-budget comparison).
            MatchDecoupleBudget = false,
        };

        // Table 3, row 1: pooled feature + linear classifier.
        using (var baseline = Build(CausalLabelVariant.Baseline, labels, 80, seed))
        {
            new CausalLabelTrainer(baseline, trainerOptions).Train(bench.Train);
            Add("Baseline", CausalLabelTrainer.Evaluate(baseline, bench.TestOod, 64, pairs));
        }

        // Table 3, row 2: Decouple (= stage 1 of the causal model).
        using var decouple = Build(CausalLabelVariant.Decouple, labels, 80, seed);
        new CausalLabelTrainer(decouple, trainerOptions).Train(bench.Train);
        Add("+Decouple", CausalLabelTrainer.Evaluate(decouple, bench.TestOod, 64, pairs));

        // Table 3, row 3 (K = 80) and Table 4 (K sweep): stages 2-3 from the same stage-1 weights.
        foreach (var k in ks)
        {
            using var causal = Build(CausalLabelVariant.Causal, labels, k, seed);
            causal.CopyStageOneFrom(decouple);
            var builder = new KMeansConfounderDictionaryBuilder(new KMeansOptions { Clusters = k, Seed = seed, MaxIterations = 100 });
            var causalOptions = trainerOptions.Clone();
            causalOptions.Stage1Epochs = 0;
            var trainer = new CausalLabelTrainer(causal, causalOptions, builder);
            trainer.Train(bench.Train);
            trainer.TakeDictionary()?.Dispose();
            Add($"+Decouple+Causal K={k}", CausalLabelTrainer.Evaluate(causal, bench.TestOod, 64, pairs));
        }

        // Table 6 (--table6): other confounder dictionaries with the same stage-1 weights and stage-3
        // budget. "Random" is also the compute-matched control for the extra stage-3 epochs.
        if (table6)
        {
            foreach (var (name, k, builder) in new (string, int, IConfounderDictionaryBuilder)[]
            {
                ("Random K=80", 80, new RandomConfounderDictionaryBuilder(80, seed)),
                ($"Label K={labels.Count}", labels.Count, new ClassMeanConfounderDictionaryBuilder()),
            })
            {
                using var causal = Build(CausalLabelVariant.Causal, labels, k, seed);
                causal.CopyStageOneFrom(decouple);
                var causalOptions = trainerOptions.Clone();
                causalOptions.Stage1Epochs = 0;
                var trainer = new CausalLabelTrainer(causal, causalOptions, builder);
                trainer.Train(bench.Train);
                trainer.TakeDictionary()?.Dispose();
                Add($"Table6 {name}", CausalLabelTrainer.Evaluate(causal, bench.TestOod, 64, pairs));
            }
        }
    }

    var md = new StringBuilder();
    md.AppendLine(CultureInfo.InvariantCulture, $"## CausalLabels sample ({(quick ? "quick" : "full")}): synthetic multi-label benchmark, test_ood, {seeds} seed(s), mean ± std, AP in %");
    md.AppendLine();
    md.AppendLine(CultureInfo.InvariantCulture, $"train {trainSize} images 32x32, test_ood {testSize}, 24 labels, 4 biased pairs (P(c|b) = 0.9 in train, 0.5 in test_ood); SmallConvNet from scratch; stage-1 epochs {stage1Epochs}, causal epochs {causalEpochs}; wall time {clock.Elapsed:mm\\:ss}.");
    md.AppendLine();
    md.AppendLine("### Table 3: modules");
    md.AppendLine();
    Table(md, [("Baseline", "Baseline"), ("+Decouple", "+Decouple"), ("+Decouple +Causal (K=80)", "+Decouple+Causal K=80")]);
    md.AppendLine();
    md.AppendLine("### Table 4: number of confounders K");
    md.AppendLine();
    Table(md, ks.Select(k => (k.ToString(CultureInfo.InvariantCulture), $"+Decouple+Causal K={k}")).ToArray());
    if (table6)
    {
        md.AppendLine();
        md.AppendLine("### Table 6: confounder modelling (same stage-1 weights, same stage-3 epochs)");
        md.AppendLine();
        Table(md, [("Random (K=80)", "Table6 Random K=80"), ("Label (K=L=24)", "Table6 Label K=24"), ("K-means (K=80)", "+Decouple+Causal K=80")]);
    }
    Console.WriteLine();
    Console.WriteLine(md.ToString());
    Directory.CreateDirectory(outDir);
    var file = Path.Combine(outDir, quick ? "tables-quick.md" : "tables.md");
    File.WriteAllText(file, md.ToString());
    Console.WriteLine($"written {file}");
    return 0;

    void Table(StringBuilder sb, (string Label, string Key)[] entries)
    {
        sb.AppendLine("| Method | Exclusive | Co-occur | All (mAP) | CF1 | OF1 |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var (label, key) in entries)
        {
            if (!rows.TryGetValue(key, out var list))
            {
                continue;
            }

            sb.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {Stat(list.Select(e => e.Exclusive))} | {Stat(list.Select(e => e.CoOccur))} | {Stat(list.Select(e => e.Map))} | {Stat(list.Select(e => e.Threshold.CF1))} | {Stat(list.Select(e => e.Threshold.OF1))} |");
        }
    }
}

static string Stat(IEnumerable<double> values)
{
    var v = values.Select(x => x * 100).ToArray();
    var mean = v.Average();
    var std = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
    return string.Create(CultureInfo.InvariantCulture, $"{mean:F1} ± {std:F1}");
}

static CausalLabelModel Build(CausalLabelVariant variant, IReadOnlyList<string> labels, int k, int seed)
{
    torch.manual_seed(seed);
    return new CausalLabelModelBuilder()
        .WithBackbone(new SmallConvNet())
        .WithLabels(labels)
        .WithModelDim(64)
        .WithHeads(4)
        .WithDecoderLayers(2)
        .WithConfounders(k)
        .Configure(o => o.FeedForwardDim = 128)
        .WithVariant(variant)
        .WithSeed(seed)
        .Build();
}

static Option<int?> Count(string name, int min, string description) => new(name)
{
    HelpName = "N",
    Description = description,
    CustomParser = r =>
    {
        var text = r.Tokens[0].Value;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min)
        {
            return n;
        }

        r.AddError($"{name} must be an integer >= {min}, got '{text}'.");
        return null;
    },
};

static InterventionForm[] ParseForms(ArgumentResult result)
{
    var forms = new List<InterventionForm>();
    foreach (var name in result.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        if (!Enum.TryParse<InterventionForm>(name, ignoreCase: true, out var form) || !Enum.IsDefined(form))
        {
            result.AddError($"--forms: unknown intervention form '{name}'; known: {string.Join(", ", Enum.GetNames<InterventionForm>().Select(f => f.ToLowerInvariant()))}.");
            return [];
        }

        forms.Add(form);
    }

    if (forms.Count == 0)
    {
        result.AddError("--forms needs at least one intervention form.");
    }

    return [.. forms];
}

static T Error<T>(ArgumentResult result, string message, T fallback)
{
    result.AddError(message);
    return fallback;
}
