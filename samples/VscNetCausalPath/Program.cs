// VSCNet's causal path on the built-in synthetic benchmark, before and after each fix: distinct regions with the bounded
// locating loss (FVA), selective masks (CIM: masks read X, act after the normalisation, node-mask budget), and eq. 7's
// prototype temperature. Each configuration trains the +L+K+G+C model from scratch with the two-stage VscNetTrainer and
// reports, on the OOD test split, theta's spread across images, the region-in-object rate against its chance rate, the
// node-mask sparsity, and the accuracy of the fused prediction (eq. 14) and of the causal classifier f_c alone. The OOD
// split is cut in two: the first half is the OOD-like validation set that chooses the prediction head, the second half is
// the reported test set. CPU-sized: a small 3-block CNN backbone on 32 x 32 images.
//
//   eng/torch-env.sh dotnet run --project samples/VscNetCausalPath -c Release -- [--seeds 3] [--train 480] [--test 240]
//       [--stage1 3] [--stage2 3] [--regions 4] [--threads 2] [--out artifacts] [--quick]
// (--help lists the options; a bad value prints one line on stderr and exits with code 2.)
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CausalVision.Backbones;
using CausalVision.Samples;
using CausalVision.Data;
using CausalVision.Graph.Cim;
using CausalVision.Vscnet.Fva;
using CausalVision.Vscnet;
using CausalVision.Metrics;
using CausalVision.Synthetic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

const int ImageSize = 32;

return VscSampleCommand.Invoke(args, "vscnet-causal-path", "VSCNet's causal path (+L+K+G+C) before and after each fix on the built-in synthetic benchmark; the table is printed and written to OUT/vscnet-causal-path.md.", new Arguments(3, 480, 240, 3, 3, 4, 2, "artifacts"), "IID test images per seed; the OOD split gets twice as many (half validation, half test).", "vscnet-causal-path.md", Run);

