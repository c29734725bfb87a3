// VSCNet ablation (Table 3 of Meng et al., AAAI 2025) on the built-in synthetic benchmark: every row (Base, +L, +L+G,
// +L+K, +L+K+G, +L+K+G+C, +L+K+G+C+F) is trained with the two-stage VscNetTrainer on the same training split and
// evaluated on the IID and OOD test splits, for several seeds; the table (mean +- std) is printed as markdown and
// written to artifacts/vscnet-ablation.md. CPU-sized: a small 3-block CNN backbone on 32 x 32 images.
//
//   eng/torch-env.sh dotnet run --project samples/VscNetAblation -c Release -- [--seeds 3] [--train 240] [--test 120]
//       [--stage1 2] [--stage2 2] [--regions 4] [--threads 2] [--out artifacts] [--quick]
// (--help lists the options; a bad value prints one line on stderr and exits with code 2.)
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CausalVision.Backbones;
using CausalVision.Samples;
using CausalVision.Vscnet;
using CausalVision.Synthetic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

return VscSampleCommand.Invoke(args, "vscnet-ablation", "VSCNet ablation (Table 3 rows) on the built-in synthetic benchmark; the table is printed and written to OUT/vscnet-ablation.md.", new Arguments(3, 240, 120, 2, 2, 4, 2, "artifacts"), "Images of each test split (IID, OOD) per seed.", "vscnet-ablation.md", Run);

int Run(Arguments arguments)
{
    torch.set_num_threads(arguments.Threads);
    BackboneRegistry.Register("smallcnn", o => new SmallCnn(o.InChannels));

    var rows = new (string Name, VscNetAblation Ablation)[]
    {
        ("Base", VscNetAblation.Base),
        ("+L", VscNetAblation.Locating),
        ("+L+G", VscNetAblation.Locating | VscNetAblation.Graph),
        ("+L+K", VscNetAblation.Locating | VscNetAblation.Knowledge),
        ("+L+K+G", VscNetAblation.Locating | VscNetAblation.Knowledge | VscNetAblation.Graph),
        ("+L+K+G+C", VscNetAblation.Locating | VscNetAblation.Knowledge | VscNetAblation.Graph | VscNetAblation.Causal),
        ("+L+K+G+C+F", VscNetAblation.Full),
    };

    var results = rows.ToDictionary(r => r.Name, _ => new List<IReadOnlyDictionary<string, double>>());
    var clock = Stopwatch.StartNew();
    for (var seed = 0; seed < arguments.Seeds; seed++)
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            ImageSize = 32,
            ClassCount = 6,
            ShapeCount = 4,
            ColorCount = 3,
            TrainSize = arguments.Train,
            TestIidSize = arguments.Test,
            TestOodSize = arguments.Test,
            Seed = seed,
        });
        // Rendered once: the synthetic splits draw every image on each access.
        var train = new CachedDataset(bench.Train);
        var iid = new CachedDataset(bench.TestIid);
        var ood = new CachedDataset(bench.TestOod);
        foreach (var (name, ablation) in rows)
        {
            var metrics = new Dictionary<string, double>();
            try
            {
                using var model = new VscNetBuilder()
                    .WithBackbone("smallcnn")
                    .ForDataset(bench.Info)
                    .WithRegions(arguments.Regions)
                    .WithAblation(ablation)
                    .WithSeed(seed)
                    .Configure(o =>
                    {
                        o.Training.Seed = seed;
                        o.Training.BatchSize = 32;
                        o.Training.LearningRate = 2e-3;
                        o.Training.Stage1Epochs = arguments.Stage1;
                        o.Training.Stage2Epochs = arguments.Stage2;
                        o.Training.LearningRateDecayEvery = 4;
                        o.NodeFeatures = 64;
                        o.GraphEncoder.HiddenFeatures = 64; // the graph encoder without +C
                        o.Cim.HiddenFeatures = 64;          // CIM's encoders with +C
                        o.Fusion.FusedFeatures = 64;
                        o.Graph.TopTags = 6;
                        o.Graph.RegionTopTags = 3;
                        o.CandidateTags = 3;
                        o.Refinement.TopK = 6;
                    })
                    .Build();
                using var trainer = new VscNetTrainer(model);
                var profile = Stopwatch.StartNew();
                trainer.Run(train, null);
                metrics["train seconds"] = profile.Elapsed.TotalSeconds;
                foreach (var (split, data) in new[] { ("iid", iid), ("ood", ood) })
                {
                    foreach (var (key, value) in trainer.Evaluate(data))
                    {
                        metrics[$"{split} {key}"] = value;
                    }
                }

                if (trainer.Hierarchy is { } h)
                {
                    metrics["prototypes"] = h.Count;
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                Console.Error.WriteLine($"seed {seed} {name}: {e.Message}");
            }

            results[name].Add(metrics);
            Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] seed {seed} {name,-12} " + string.Join("  ", metrics.Select(kv => $"{kv.Key} {kv.Value:0.000}")));
        }
    }

    var columns = new[] { "iid acc@1", "iid acc@5", "ood acc@1", "ood acc@5" };
    var table = new StringBuilder();
    table.AppendLine(CultureInfo.InvariantCulture, $"VSCNet ablation on the synthetic benchmark (6 classes, 12 tags, 32 px, train {arguments.Train}, test {arguments.Test} per split, J = {arguments.Regions}, epochs {arguments.Stage1} + {arguments.Stage2}, {arguments.Seeds} seed(s), mean +- std; {clock.Elapsed.TotalMinutes:0.0} min on {arguments.Threads} thread(s))");
    table.AppendLine();
    table.AppendLine("| Model | " + string.Join(" | ", columns) + " | prototypes |");
    table.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", columns.Length + 1)));
    foreach (var (name, _) in rows)
    {
        var cells = columns.Append("prototypes").Select(c =>
        {
            var values = results[name].Where(m => m.ContainsKey(c)).Select(m => m[c]).ToArray();
            if (values.Length == 0)
            {
                return "-";
            }

            var mean = values.Average();
            var std = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
            return c == "prototypes" ? mean.ToString("0", CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{mean:0.000} ± {std:0.000}");
        });
        table.AppendLine($"| {name} | " + string.Join(" | ", cells) + " |");
    }

    Console.WriteLine();
    Console.WriteLine(table.ToString());
    Directory.CreateDirectory(arguments.Out);
    var file = Path.Combine(arguments.Out, "vscnet-ablation.md");
    File.WriteAllText(file, table.ToString());
    Console.WriteLine($"Written to {file}");
    return 0;
}

/// <summary>An in-memory copy of a dataset (images rendered once).</summary>
internal sealed class CachedDataset : CausalVision.Data.IImageDataset
{
    private readonly (string Id, float[] Pixels, long[] Shape, int Label, IReadOnlyList<int> Labels, IReadOnlyList<int> Tags)[] items;

    public CachedDataset(CausalVision.Data.IImageDataset source)
    {
        Info = source.Info;
        items = new (string, float[], long[], int, IReadOnlyList<int>, IReadOnlyList<int>)[source.Count];
        for (var i = 0; i < source.Count; i++)
        {
            using var s = source.Get(i);
            items[i] = (s.Id, s.Image.data<float>().ToArray(), s.Image.shape, s.Label, s.Labels, s.Tags);
        }
    }

    public CausalVision.Data.DatasetInfo Info { get; }

    public int Count => items.Length;

    public CausalVision.Data.ImageSample Get(int index)
    {
        var (id, pixels, shape, label, labels, tags) = items[index];
        return new CausalVision.Data.ImageSample(id, torch.tensor(pixels, shape), label, labels, tags);
    }
}

