using System.CommandLine;
using System.Diagnostics;
using CausalVision.Backbones;
using CausalVision.Clustering.Art;
using CausalVision.Clustering.KMeans;
using CausalVision.Data;
using CausalVision.Vscnet;
using CausalVision.Synthetic;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;

namespace CausalVision.Compare;

/// <summary>The measured cases. Each mirrors a script in benchmarks/peers/ layer for layer.</summary>
internal static class Cases
{
    /// <summary>The <c>resnet18-step</c> command.</summary>
    public static Command ResNet18StepCommand()
    {
        var batch = CaseOptions.Int("--batch", 32, "Batch size.");
        var size = CaseOptions.Int("--size", 64, "Image side in pixels.");
        var classes = CaseOptions.Int("--classes", 10, "Classes of the head.");
        var steps = CaseOptions.Int("--steps", 20, "Timed steps.");
        var warmup = CaseOptions.Int("--warmup", 3, "Untimed steps before them.");
        var checkInput = new Option<bool>("--check-input") { HelpName = "true|false", Description = "The library's NaN/Inf check of every batch (false shows what it costs).", DefaultValueFactory = _ => true };
        var optimizer = CaseOptions.Choice("--optimizer", "lean", "lean: the library's Adam (what its trainers use); torchsharp: TorchSharp's stock Adam.", "lean", "torchsharp");
        var command = new Command("resnet18-step", "ResNet-18 classifier training step (torchvision layout), Adam, cross-entropy.") { batch, size, classes, steps, warmup, checkInput, optimizer };
        command.SetCase(r => ResNet18Step(r.GetValue(batch), r.GetValue(size), r.GetValue(classes), r.GetValue(steps), r.GetValue(warmup), r.GetValue(checkInput), r.GetRequiredValue(optimizer) == "torchsharp"));
        return command;
    }

    /// <summary>The <c>kmeans</c> command.</summary>
    public static Command KMeansCommand()
    {
        var data = CaseOptions.Required<string>("--data", "FILE", "The data: raw little-endian float32 [rows, dim] (compare.py writes it).");
        var rows = CaseOptions.Required<int>("--rows", "N", "Rows of --data.");
        var dim = CaseOptions.Required<int>("--dim", "N", "Columns of --data.");
        var k = CaseOptions.Int("--k", 80, "Clusters.");
        var init = CaseOptions.Choice("--init", "kmeans++", "file: start from --centres (one fit); kmeans++: one fit per seed.", "file", "kmeans++");
        var centres = new Option<string?>("--centres") { HelpName = "FILE", Description = "With --init file: the initial centres, raw float32 [k, dim]." };
        var seeds = CaseOptions.Int("--seeds", 1, "With --init kmeans++: fits, one per seed from --seed.");
        var seed = CaseOptions.Int("--seed", 0, "The first seed.");
        var maxIterations = CaseOptions.Int("--max-iter", 100, "Lloyd iterations at most.");
        var tolerance = CaseOptions.Double("--tol", 1e-4, "Convergence tolerance (KMeansOptions.Tolerance).");
        var kernel = CaseOptions.Choice("--kernel", "auto", "The assignment kernel (KMeansKernel).", "auto", "torch", "fused", "fused256");
        var command = new Command("kmeans", "K-means (Lloyd) fit on a raw float32 matrix.") { data, rows, dim, k, init, centres, seeds, seed, maxIterations, tolerance, kernel };
        command.Validators.Add(r =>
        {
            if (r.GetValue(init) == "file" && r.GetValue(centres) is null)
            {
                r.AddError("--centres is required with --init file.");
            }
        });
        command.SetCase(r => KMeansFit(
            r.GetRequiredValue(data), r.GetValue(centres), r.GetValue(rows), r.GetValue(dim), r.GetValue(k), r.GetRequiredValue(init) == "file",
            r.GetValue(seeds), r.GetValue(seed), r.GetValue(maxIterations), r.GetValue(tolerance), r.GetRequiredValue(kernel)));
        return command;
    }

