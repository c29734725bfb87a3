// The train job: load a dataset layout, train a model recipe, evaluate, write metrics.json and the checkpoint.
// samples/Train's Program.cs and the causalvision tool's `train` command both run it.
using System.Globalization;
using System.Text.Json;
using CausalVision.Backbones;
using CausalVision.Cli;
using CausalVision.Data;
using CausalVision.Imaging.Transforms;
using CausalVision.Runtime;
using CausalVision.Synthetic;

namespace CausalVision.Samples.Train;

/// <summary>Trains and evaluates one model recipe on one dataset.</summary>
internal static class TrainJob
{
    /// <summary>Runs the job.</summary>
    /// <param name="a">The parsed arguments.</param>
    /// <returns>The exit code (0).</returns>
    /// <exception cref="UsageException">A bad name, output folder or dataset.</exception>
    public static int Run(TrainArguments a)
    {
        // Check the names and the output folder before loading anything large.
        var recipe = ModelRecipes.Get(a.Model);
        if (File.Exists(a.Out))
        {
            throw new UsageException($"--out '{a.Out}' is an existing file; give a folder for metrics.json and the checkpoint.");
        }

        if (a.Model == "baseline" && !BackboneRegistry.Contains(a.Backbone))
        {
            throw new UsageException($"unknown backbone '{a.Backbone}'; available: {string.Join(", ", BackboneRegistry.Names)}.");
        }

        TorchRuntime.EnsureAvailable();
        var device = TorchRuntime.ResolveDevice(a.Device);
        if (a.Export is not null && a.Layout != "synthetic")
        {
            throw new UsageException("--export works with --layout synthetic only.");
        }

        if (a.Export is not null)
        {
            var manifest = SyntheticBenchmark.Generate(DatasetLayouts.SyntheticOptions(a)).WriteToDisk(a.Export);
            Console.WriteLine($"Synthetic benchmark written: {manifest} (train on it with --layout manifest --data {a.Export})");
            return 0;
        }

        var data = DatasetLayouts.Load(a);
        if (a.Layout != "synthetic" && a.TrainLimit is { } limit)
        {
            data = data with { Train = new PrefixDataset(data.Train, limit) };
        }

        if (a.Layout != "synthetic" && a.TestLimit is { } testLimit)
        {
            data = data with
            {
                Test = new PrefixDataset(data.Test, testLimit),
                ExtraTests = data.ExtraTests.ToDictionary(kv => kv.Key, kv => (IImageDataset)new PrefixDataset(kv.Value, testLimit)),
            };
        }

        if (data.Train.Count == 0 || data.Test.Count == 0)
        {
            throw new UsageException($"the {(data.Train.Count == 0 ? "training" : "evaluation")} split of '{a.Data ?? a.Layout}' is empty.");
        }

        if (data.Train.Info.ClassCount == 1 && !data.Train.Info.MultiLabel)
        {
            Console.Error.WriteLine($"train: warning: '{data.Train.Info.Name}' has a single class; every prediction is trivially right and the accuracy says nothing.");
        }

        // --augment (see Augmentation): by default fixed-size data (synthetic, MNIST) and multi-label or
        // tagged data are resized and flipped, never cropped; single-label photos get the ImageNet
        // pipeline (random resized crop + flip). Evaluation: resize (+ centre crop for photos).
        var size = a.ImageSize ?? data.DefaultImageSize;
        var augment = Augmentation.Resolve(a.Augment, data.Train.Info, data.FixedSize);
        var (train, augmentText) = Augmentation.Build(augment, size, data.FixedSize, a.CropScale);
        var eval = data.FixedSize ? new TransformPipeline(new Resize(size, size), new Normalize()) : TransformPipeline.ImageNetEval(size);

        Console.WriteLine($"CausalVision Train - {TorchRuntime.Describe()}");
        Console.WriteLine($"Data: {data.Train.Info.Name} ({a.Layout}), {data.Train.Info.ClassCount} classes{(data.Train.Info.MultiLabel ? ", multi-label" : string.Empty)}; "
            + $"train {data.Train.Count}, test {data.Test.Count}{string.Concat(data.ExtraTests.Select(kv => $", {kv.Key} {kv.Value.Count}"))}; {size}x{size} on {device}.");
        Console.WriteLine($"Model: {recipe.Name} ({a.Backbone}), {a.Epochs} epochs, batch {a.Batch}, lr {a.LearningRate.ToString(CultureInfo.InvariantCulture)}{(a.Resume ? ", resuming" : string.Empty)}.");
        Console.WriteLine($"Training augmentation: {augmentText}.");

        var started = DateTime.UtcNow;
        var result = CliProgress.Run(recipe.Name, (progress, _) => recipe.Run(new RecipeContext(a, data, train, eval, size, progress)));
        foreach (var (split, metrics) in result.Metrics)
        {
            Console.WriteLine($"{split}: {string.Join("  ", metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F4}")))}");
        }

        Directory.CreateDirectory(a.Out);
        var path = Path.Combine(a.Out, "metrics.json");
        var report = new
        {
            model = recipe.Name,
            backbone = a.Backbone,
            layout = a.Layout,
            data = a.Data,
            dataset = data.Train.Info.Name,
            multiLabel = data.Train.Info.MultiLabel,
            trainSize = data.Train.Count,
            imageSize = size,
            augment = augmentText,
            epochs = a.Epochs,
            batch = a.Batch,
            learningRate = a.LearningRate,
            seed = a.Seed,
            device = device.ToString(),
            seconds = Math.Round((DateTime.UtcNow - started).TotalSeconds, 1),
            metrics = result.Metrics,
            history = result.Epochs.Select(e => new { epoch = e.Epoch, loss = e.TrainLoss, lr = e.LearningRate, metrics = e.Metrics, seconds = Math.Round(e.Elapsed.TotalSeconds, 1) }),
            checkpoint = result.CheckpointPath,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        Console.WriteLine($"Metrics: {path}   checkpoint: {result.CheckpointPath}");
        var curves = CausalVision.Cli.ReportPlots.TrainingCurves(a.Out);
        if (curves.Count > 0)
        {
            Console.WriteLine($"Curves: {string.Join("  ", curves)}");
        }

        return 0;
    }
}
