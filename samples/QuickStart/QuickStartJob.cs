// The QuickStart job itself: generate the built-in benchmark, train the ResNet-18 baseline,
// report IID vs OOD. samples/QuickStart (Program.cs) and the `causalvision quickstart` command
// both compile this one file, so the two give identical numbers for identical options.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CausalVision.Backbones;
using CausalVision.Imaging.Transforms;
using CausalVision.Runtime;
using CausalVision.Synthetic;
using CausalVision.Training;

namespace CausalVision.Samples;

/// <summary>The QuickStart options (the defaults are the documented ones).</summary>
public sealed record QuickStartSettings
{
    /// <summary>Gets the training epochs.</summary>
    public int Epochs { get; init; } = 4;

    /// <summary>Gets the seed of the data, the initialisation and the shuffling.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Gets the number of training images.</summary>
    public int TrainSize { get; init; } = 2000;

    /// <summary>Gets the number of images in each test split.</summary>
    public int TestSize { get; init; } = 1000;

    /// <summary>Gets the square image side in pixels.</summary>
    public int ImageSize { get; init; } = 64;

    /// <summary>Gets the batch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Gets the learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Gets the backbone: "auto" (the default) is the pretrained ImageNet ResNet-18 (<c>resnet18-imagenet</c>) when
    /// its package is in the NuGet folder, else <c>resnet18</c> from random initialisation; or any registry name.</summary>
    public string Backbone { get; init; } = "auto";

    /// <summary>Gets the device name ("cpu", "cuda", "auto").</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Gets the output folder (metrics.json, model.json, last.ckpt).</summary>
    public string Out { get; init; } = Path.Combine("artifacts", "quickstart");
}

/// <summary>Runs the QuickStart: does a standard CNN learn the object or the background?</summary>
public static class QuickStartJob
{
    /// <summary>The model description written next to the checkpoint (backbone, classes, image size).</summary>
    public const string ModelFileName = "model.json";