    /// <summary>The <c>art</c> command.</summary>
    public static Command ArtCommand()
    {
        var rows = CaseOptions.Int("--rows", 5000, "Rows of the seeded data.");
        var dim = CaseOptions.Int("--dim", 64, "Columns of the seeded data.");
        var impl = CaseOptions.Choice("--impl", "tensor", "The implementation: naive (per-cluster loop), batched (vectorised) or tensor (libtorch).", "naive", "batched", "tensor");
        var seed = CaseOptions.Int("--seed", 0, "Seed of the data.");
        var vigilance = CaseOptions.Double("--vigilance", new ArtOptions().Vigilance, "ART vigilance.");
        var command = new Command("art", "AM-ART fit (authors' defaults) on seeded clustered data: one implementation per process.") { rows, dim, impl, seed, vigilance };
        command.SetCase(r => ArtFit(r.GetValue(rows), r.GetValue(dim), r.GetRequiredValue(impl), r.GetValue(seed), r.GetValue(vigilance)));
        return command;
    }

    /// <summary>The <c>soak</c> command.</summary>
    public static Command SoakCommand()
    {
        var model = CaseOptions.Choice("--model", "resnet18", "resnet18: a ResNet-18 classifier; vscnet: VSCNet's stage-2 step.", "resnet18", "vscnet");
        var data = CaseOptions.Choice("--data", "loader", "resnet18: batches from the library's loader, or one fixed batch.", "loader", "fixed");
        var steps = CaseOptions.Int("--steps", 1000, "Training steps.");
        var every = CaseOptions.Int("--every", 50, "Sample live tensors and RSS every N steps.");
        var warmup = CaseOptions.Int("--warmup", 100, "The step growth is measured from.");
        var tolerance = CaseOptions.Double("--tolerance", 0.05, "Allowed relative growth after --warmup.");
        var outDir = new Option<string>("--out") { HelpName = "DIR", Description = "Folder of the CSV and PNG curves.", DefaultValueFactory = _ => Path.Combine("artifacts", "soak") };
        var command = new Command("soak", "Memory soak over the library's training path; exit 1 when tensors or RSS grow past --tolerance.") { model, data, steps, every, warmup, tolerance, outDir };

        // One intra-op thread by default: the soak measures memory, and libtorch's OpenMP threads spin badly when the
        // cores are shared (we saw 10x slower steps with 2 threads on a loaded 2-core machine).
        command.SetCase(
            r => Soak(r.GetRequiredValue(model) == "vscnet", r.GetRequiredValue(data) == "fixed", r.GetValue(steps), r.GetValue(every), r.GetValue(warmup), r.GetValue(tolerance), r.GetRequiredValue(outDir)),
            defaultThreads: 1);
        return command;
    }

    /// <summary>ResNet-18 classifier training step (torchvision layout, default stem), Adam, cross-entropy.</summary>
    private static int ResNet18Step(int batch, int size, int classes, int steps, int warmup, bool checkInput, bool stock)
    {
        manual_seed(0);
        using var model = BackboneClassifier.Create("resnet18", classes);
        model.to(CompareDevice.Current);
        // The library checks every batch for NaN/Inf (one reduction and a host sync); --check-input false turns it
        // off to show what it costs.
        model.Backbone.CheckFiniteInput = checkInput;
        model.train();
        // The library's Adam (what its trainers use) by default; --optimizer torchsharp times TorchSharp's stock Adam,
        // which keeps every parameter's temporaries alive until the end of the step.
        using var optimizer = stock ? optim.Adam(model.parameters(), 1e-3) : new LeanAdam(model.parameters(), 1e-3);
        using var x = randn(batch, 3, size, size).to(CompareDevice.Current);
        using var y = randint(0, classes, batch).to(CompareDevice.Current);
        var times = new List<double>();
        var phases = new PhaseTimes();
        for (var i = 0; i < warmup + steps; i++)
        {
            var faults0 = PhaseTimes.MinorFaults();
            CompareDevice.Sync();
            var sw = Stopwatch.StartNew();
            double fwd, bwd;
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                CompareDevice.Sync(); // CPU ops are synchronous; a GPU's queue is drained before each reading
                fwd = sw.Elapsed.TotalMilliseconds;
                loss.backward();
                CompareDevice.Sync();
                bwd = sw.Elapsed.TotalMilliseconds;
                optimizer.step();
                _ = loss.item<float>();
            }

            if (i >= warmup)
            {
                var total = sw.Elapsed.TotalMilliseconds;
                times.Add(total);
                phases.Add(fwd, bwd - fwd, total - bwd, faults0 < 0 ? -1 : PhaseTimes.MinorFaults() - faults0);
            }
        }