int Run(Arguments arguments)
{
    torch.set_num_threads(arguments.Threads);
    BackboneRegistry.Register("smallcnn", o => new SmallCnn(o.InChannels));

    var configs = new (string Name, Action<VscNetOptions> Apply)[]
    {
        ("before (paper/code defaults)", _ => { }),
        ("+regions", o => UseRegions(o)),
        ("+regions +masks", o => { UseRegions(o); o.Cim = CimOptions.Selective(); }),
        ("+regions +masks +tau", o => { UseRegions(o); o.Cim = CimOptions.Selective(); o.Refinement.PrototypeTemperature = 0.05; }),
    };

    void UseRegions(VscNetOptions o)
    {
        var steps = o.Fva.Steps;
        o.Fva = FvaOptions.Localising();
        o.Fva.Steps = steps;
    }

    var results = configs.ToDictionary(c => c.Name, _ => new List<Dictionary<string, double>>());
    var clock = Stopwatch.StartNew();
    for (var seed = 0; seed < arguments.Seeds; seed++)
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            ImageSize = ImageSize,
            ClassCount = 6,
            ShapeCount = 4,
            ColorCount = 3,
            TrainSize = arguments.Train,
            TestIidSize = arguments.Test,
            TestOodSize = 2 * arguments.Test,
            Seed = seed,
        });
        var train = new CachedDataset(bench.Train);
        var iid = Enumerable.Range(0, arguments.Test).ToArray();
        var val = Enumerable.Range(0, arguments.Test).ToArray();
        var test = Enumerable.Range(arguments.Test, arguments.Test).ToArray();
        foreach (var (name, apply) in configs)
        {
            var m = new Dictionary<string, double>();
            try
            {
                using var model = new VscNetBuilder()
                    .WithBackbone("smallcnn")
                    .ForDataset(bench.Info)
                    .WithRegions(arguments.Regions)
                    .WithAblation(VscNetAblation.Locating | VscNetAblation.Knowledge | VscNetAblation.Graph | VscNetAblation.Causal)
                    .WithSeed(seed)
                    .Configure(o =>
                    {
                        apply(o); // first: a configuration may replace a whole section (o.Cim = ...)
                        o.Training.Seed = seed;
                        o.Training.BatchSize = 32;
                        o.Training.LearningRate = 2e-3;
                        o.Training.Stage1Epochs = arguments.Stage1;
                        o.Training.Stage2Epochs = arguments.Stage2;
                        o.Training.LearningRateDecayEvery = 4;
                        o.NodeFeatures = 64;
                        o.Cim.HiddenFeatures = 64; // +C: the graph encoders are CIM's
                        o.Fusion.FusedFeatures = 64;
                        o.Graph.TopTags = 6;
                        o.Graph.RegionTopTags = 3;
                        o.CandidateTags = 3;
                        o.Refinement.TopK = 6;
                    })
                    .Build();
                using var trainer = new VscNetTrainer(model);
                var watch = Stopwatch.StartNew();
                trainer.Run(train, null);
                m["train s"] = watch.Elapsed.TotalSeconds;
                Measure(model, bench.TestIid, iid, "iid", m, withRegions: false);
                Measure(model, bench.TestOod, val, "val", m, withRegions: false);
                Measure(model, bench.TestOod, test, "ood", m, withRegions: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                Console.Error.WriteLine($"seed {seed} {name}: {e.Message}");
            }

            results[name].Add(m);
            Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] seed {seed} {name,-30} " + string.Join("  ", m.Select(kv => $"{kv.Key} {kv.Value:0.000}")));
        }
    }

    var columns = new[] { "iid fused", "ood fused", "ood f_c", "val fused", "val f_c", "theta std", "pair dist", "in-object", "chance", "mask mean", "mask<0.5" };
    var table = new StringBuilder();
    table.AppendLine(CultureInfo.InvariantCulture, $"VSCNet +L+K+G+C causal path (6 classes, 32 px, train {arguments.Train}, IID test {arguments.Test}, OOD val {arguments.Test} + OOD test {arguments.Test}, J = {arguments.Regions}, epochs {arguments.Stage1} + {arguments.Stage2}, {arguments.Seeds} seed(s), mean ± std; {clock.Elapsed.TotalMinutes:0.0} min on {arguments.Threads} thread(s))");
    table.AppendLine();
    table.AppendLine("| Config | " + string.Join(" | ", columns) + " | head (val) |");
    table.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", columns.Length + 1)));
    foreach (var (name, _) in configs)
    {
        string Cell(string c)
        {
            var values = results[name].Where(r => r.ContainsKey(c)).Select(r => r[c]).ToArray();
            if (values.Length == 0)
            {
                return "-";
            }

            var mean = values.Average();
            var std = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
            return string.Create(CultureInfo.InvariantCulture, $"{mean:0.000} ± {std:0.000}");
        }

        double Mean(string c) => results[name].Where(r => r.ContainsKey(c)).Select(r => r[c]).DefaultIfEmpty(double.NaN).Average();
        var head = Mean("val f_c") > Mean("val fused") ? "f_c" : "fused";
        table.AppendLine($"| {name} | " + string.Join(" | ", columns.Select(Cell)) + $" | {head} |");
    }

    Console.WriteLine();
    Console.WriteLine(table.ToString());
    Directory.CreateDirectory(arguments.Out);
    var file = Path.Combine(arguments.Out, "vscnet-causal-path.md");
    File.WriteAllText(file, table.ToString());
    Console.WriteLine($"Written to {file}");
    return 0;
}

