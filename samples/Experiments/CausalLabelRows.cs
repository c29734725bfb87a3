// The "causal-labels" experiment: the causal label head's equal-budget control rows
// (CausalLabelControls: Decouple + E epochs, the intervention forms, dictionary controls, a K sweep, the
// test-time dictionary swap) and the unbiased-data oracle, on frozen backbone feature maps of the
// multi-label headroom benchmark, through the runner (paired 95 % CIs against equal-budget Decouple).
// Primary metric, fixed in advance: exclusive AP of the fused logits.
using System.Globalization;
using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.CausalLabels.Confounders;
using CausalVision.Evaluation;
using CausalVision.Synthetic;
using TorchSharp;

namespace CausalVision.Samples;

/// <summary>Causal-label settings of the experiment (from the command line).</summary>
internal sealed record LabelSettings(MultiLabelBias Bias, int K, int Stage1Epochs, int CausalEpochs, int ModelDim, IReadOnlyList<InterventionForm> Forms, IReadOnlyList<int> SweepK, IReadOnlyList<DictionaryControl> Controls);

/// <summary>Builds the causal-label experiment definition.</summary>
internal static class CausalLabelRows
{
    public static readonly string[] Names = ["causal-labels"];

    public static ExperimentDefinition Create(ExperimentSettings s, VscSettings v, LabelSettings l)
    {
        // (row name, the CausalLabelControls row it reads); the order and names mirror CausalLabelControls.Run.
        var map = new List<(string Row, string Source, string Description)>
        {
            ("decouple-stage1", "Decouple (stage 1)", "the shared stage-1 checkpoint"),
            ("decouple", $"Decouple +{l.CausalEpochs} epochs", "equal-budget Decouple (no intervention)"),
        };
        foreach (var form in l.Forms)
        {
            var name = form.ToString().ToLowerInvariant();
            var source = $"Causal {form} K={l.K}";
            map.Add((name, source, $"{form} intervention, K-means dictionary, K = {l.K}"));
            if (form is InterventionForm.Grounded or InterventionForm.GroundedNormalized)
            {
                map.Add(($"{name}-swap-random", $"{source}, test-time swap to random, matched mean/cov", "the trained model, dictionary swapped for a random one with matched mean and covariance at test time"));
                map.Add(($"{name}-swap-mean", $"{source}, test-time swap to K = 1 at E_P[c]", "the trained model, dictionary swapped for its prior mean at test time"));
            }
        }

        foreach (var control in l.Controls)
        {
            map.Add(control switch
            {
                DictionaryControl.Zero => ("control-c0", $"Causal Grounded K={l.K} control: c = 0", "grounded, trained with c = 0"),
                DictionaryControl.PriorMean => ("control-mean", $"Causal Grounded K={l.K} control: K = 1 at E_P[c]", "grounded, trained with one centre at E_P[c]"),
                DictionaryControl.MatchedRandom => ("control-random", $"Causal Grounded K={l.K} control: random, matched mean/cov", "grounded, trained with a random dictionary (matched mean/cov)"),
                DictionaryControl.ShuffledPrior => ("control-shuffled-prior", $"Causal Grounded K={l.K} control: shuffled prior", "grounded, K-means with a shuffled prior"),
                _ => throw new ArgumentException($"control {control} is not a control row."),
            });
        }

        foreach (var k in l.SweepK.Where(k => k != l.K))
        {
            map.Add(($"grounded-k{k}", $"Causal Grounded K={k}", $"grounded, K = {k}"));
        }

        var rows = map.Select(m => new ExperimentRow(m.Row, c => FromControls(c, s, v, l, m.Source), description: m.Description)).ToList();
        rows.Add(new ExperimentRow("oracle", c => Oracle(c, s, v, l), description: "Decouple trained on unbiased data (same test split): the headroom"));
        return new ExperimentDefinition
        {
            Name = "causal-labels",
            Baseline = "decouple",
            Rows = rows,
            Recipe = $"MultiLabelBenchmark ({l.Bias}; 64 px, radii 8-11 px, 24 labels, 8 biased pairs), {s.TrainSize} train / {s.TestSize} test images, benchmark seed = run seed; "
                + $"frozen '{s.Backbone}' backbone on the images resized to {v.InputSize} px, its last feature map cached once per seed (no augmentation); label-query decoder d = {l.ModelDim}, 4 heads, 2 layers; "
                + $"one Decouple stage-1 checkpoint ({l.Stage1Epochs} epochs) per seed, then {l.CausalEpochs} stage-3 epochs for every row (same steps, learning rate 1e-3, batch 32, trainable parameters; CausalLabelControls), K = {l.K}; "
                + "no model selection (fixed epochs). Primary metric fixed in advance: exclusive AP of the fused logits (exclusive_ap); *_causal = the causal branch alone.",
        };
    }

    private static Dictionary<string, double> FromControls(ExperimentRunContext c, ExperimentSettings s, VscSettings v, LabelSettings l, string source)
    {
        var all = c.Shared("controls", () =>
        {
            var (bench, train, test) = Data(c, s, v, l);
            var options = Trainer(l, c.Seed);
            var set = new CausalLabelControlSet
            {
                K = l.K,
                Forms = [.. l.Forms],
                Controls = [.. l.Controls],
                SweepK = [.. l.SweepK],
            };
            return new ControlRows(CausalLabelControls.Run((variant, form, k) => Build(train.Dim, bench.Info.Classes, l, variant, form, k, c.Seed), train.AsDataset(), test.AsDataset(), bench.Pairs, options, set, r => c.Log($"{r.Name}: exclusive AP {r.Fused.Exclusive:0.000} ({r.Seconds:0.0} s)")));
        });
        var row = all.Rows.FirstOrDefault(r => r.Name == source) ?? throw new InvalidOperationException($"CausalLabelControls produced no row '{source}' (rows: {string.Join("; ", all.Rows.Select(r => r.Name))}).");
        return Scores(row.Fused, row.CausalOnly, row.Seconds);
    }