        Result.Print(Result.TorchSharpImpl + (stock ? " (stock Adam)" : " (LeanAdam)"), "step_ms", times, phases.Extras(new Dictionary<string, object> { ["params"] = model.parameters().Sum(p => p.numel()) }));
        return 0;
    }

    /// <summary>K-means (Lloyd, one run per fit) on a raw float32 matrix written by compare.py. With <c>--init kmeans++</c>
    /// it fits once per seed in <c>--seed</c> .. <c>--seed + --seeds - 1</c> (k-means++ quality varies by seed: over 32
    /// seeds on this data ours and scikit-learn's land within 0.5% in mean inertia, while a single seed can differ by
    /// 15%), and reports every fit's time and the mean inertia.</summary>
    private static int KMeansFit(string data, string? centres, int rows, int dim, int k, bool fromFile, int seeds, int first, int maxIterations, double tolerance, string kernel)
    {
        using var x = ReadMatrix(data, rows, dim).to(CompareDevice.Current);
        var fits = fromFile ? 1 : seeds;
        var times = new List<double>();
        var cpu = new List<double>();
        var inertias = new List<double>();
        var iterations = new List<int>();
        var proc = Process.GetCurrentProcess();
        for (var s = first; s < first + fits; s++)
        {
            var options = new KMeansOptions
            {
                Clusters = k,
                MaxIterations = maxIterations,
                Tolerance = tolerance,
                Restarts = 1,
                Seed = s,
                Kernel = Enum.Parse<KMeansKernel>(kernel, ignoreCase: true),
            };
            using var km = new KMeansModel(options, CompareDevice.Current);
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            if (fromFile)
            {
                using var init = ReadMatrix(centres!, k, dim).to(CompareDevice.Current);
                km.Fit(x, init);
            }
            else
            {
                km.Fit(x);
            }

            CompareDevice.Sync();
            times.Add(sw.Elapsed.TotalMilliseconds);
            proc.Refresh();
            cpu.Add((proc.TotalProcessorTime - cpu0).TotalMilliseconds);
            inertias.Add(km.Inertia);
            iterations.Add(km.Iterations);
        }

        Result.Print(Result.TorchSharpImpl + " (CausalVision K-means, " + kernel + " kernel)", "fit_ms", times, new Dictionary<string, object>
        {
            ["inertia"] = inertias.Average(),
            ["cpu_values"] = cpu.ToArray(),
            ["inertia_best"] = inertias.Min(),
            ["inertia_worst"] = inertias.Max(),
            ["iterations"] = iterations.Average(),
            ["fits"] = fits,
        });
        return 0;
    }

    /// <summary>AM-ART fit (authors' defaults) on seeded uniform data: one implementation per process.</summary>
    private static int ArtFit(int rows, int dim, string impl, int seed, double vigilance)
    {
        // Clustered data in [0, 1]: 100 seeded centres plus uniform noise of +-0.2, clamped (as region
        // features are after the hierarchy's min-max scaling).
        var rng = new Random(seed);
        var centres = Enumerable.Range(0, 100).Select(_ => Enumerable.Range(0, dim).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        var data = new double[rows][];
        for (var i = 0; i < rows; i++)
        {
            var c = centres[rng.Next(centres.Length)];
            data[i] = new double[dim];
            for (var j = 0; j < dim; j++)
            {
                data[i][j] = Math.Clamp(c[j] + ((rng.NextDouble() * 0.4) - 0.2), 0, 1);
            }
        }

        var options = new ArtOptions { Vigilance = vigilance };
        long[] assign;
        var sw = Stopwatch.StartNew();
        switch (impl)
        {
            case "naive":
                assign = new NaiveFuzzyArt(options).Fit(data);
                break;
            case "batched":
                assign = new VectorizedFuzzyArt(options).Fit(data);
                break;
            case "tensor":
                {
                    using var x = tensor(data.SelectMany(r => r).ToArray(), [rows, dim], float64);
                    using var art = new FuzzyArt(options);
                    assign = art.Fit(x);
                    break;
                }

            default:
                throw new ArgumentException($"Unknown ART implementation '{impl}' (naive, batched, tensor).");
        }

        var ms = sw.Elapsed.TotalMilliseconds;
        var clusters = assign.Max() + 1;
        // A fingerprint of the assignment, so the table shows whether both sides found identical clusters.
        var hash = assign.Aggregate(17L, (h, v) => unchecked((h * 31) + v));
        Result.Print($"AM-ART {impl}", "fit_ms", [ms], new Dictionary<string, object> { ["clusters"] = $"{clusters} (#{hash & 0xffffff:x6})" });
        return 0;
    }

    /// <summary>The memory soak over the library's own training path: a ResNet-18 classifier fed by the loader
    /// (<c>--model resnet18</c>, default) or VSCNet's stage-2 step (<c>--model vscnet</c>: FVA, hierarchy matching,
    /// heterogeneous graph, CIM, fusion).</summary>
    private static int Soak(bool vscnet, bool fixedBatch, int steps, int every, int warmup, double tolerance, string outDir)
    {
        if (vscnet)
        {
            return SoakVscNet(steps, every, warmup, tolerance, outDir);
        }

        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { Seed = 1, ImageSize = 32, TrainSize = 2048, TestIidSize = 64, TestOodSize = 64 });
        manual_seed(0);
        using var model = BackboneClassifier.Create("resnet18", bench.Info.ClassCount, new BackboneOptions { SmallInputStem = false });
        var device = CompareDevice.Current;
        model.to(device);
        model.train();
        using var optimizer = new LeanAdam(model.parameters(), 1e-3);
        using var batches = EndlessBatches(bench.Train).GetEnumerator();
        using var fixedX = rand(16, 3, 32, 32).to(device);
        using var fixedY = randint(0, bench.Info.ClassCount, 16).to(device);
        void Step()
        {
            if (fixedBatch)
            {
                using var s = NewDisposeScope();
                optimizer.zero_grad();
                var l = nn.functional.cross_entropy(model.call(fixedX), fixedY);
                l.backward();
                optimizer.step();
                _ = l.item<float>();
                return;
            }

            batches.MoveNext();
            using var batch = batches.Current;
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(batch.Images.to(device)), batch.Labels.to(device));
            loss.backward();
            optimizer.step();
            _ = loss.item<float>();
        }

        return MemorySoak.Run("resnet18-train", Step, steps, every, warmup, tolerance, outDir);
    }

    private static int SoakVscNet(int steps, int every, int warmup, double tolerance, string outDir)
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { Seed = 1, ImageSize = 32, TrainSize = 256, TestIidSize = 32, TestOodSize = 32 });
        using var model = new VscNetBuilder()
            .ForDataset(bench.Info)
            .WithBackbone("resnet18")
            .WithRegions(4)
            .WithSeed(0)
            .Configure(o =>
            {
                o.Backbone.Options.SmallInputStem = true;
                o.Backbone.Options.ImageSize = 32;
                o.Training.BatchSize = 16;
                o.Training.Stage1Epochs = 1;
            })
            .Build();
        using var trainer = new VscNetTrainer(model);

        // Stage 1 for one epoch and the exemplar hierarchy, then the soak runs stage-2 steps (the full model).
        trainer.TrainStage1(bench.Train);
        using var hierarchy = trainer.BuildHierarchy(bench.Train);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        using var optimizer = new LeanAdam(model.Stage2Parameters(), 5e-4);
        using var batches = EndlessBatches(bench.Train).GetEnumerator();
        void Step()
        {
            batches.MoveNext();
            using var batch = batches.Current;
            trainer.TrainStep(optimizer, batch.Images, batch.Labels, batch.Tags);
        }

        return MemorySoak.Run("vscnet-stage2", Step, steps, every, warmup, tolerance, outDir);
    }

    // Epoch after epoch of shuffled batches from the library's loader (workers and prefetch on); the caller disposes
    // each batch.
    private static IEnumerable<Batch> EndlessBatches(IImageDataset data)
    {
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = 16, Shuffle = true, Seed = 0, Workers = 1, PrefetchBatches = 2 });
        for (var epoch = 0; ; epoch++)
        {
            foreach (var batch in loader.GetBatches(epoch))
            {
                yield return batch;
            }
        }
    }

    internal static Tensor ReadMatrix(string path, int rows, int dim)
    {
        var bytes = File.ReadAllBytes(path);
        if (rows <= 0 || dim <= 0 || bytes.Length != (long)rows * dim * 4)
        {
            throw new ArgumentException($"'{path}' holds {bytes.Length} bytes, not a float32 [{rows}, {dim}] matrix.");
        }

        var values = new float[rows * dim];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return tensor(values, [rows, dim]);
    }
}
