// Reloads the baseline classifier that `quickstart` trains (model.json + last.ckpt) to score images.
using System.Text.Json;
using CausalVision.Backbones;
using CausalVision.Data;
using CausalVision.Data.Layouts;
using CausalVision.Imaging.Transforms;
using CausalVision.Training;

namespace CausalVision.Cli;

/// <summary>Predicts and evaluates with a trained baseline classifier.</summary>
internal static class BaselineModel
{
    /// <summary>Scores image files and ranks the classes of each.</summary>
    /// <param name="modelDir">The folder with model.json and the checkpoint.</param>
    /// <param name="files">The image files.</param>
    /// <param name="device">The device.</param>
    /// <param name="top">Classes to return per image.</param>
    /// <returns>Per file, the top classes with their softmax scores.</returns>
    public static IReadOnlyList<(string Path, IReadOnlyList<(string Label, double Score)> Ranked)> Predict(string modelDir, IReadOnlyList<string> files, string device, int top)
    {
        foreach (var f in files)
        {
            if (!File.Exists(f))
            {
                throw new UsageException($"image '{f}' does not exist.");
            }
        }

        var (description, info) = Read(modelDir);
        var entries = files.Select((f, i) => new ImageEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Path.GetFullPath(f), 0, [0], [])).ToList();
        var dataset = new ImageFileDataset(info, string.Empty, entries);
        var predictions = WithModel(modelDir, description, device, 32, trainer => trainer.Predict(dataset, Transform(description.ImageSize)));
        var rows = new List<(string, IReadOnlyList<(string, double)>)>();
        for (var i = 0; i < files.Count; i++)
        {
            var ranked = Enumerable.Range(0, info.ClassCount)
                .Select(c => (info.Classes[c], predictions.Scores[i, c]))
                .OrderByDescending(x => x.Item2)
                .Take(top)
                .ToList();
            rows.Add((files[i], ranked));
        }

        return rows;
    }

    /// <summary>Scores a split of a manifest dataset.</summary>
    /// <param name="modelDir">The folder with model.json and the checkpoint.</param>
    /// <param name="dataRoot">The manifest dataset folder.</param>
    /// <param name="split">The split name.</param>
    /// <param name="device">The device.</param>
    /// <param name="batchSize">The batch size.</param>
    /// <returns>The metrics.</returns>
    public static IReadOnlyDictionary<string, double> Evaluate(string modelDir, string dataRoot, string split, string device, int batchSize)
    {
        var (description, info) = Read(modelDir);
        if (!File.Exists(Path.Combine(dataRoot, "dataset.json")))
        {
            throw new UsageException($"'{dataRoot}' has no dataset.json; give a manifest dataset folder (causalvision export-benchmark writes one).");
        }

        var dataset = ManifestDataset.Load(dataRoot, split);
        if (!dataset.Info.Classes.SequenceEqual(info.Classes))
        {
            throw new UsageException($"the dataset's classes ({dataset.Info.ClassCount}) differ from the model's ({info.ClassCount}: {string.Join(", ", info.Classes.Take(3))}, ...).");
        }

        return WithModel(modelDir, description, device, batchSize, trainer => trainer.Evaluate(dataset, Transform(description.ImageSize)));
    }

    private static TransformPipeline Transform(int size) => new(new Resize(size, size), new Normalize());

    private static T WithModel<T>(string modelDir, Description d, string device, int batchSize, Func<ClassifierTrainer, T> body)
    {
        var checkpoint = Path.Combine(modelDir, d.Checkpoint);
        if (!File.Exists(checkpoint))
        {
            throw new UsageException($"checkpoint '{checkpoint}' does not exist.");
        }

        using var model = BackboneClassifier.Create(d.Backbone, d.Classes.Count, new BackboneOptions { ImageSize = d.ImageSize, Seed = d.Seed });
        Checkpoint.Load(checkpoint, model, optimizer: null, restoreRng: false);
        var trainer = new ClassifierTrainer(model, new TrainerOptions { Device = device, BatchSize = batchSize, Workers = 0 });
        return body(trainer);
    }

    private static (Description Description, DatasetInfo Info) Read(string modelDir)
    {
        var path = Path.Combine(modelDir, Samples.QuickStartJob.ModelFileName);
        if (!File.Exists(path))
        {
            throw new UsageException($"'{path}' does not exist; train a model first (causalvision quickstart --out {modelDir}).");
        }

        var d = JsonSerializer.Deserialize<Description>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
            ?? throw new UsageException($"'{path}' is empty.");
        if (d.Classes.Count == 0 || d.ImageSize < 1 || string.IsNullOrWhiteSpace(d.Backbone))
        {
            throw new UsageException($"'{path}' lacks backbone, classes or imageSize.");
        }

        return (d, new DatasetInfo("predict", d.Classes, [], MultiLabel: false));
    }

    private sealed record Description(string Backbone, IReadOnlyList<string> Classes, int ImageSize, int Seed, string Checkpoint);
}