static void Measure(VscNet model, SyntheticSplit split, int[] indices, string prefix, Dictionary<string, double> m, bool withRegions)
{
    model.eval();
    using var noGrad = no_grad();
    long fusedHits = 0, causalHits = 0;
    var thetas = new List<float>();
    var stats = new List<double[]>();
    double maskSum = 0, maskLow = 0, maskCount = 0;
    var steps = 0;
    for (var start = 0; start < indices.Length; start += 64)
    {
        using var scope = NewDisposeScope();
        var batch = indices.Skip(start).Take(64).ToArray();
        var samples = batch.Select(split.Get).ToArray();
        var images = stack(samples.Select(s => s.Image).ToArray());
        var labels = tensor(samples.Select(s => (long)s.Label).ToArray());
        foreach (var s in samples)
        {
            s.Dispose();
        }

        using var o = model.call(images);
        fusedHits += o.Probabilities.argmax(1).eq(labels).sum().item<long>();
        if (o.CausalLogits is not null)
        {
            causalHits += o.CausalLogits.argmax(1).eq(labels).sum().item<long>();
        }

        if (withRegions && o.Fva is not null)
        {
            steps = (int)o.Fva.Thetas.shape[1];
            thetas.AddRange(o.Fva.Thetas.contiguous().data<float>().ToArray());
        }

        if (withRegions && o.NodeMask is not null)
        {
            var real = o.NodeMask.sum(-1).gt(0.5);
            var kept = o.NodeMask[.., .., 1].masked_select(real);
            maskSum += kept.sum().item<float>();
            maskLow += kept.lt(0.5).sum().item<long>();
            maskCount += kept.shape[0];
        }
    }

    m[$"{prefix} fused"] = (double)fusedHits / indices.Length;
    m[$"{prefix} f_c"] = (double)causalHits / indices.Length;
    if (!withRegions || steps == 0)
    {
        return;
    }

    // theta std across images: per step and shift coordinate, the std over images; averaged.
    var n = indices.Length;
    double std = 0, pair = 0;
    for (var j = 0; j < steps; j++)
    {
        foreach (var k in new[] { 2, 5 })
        {
            var v = Enumerable.Range(0, n).Select(i => (double)thetas[(((i * steps) + j) * 6) + k]).ToArray();
            var mean = v.Average();
            std += Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, n - 1));
        }
    }

    for (var i = 0; i < n; i++)
    {
        for (var a = 0; a < steps; a++)
        {
            for (var b = a + 1; b < steps; b++)
            {
                var oa = ((i * steps) + a) * 6;
                var ob = ((i * steps) + b) * 6;
                pair += Math.Abs(thetas[oa + 2] - thetas[ob + 2]) + Math.Abs(thetas[oa + 5] - thetas[ob + 5]);
            }
        }
    }

    m["theta std"] = std / (2 * steps);
    m["pair dist"] = steps > 1 ? pair / (n * steps * (steps - 1) / 2.0) : 0;
    var rate = RegionInObjectRate.FromThetas(thetas.ToArray(), steps, indices.Select(split.Describe).ToList(), ImageSize);
    m["in-object"] = rate.Rate;
    m["chance"] = rate.ChanceRate;
    if (maskCount > 0)
    {
        m["mask mean"] = maskSum / maskCount;
        m["mask<0.5"] = maskLow / maskCount;
    }
}

/// <summary>An in-memory copy of a dataset (images rendered once).</summary>
internal sealed class CachedDataset : IImageDataset
{
    private readonly (string Id, float[] Pixels, long[] Shape, int Label, IReadOnlyList<int> Labels, IReadOnlyList<int> Tags)[] items;

    public CachedDataset(IImageDataset source)
    {
        Info = source.Info;
        items = new (string, float[], long[], int, IReadOnlyList<int>, IReadOnlyList<int>)[source.Count];
        for (var i = 0; i < source.Count; i++)
        {
            using var s = source.Get(i);
            items[i] = (s.Id, s.Image.data<float>().ToArray(), s.Image.shape, s.Label, s.Labels, s.Tags);
        }
    }

    public DatasetInfo Info { get; }

    public int Count => items.Length;

    public ImageSample Get(int index)
    {
        var (id, pixels, shape, label, labels, tags) = items[index];
        return new ImageSample(id, torch.tensor(pixels, shape), label, labels, tags);
    }
}

