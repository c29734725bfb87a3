// The headroom experiment of the causal label head (run with --headroom):
//   data: MultiLabelBenchmark (64 px, radii 8-11 px, 8 biased pairs; --bias direct | common-cause),
//   model: SmallConvNet from scratch + label-query decoder, one stage-1 checkpoint per seed, then the
//   equal-budget rows of CausalLabelControls (Decouple + E epochs, grounded / literal / LayerNorm,
//   dictionary controls, optional K sweep, test-time dictionary swap), scored on the test split;
//   --oracle adds Decouple trained on unbiased data (the same test split) to show the headroom.
// Primary metric, fixed in advance: exclusive AP (fused logits). Nothing is selected on the test split.
//   eng/torch-env.sh dotnet run --project samples/CausalLabels -c Release -- --headroom [--seeds N]
//     [--first-seed N] [--train N] [--test N] [--epochs N] [--causal-epochs N] [--bias direct|common-cause] [--sweep]
//     [--oracle] [--forms grounded,literal,layernorm] [--no-controls] [--threads N] [--out DIR]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CausalVision.CausalLabels;
using CausalVision.CausalLabels.Confounders;
using CausalVision.Synthetic;
using TorchSharp;

namespace CausalVision.Samples.CausalLabels;

/// <summary>The --headroom mode of the sample; <see cref="RunSeed"/> is the per-seed entry point for experiment runners.</summary>
public static class HeadroomExperiment
{
    /// <summary>Builds the sample's model: SmallConvNet, d = 64, 4 heads, 2 decoder layers.</summary>
    public static CausalLabelModel Build(CausalLabelVariant variant, InterventionForm form, int k, IReadOnlyList<string> labels, int seed)
    {
        torch.manual_seed(seed);
        return new CausalLabelModelBuilder()
            .WithBackbone(new SmallConvNet())
            .WithLabels(labels)
            .WithModelDim(64)
            .WithHeads(4)
            .WithDecoderLayers(2)
            .WithConfounders(k)
            .Configure(o =>
            {
                o.FeedForwardDim = 128;
                o.InterventionForm = form;
            })
            .WithVariant(variant)
            .WithSeed(seed)
            .Build();
    }

    /// <summary>One seed: the control rows (and the oracle when asked) on a freshly generated benchmark.</summary>
    public static IReadOnlyList<CausalLabelControlRow> RunSeed(int seed, MultiLabelBenchmarkOptions data, CausalLabelTrainerOptions trainer, CausalLabelControlSet set, bool oracle, Action<CausalLabelControlRow>? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainer);
        var d = data.Clone();
        d.Seed = seed;
        var bench = MultiLabelBenchmark.Generate(d);
        var o = trainer.Clone();
        o.Seed = seed;
        var labels = bench.Info.Classes;
        var rows = CausalLabelControls.Run((v, f, k) => Build(v, f, k, labels, seed), bench.Train, bench.Test, bench.Pairs, o, set, log).ToList();
        if (oracle)
        {
            var u = d.Clone();
            u.UnbiasedTraining = true;
            var unbiased = MultiLabelBenchmark.Generate(u);
            var clock = Stopwatch.StartNew();
            using var model = Build(CausalLabelVariant.Decouple, InterventionForm.Grounded, set.K, labels, seed);
            new CausalLabelTrainer(model, o).Train(unbiased.Train);
            var e = CausalLabelTrainer.Evaluate(model, unbiased.Test, o.BatchSize, bench.Pairs, CausalLabelScores.Fused);
            var row = new CausalLabelControlRow("Oracle: Decouple on unbiased training data", e, null, Math.Round(clock.Elapsed.TotalSeconds, 1));
            rows.Add(row);
            log?.Invoke(row);
        }