    /// <summary>Generates the benchmark, trains, evaluates and writes <c>metrics.json</c>.</summary>
    /// <param name="s">The options.</param>
    /// <param name="progress">Training progress (console bars, plain lines).</param>
    /// <param name="log">Where the report lines go.</param>
    /// <returns>The path of <c>metrics.json</c>.</returns>
    public static string Run(QuickStartSettings s, IProgress<TrainingProgress>? progress, TextWriter log)
    {
        TorchRuntime.EnsureAvailable();
        var device = TorchRuntime.ResolveDevice(s.Device);
        log.WriteLine($"CausalVision QuickStart - {TorchRuntime.Describe()}");

        // --- 1. Data ----------------------------------------------------------------------------
        // The benchmark renders images lazily, so "generating" it is instant; the DataLoader renders
        // each batch on background workers while the model trains on the previous one.
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            Seed = s.Seed,
            ImageSize = s.ImageSize,
            TrainSize = s.TrainSize,
            TestIidSize = s.TestSize,
            TestOodSize = s.TestSize,
            SpuriousCorrelation = 0.9,
        });
        log.WriteLine($"Data: {bench.Info.ClassCount} classes, {bench.Objects.Count} object kinds, {bench.Contexts.Count} background contexts; "
            + $"train {bench.Train.Count}, test_iid {bench.TestIid.Count}, test_ood {bench.TestOod.Count} images of {s.ImageSize}x{s.ImageSize}.");

        // Images come in [0, 1]; normalise with the ImageNet statistics (what the backbones expect).
        // A horizontal flip is the only augmentation: it keeps objects and contexts intact.
        var trainTransform = new TransformPipeline(new HorizontalFlip(0.5), new Normalize());
        var evalTransform = new TransformPipeline(new Normalize());

        // --- 2. Model ---------------------------------------------------------------------------
        // A ResNet-18 (11 M parameters) with its standard stem: 64 px images become a 2x2 feature map, which keeps
        // a CPU epoch short. By default it starts from ML.NET's ImageNet weights when that package is restored
        // (the samples restore it), else from random initialisation. The head is linear.
        var backboneName = ImageNetResNet18.ResolveAutoName(s.Backbone);
        log.WriteLine(backboneName == ImageNetResNet18.RegistryName
            ? $"Backbone: {backboneName} (ImageNet weights from {ImageNetResNet18.FindModelPath()})."
            : $"Backbone: {backboneName}{(backboneName == "resnet18" ? " (random initialisation; `dotnet add package Microsoft.ML.DnnImageFeaturizer.ResNet18 --version 0.24.0` gives the pretrained resnet18-imagenet)" : string.Empty)}.");
        using var model = BackboneClassifier.Create(backboneName, bench.Info.ClassCount, new BackboneOptions { ImageSize = s.ImageSize, Seed = s.Seed });

        // --- 3. Train ---------------------------------------------------------------------------
        // Adam with weight decay 1e-3 (as VSCNet); a higher learning rate than VSCNet's 5e-4 suits
        // training from scratch for a few epochs, and it drops x0.1 for the last epoch.
        var options = new TrainerOptions
        {
            Epochs = s.Epochs,
            BatchSize = s.BatchSize,
            LearningRate = s.LearningRate,
            WeightDecay = 1e-3,
            LearningRateStepEpochs = Math.Max(1, s.Epochs - 1),
            LearningRateGamma = 0.1,
            Device = s.Device,
            Seed = s.Seed,
            Workers = 2,
            EvaluateEveryEpochs = 0, // score test_iid once, after the last epoch (saves CPU time)
            CheckpointDirectory = s.Out,
        };
        var trainer = new ClassifierTrainer(model, options);
        var watch = Stopwatch.StartNew();
        var result = trainer.Fit(bench.Train, trainTransform, bench.TestIid, evalTransform, progress);

        // --- 4. Evaluate: IID vs OOD --------------------------------------------------------------
        // Same model, two test sets that differ only in how the background is chosen.
        var iid = result.Metrics; // Fit scored test_iid after the last epoch.
        log.WriteLine($"Evaluating test_ood ({bench.TestOod.Count} images) ...");
        var oodPredictions = trainer.Predict(bench.TestOod, evalTransform);
        var ood = Evaluator.SingleLabel(oodPredictions);

        // Slice the OOD split by "background matches the class's training context": a model that
        // learned the shortcut is right when the background agrees and wrong when it does not.
        double Acc(bool matches)
        {
            int hit = 0, n = 0;
            for (var i = 0; i < oodPredictions.Count; i++)
            {
                if (bench.TestOod.Describe(i).ContextMatchesClass != matches)
                {
                    continue;
                }

                n++;
                var best = 0;
                for (var c = 1; c < bench.Info.ClassCount; c++)
                {
                    if (oodPredictions.Scores[i, c] > oodPredictions.Scores[i, best])
                    {
                        best = c;
                    }
                }

                hit += best == oodPredictions.Labels[i] ? 1 : 0;
            }

            return n == 0 ? double.NaN : (double)hit / n;
        }

        var agree = Acc(true);
        var disagree = Acc(false);
        var seconds = watch.Elapsed.TotalSeconds;
        log.WriteLine();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Acc@1  test_iid {iid[MetricNames.Acc1]:P1}   test_ood {ood[MetricNames.Acc1]:P1}   (chance {1.0 / bench.Info.ClassCount:P0})"));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"       IID - OOD gap {iid[MetricNames.Acc1] - ood[MetricNames.Acc1]:P1}: reliance on the background shortcut"));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"       test_ood when the background matches the class {agree:P1}, when it does not {disagree:P1}"));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Trained {s.Epochs} epochs in {seconds:F0} s."));

        // --- 5. Save ----------------------------------------------------------------------------
        Directory.CreateDirectory(s.Out);
        var report = new
        {
            model = "resnet18-baseline",
            device = device.ToString(),
            seed = s.Seed,
            epochs = s.Epochs,
            trainSize = s.TrainSize,
            testSize = s.TestSize,
            imageSize = s.ImageSize,
            batchSize = s.BatchSize,
            learningRate = s.LearningRate,
            seconds = Math.Round(seconds, 1),
            testIid = iid,
            testOod = ood,
            gapAcc1 = iid[MetricNames.Acc1] - ood[MetricNames.Acc1],
            testOodContextMatchesAcc1 = agree,
            testOodContextDiffersAcc1 = disagree,
            history = result.Epochs.Select(e => new { epoch = e.Epoch, loss = e.TrainLoss, lr = e.LearningRate, testIid = e.Metrics, seconds = Math.Round(e.Elapsed.TotalSeconds, 1) }),
            checkpoint = result.CheckpointPath,
        };
        var json = new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        var path = Path.Combine(s.Out, "metrics.json");
        File.WriteAllText(path, JsonSerializer.Serialize(report, json));

        // What `causalvision predict` / `evaluate` need to rebuild the model around last.ckpt.
        var description = new { backbone = backboneName, classes = bench.Info.Classes, imageSize = s.ImageSize, seed = s.Seed, checkpoint = ClassifierTrainer.CheckpointFileName };
        File.WriteAllText(Path.Combine(s.Out, ModelFileName), JsonSerializer.Serialize(description, json));
        log.WriteLine($"Metrics: {path}   checkpoint: {result.CheckpointPath}");
        return path;
    }
}
