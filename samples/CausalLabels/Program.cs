// samples/CausalLabels: paper B's ablations on the built-in benchmark's multi-label variant.
//   Table 3: Baseline vs +Decouple vs +Decouple+Causal on exclusive / co-occur / all (mAP).
//   Table 4: K in {20, 40, 80}.
// Each over several seeds (mean +- std), CPU-sized. Usage:
//   eng/torch-env.sh dotnet run --project samples/CausalLabels -c Release -- [--quick] [--seeds N] [--out DIR]
//     [--train N] [--test N] [--epochs N] [--causal-epochs N] [--threads N] [--table6]
//   full: 3 seeds, 1000 train / 500 test, 8 + 3 epochs; --quick: 2 seeds, 300 / 200, 3 + 2 epochs.
//   --threads 1 is fastest on a shared 2-core machine (quick: about 3.5 minutes there).
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
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CausalVision.CausalLabels;
using CausalVision.Clustering.Confounders;
using CausalVision.Clustering.KMeans;
using CausalVision.Runtime;
using CausalVision.Samples.CausalLabels;
using CausalVision.Synthetic;
using TorchSharp;
using MetricPair = CausalVision.Metrics.BiasedPair;

try
{
    TorchRuntime.EnsureAvailable();
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 3;
}

if (args.Contains("--headroom"))
{
    return HeadroomExperiment.Run(args);
}

var quick = args.Contains("--quick");
var seeds = IntArg("--seeds", quick ? 2 : 3);
var outDir = StringArg("--out", Path.Combine("artifacts", "causal-labels"));
var trainSize = IntArg("--train", quick ? 300 : 1000);
var testSize = IntArg("--test", quick ? 200 : 500);
var stage1Epochs = IntArg("--epochs", quick ? 3 : 8);
var causalEpochs = IntArg("--causal-epochs", quick ? 2 : 3);
int[] ks = [20, 40, 80];
var table6 = args.Contains("--table6");
var threads = IntArg("--threads", 0);
if (threads > 0)
{
    torch.set_num_threads(threads);
}

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
    var pairs = bench.BiasedPairs.Select(p => new MetricPair(p.B, p.C, double.NaN, bench.Options.SpuriousCorrelation)).ToArray();
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

int IntArg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
}

string StringArg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