    private static Dictionary<string, double> Oracle(ExperimentRunContext c, ExperimentSettings s, VscSettings v, LabelSettings l)
    {
        var (bench, _, test) = Data(c, s, v, l);
        var o = Options(s, l, c.Seed);
        o.UnbiasedTraining = true;
        var unbiased = MultiLabelBenchmark.Generate(o);
        var backbone = Backbone(c, s, v);
        var train = SyntheticFeatures.MapsFromDataset(backbone, unbiased.Train, Describe(unbiased.Train), v.InputSize);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var options = Trainer(l, c.Seed);
        options.MatchDecoupleBudget = false;
        using var model = Build(train.Dim, bench.Info.Classes, l, CausalLabelVariant.Decouple, InterventionForm.Grounded, l.K, c.Seed);
        new CausalLabelTrainer(model, options).Train(train.AsDataset());
        var e = CausalLabelTrainer.Evaluate(model, test.AsDataset(), options.BatchSize, bench.Pairs, CausalLabelScores.Fused);
        return Scores(e, null, clock.Elapsed.TotalSeconds);
    }

    private static Dictionary<string, double> Scores(CausalLabelEvaluation fused, CausalLabelEvaluation? causal, double seconds)
    {
        var m = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["exclusive_ap"] = fused.Exclusive,
            ["cooccur_ap"] = fused.CoOccur,
            ["map"] = fused.Map,
            ["row_seconds"] = seconds,
        };
        if (causal is not null)
        {
            m["exclusive_ap_causal"] = causal.Exclusive;
            m["cooccur_ap_causal"] = causal.CoOccur;
        }

        return m;
    }

    private static (MultiLabelBenchmark Bench, FeatureMapSet Train, FeatureMapSet Test) Data(ExperimentRunContext c, ExperimentSettings s, VscSettings v, LabelSettings l)
    {
        var bench = c.Shared("bench", () => MultiLabelBenchmark.Generate(Options(s, l, c.Seed)));
        var train = c.Shared("maps/train", () => Maps(c, s, v, bench.Train));
        var test = c.Shared("maps/test", () => Maps(c, s, v, bench.Test));
        return (bench, train, test);
    }

    private static FeatureMapSet Maps(ExperimentRunContext c, ExperimentSettings s, VscSettings v, MultiLabelBenchmarkSplit split)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var maps = SyntheticFeatures.MapsFromDataset(Backbone(c, s, v), split, Describe(split), v.InputSize);
        c.Log($"maps {split.Name}: {split.Count} images, [{maps.Dim}, {maps.Height}, {maps.Width}] in {clock.Elapsed.TotalSeconds:0.0} s");
        return maps;
    }

    private static Backbone Backbone(ExperimentRunContext c, ExperimentSettings s, VscSettings v) =>
        c.Shared("backbone", () => BackboneRegistry.Create(s.Backbone, new BackboneOptions { ImageSize = v.InputSize, Seed = c.Seed, PretrainedPath = s.Pretrained }));

    private static SyntheticSampleInfo[] Describe(MultiLabelBenchmarkSplit split) => [.. Enumerable.Range(0, split.Count).Select(split.Describe)];

    private static MultiLabelBenchmarkOptions Options(ExperimentSettings s, LabelSettings l, int seed) => new()
    {
        Bias = l.Bias,
        TrainSize = s.TrainSize,
        ValidationSize = s.ValidationSize,
        TestSize = s.TestSize,
        Seed = seed,
    };

    private static CausalLabelTrainerOptions Trainer(LabelSettings l, int seed) => new()
    {
        Stage1Epochs = l.Stage1Epochs,
        CausalEpochs = l.CausalEpochs,
        BatchSize = 32,
        LearningRate = 1e-3,
        Seed = seed,
    };

    private static CausalLabelModel Build(int dim, IReadOnlyList<string> labels, LabelSettings l, CausalLabelVariant variant, InterventionForm form, int k, int seed)
    {
        torch.manual_seed(seed);
        return new CausalLabelModelBuilder()
            .WithBackbone(new PrecomputedBackbone(dim))
            .WithLabels(labels)
            .WithModelDim(l.ModelDim)
            .WithHeads(4)
            .WithDecoderLayers(2)
            .WithConfounders(k)
            .Configure(o =>
            {
                o.FeedForwardDim = 2 * l.ModelDim;
                o.InterventionForm = form;
            })
            .WithVariant(variant)
            .WithSeed(seed)
            .Build();
    }

    public static MultiLabelBias ParseBias(string value) => value switch
    {
        "direct" => MultiLabelBias.Direct,
        "common-cause" => MultiLabelBias.CommonCause,
        _ => throw new ArgumentException($"--bias must be direct or common-cause, not '{value}'."),
    };

    public static string Str(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>One seed's control rows (shared by the experiment's rows of that seed).</summary>
internal sealed record ControlRows(IReadOnlyList<CausalLabelControlRow> Rows);