        return rows;
    }

    /// <summary>Runs seeds <paramref name="firstSeed"/> .. <paramref name="firstSeed"/> + <paramref name="seeds"/> - 1 and writes the report.</summary>
    /// <param name="seeds">The number of seeds.</param>
    /// <param name="firstSeed">The first seed.</param>
    /// <param name="data">The benchmark (its seed is set per run).</param>
    /// <param name="trainer">The trainer options (their seed is set per run).</param>
    /// <param name="set">The rows.</param>
    /// <param name="oracle">Whether to add Decouple trained on unbiased data.</param>
    /// <param name="outDir">The folder of the .md and .csv reports.</param>
    /// <returns>The exit code.</returns>
    public static int Run(int seeds, int firstSeed, MultiLabelBenchmarkOptions data, CausalLabelTrainerOptions trainer, CausalLabelControlSet set, bool oracle, string outDir)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(set);
        Console.WriteLine($"CausalLabels headroom experiment - {CausalVision.Runtime.TorchRuntime.Describe()}");
        Console.WriteLine($"bias {data.Bias}, train {data.TrainSize}, test {data.TestSize}, 64 px, stage-1 epochs {trainer.Stage1Epochs}, stage-3 epochs {trainer.CausalEpochs} (every row), seeds {seeds}");
        var clock = Stopwatch.StartNew();
        var all = new List<(int Seed, CausalLabelControlRow Row)>();
        for (var seed = firstSeed; seed < firstSeed + seeds; seed++)
        {
            Console.WriteLine($"seed {seed}");
            var s = seed;
            RunSeed(seed, data, trainer, set, oracle, row =>
            {
                all.Add((s, row));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{clock.Elapsed:hh\\:mm\\:ss}] {row.Name,-62} excl {row.Fused.Exclusive * 100,5:F1} (causal-only {(row.CausalOnly?.Exclusive ?? double.NaN) * 100,5:F1})  co-occ {row.Fused.CoOccur * 100,5:F1}  mAP {row.Fused.Map * 100,5:F1}  {row.Seconds,6:F0} s"));
            });
        }

        var md = Report(all, data, trainer, seeds, clock.Elapsed);
        Console.WriteLine();
        Console.WriteLine(md);
        Directory.CreateDirectory(outDir);
        var file = Path.Combine(outDir, $"headroom-{data.Bias.ToString().ToLowerInvariant()}-seeds{firstSeed}-{firstSeed + seeds - 1}.md");
        File.WriteAllText(file, md);
        var csv = new StringBuilder("seed,row,exclusive,cooccur,map,exclusive_causal_only,cooccur_causal_only,map_causal_only,seconds\n");
        foreach (var (seed, r) in all)
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{seed},\"{r.Name}\",{r.Fused.Exclusive:R},{r.Fused.CoOccur:R},{r.Fused.Map:R},{r.CausalOnly?.Exclusive ?? double.NaN:R},{r.CausalOnly?.CoOccur ?? double.NaN:R},{r.CausalOnly?.Map ?? double.NaN:R},{r.Seconds:R}"));
        }

        File.WriteAllText(Path.ChangeExtension(file, ".csv"), csv.ToString());
        Console.WriteLine($"written {file} and {Path.ChangeExtension(file, ".csv")}");
        return 0;
    }

    private static string Report(List<(int Seed, CausalLabelControlRow Row)> all, MultiLabelBenchmarkOptions data, CausalLabelTrainerOptions trainer, int seeds, TimeSpan wall)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## Causal label head on the headroom benchmark ({data.Bias}), {seeds} seed(s), AP in % (mean, min-max over seeds)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"train {data.TrainSize}, test {data.TestSize} images 64x64, 24 labels, {data.PairCount} biased pairs; SmallConvNet from scratch; one stage-1 checkpoint ({trainer.Stage1Epochs} epochs) per seed, {trainer.CausalEpochs} stage-3 epochs for every row; wall time {wall:hh\\:mm\\:ss}.");
        md.AppendLine();
        md.AppendLine("| Row | Exclusive | Exclusive, causal only | Co-occur | mAP | Exclusive minus Decouple+E (per seed) |");
        md.AppendLine("|---|---|---|---|---|---|");
        var reference = all.Where(x => x.Row.Name.StartsWith("Decouple +", StringComparison.Ordinal)).ToDictionary(x => x.Seed, x => x.Row.Fused.Exclusive);
        foreach (var name in all.Select(x => x.Row.Name).Distinct())
        {
            var rows = all.Where(x => x.Row.Name == name).ToList();
            var diffs = rows.Where(x => reference.ContainsKey(x.Seed)).Select(x => (x.Row.Fused.Exclusive - reference[x.Seed]) * 100).ToArray();
            md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Stat(rows.Select(x => x.Row.Fused.Exclusive))} | {Stat(rows.Select(x => x.Row.CausalOnly?.Exclusive ?? double.NaN))} | {Stat(rows.Select(x => x.Row.Fused.CoOccur))} | {Stat(rows.Select(x => x.Row.Fused.Map))} | {string.Join(", ", diffs.Select(v => v.ToString("+0.0;-0.0", CultureInfo.InvariantCulture)))} |");
        }

        return md.ToString();
    }

    private static string Stat(IEnumerable<double> values)
    {
        var v = values.Select(x => x * 100).ToArray();
        if (v.Any(double.IsNaN))
        {
            return "-";
        }

        return v.Length == 1
            ? v[0].ToString("F1", CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{v.Average():F1} ({v.Min():F1}-{v.Max():F1})");
    }
}
