// Loads the training and evaluation splits of every supported on-disk layout (and the
// in-memory synthetic benchmark) behind one call, with layout-specific split defaults.
using CausalVision.Data;
using CausalVision.Data.Layouts;
using CausalVision.Synthetic;

namespace CausalVision.Samples.Train;

/// <summary>The splits a run trains and evaluates on.</summary>
/// <param name="Train">The training split.</param>
/// <param name="Test">The evaluation split (its metrics go into metrics.json as "test").</param>
/// <param name="ExtraTests">More evaluation splits (e.g. the synthetic test_ood), evaluated after training.</param>
/// <param name="DefaultImageSize">The image side used when --image-size is not given.</param>
/// <param name="FixedSize">Whether all images already share one size (no crop augmentation needed).</param>
public sealed record LoadedData(IImageDataset Train, IImageDataset Test, IReadOnlyDictionary<string, IImageDataset> ExtraTests, int DefaultImageSize, bool FixedSize);

/// <summary>The dataset layouts of <c>--layout</c>.</summary>
public static class DatasetLayouts
{
    /// <summary>The layout names.</summary>
    public static readonly IReadOnlyList<string> Names = ["manifest", "folder", "food101", "nuswide", "coco", "deepfashion", "mnist", "synthetic"];

    /// <summary>Loads the splits named by the arguments.</summary>
    /// <param name="a">The arguments.</param>
    /// <returns>The data.</returns>
    /// <exception cref="UsageException">Unknown layout, missing --data or a missing path.</exception>
    public static LoadedData Load(TrainArguments a)
    {
        if (!Names.Contains(a.Layout))
        {
            throw new UsageException($"unknown layout '{a.Layout}'; use one of: {string.Join(", ", Names)}.");
        }

        if (a.Layout == "synthetic")
        {
            return Synthetic(a);
        }

        if (string.IsNullOrWhiteSpace(a.Data))
        {
            throw new UsageException($"--data is required for --layout {a.Layout}.");
        }

        if (!Directory.Exists(a.Data) && !File.Exists(a.Data))
        {
            throw new UsageException($"data path '{a.Data}' does not exist.");
        }

        var root = File.Exists(a.Data) ? Path.GetDirectoryName(Path.GetFullPath(a.Data))! : a.Data;
        switch (a.Layout)
        {
            case "manifest":
            {
                var manifest = DatasetManifest.Read(root);
                var trainSplit = a.SplitTrain ?? "train";
                var testSplit = a.SplitTest ?? new[] { "test", "test_iid", "val", "validation" }.FirstOrDefault(manifest.Splits.ContainsKey)
                    ?? throw new UsageException($"manifest '{root}' has splits {string.Join(", ", manifest.Splits.Keys)}; choose the evaluation split with --split-test.");
                var extra = new Dictionary<string, IImageDataset>();
                if (a.SplitTest is null && testSplit == "test_iid" && manifest.Splits.ContainsKey("test_ood"))
                {
                    extra["test_ood"] = ManifestDataset.Load(root, "test_ood");
                }

                return new(ManifestDataset.Load(root, trainSplit), ManifestDataset.Load(root, testSplit), extra, 224, false);
            }

            case "folder":
            {
                var train = Path.Combine(root, a.SplitTrain ?? "train");
                var test = Path.Combine(root, a.SplitTest ?? "test");
                if (!Directory.Exists(train) || !Directory.Exists(test))
                {
                    throw new UsageException($"the folder layout expects '{train}' and '{test}', each with one sub-folder per class (choose other names with --split-train/--split-test).");
                }

                return new(ImageFolderDataset.Load(train), ImageFolderDataset.Load(test), Empty, 224, false);
            }

            case "food101":
                return new(Food101Dataset.Load(root, a.SplitTrain ?? "train"), Food101Dataset.Load(root, a.SplitTest ?? "test"), Empty, 224, false);
            case "nuswide":
                return new(NusWideDataset.Load(root, a.SplitTrain ?? "train"), NusWideDataset.Load(root, a.SplitTest ?? "test"), Empty, 224, false);
            case "deepfashion":
                return new(DeepFashionDataset.Load(root, a.SplitTrain ?? "train"), DeepFashionDataset.Load(root, a.SplitTest ?? "test"), Empty, 224, false);
            case "coco":
            {
                IImageDataset Coco(string split) =>
                    CocoDataset.Load(Path.Combine(root, "annotations", $"instances_{split}.json"), Path.Combine(root, split));
                return new(Coco(a.SplitTrain ?? "train2017"), Coco(a.SplitTest ?? "val2017"), Empty, 224, false);
            }

            default: // mnist
            {
                IImageDataset Mnist(string? split, bool train) => split switch
                {
                    null => MnistDataset.Load(root, train, new MnistOptions { Channels = 3 }),
                    "train" => MnistDataset.Load(root, true, new MnistOptions { Channels = 3 }),
                    "test" or "t10k" => MnistDataset.Load(root, false, new MnistOptions { Channels = 3 }),
                    _ => throw new UsageException($"mnist splits are 'train' and 'test' (t10k), got '{split}'."),
                };
                return new(Mnist(a.SplitTrain, true), Mnist(a.SplitTest, false), Empty, 32, true);
            }
        }
    }

    private static readonly IReadOnlyDictionary<string, IImageDataset> Empty = new Dictionary<string, IImageDataset>();

    /// <summary>The synthetic benchmark options the arguments imply (seed; --train-limit / --test-limit as split sizes).</summary>
    /// <param name="a">The arguments.</param>
    /// <returns>The options.</returns>
    public static SyntheticBenchmarkOptions SyntheticOptions(TrainArguments a)
    {
        var options = new SyntheticBenchmarkOptions { Seed = a.Seed, MultiLabel = a.MultiLabel };
        if (a.MultiLabel)
        {
            options.Name = "synthetic-objects";
        }

        options.TrainSize = a.TrainLimit ?? options.TrainSize;
        options.TestIidSize = options.TestOodSize = a.TestLimit ?? options.TestIidSize;
        return options;
    }

    private static LoadedData Synthetic(TrainArguments a)
    {
        var bench = SyntheticBenchmark.Generate(SyntheticOptions(a));
        IImageDataset Split(string name) => name switch
        {
            "train" => bench.Train,
            "test_iid" => bench.TestIid,
            "test_ood" => bench.TestOod,
            _ => throw new UsageException($"synthetic splits are train, test_iid and test_ood, got '{name}'."),
        };
        var test = a.SplitTest ?? "test_iid";
        var extra = new Dictionary<string, IImageDataset>();
        if (test == "test_iid")
        {
            extra["test_ood"] = bench.TestOod;
        }

        return new(Split(a.SplitTrain ?? "train"), Split(test), extra, bench.Options.ImageSize, true);
    }
}

/// <summary>The first <c>count</c> samples of a dataset (for <c>--train-limit</c>).</summary>
/// <param name="inner">The dataset.</param>
/// <param name="count">How many samples to keep.</param>
public sealed class PrefixDataset(IImageDataset inner, int count) : IRawImageDataset
{
    public DatasetInfo Info => inner.Info;

    public int Count { get; } = Math.Min(count, inner.Count);

    public string GetId(int index) => inner is IRawImageDataset r ? r.GetId(Check(index)) : $"#{Check(index)}";

    public RawImageSample GetRaw(int index)
    {
        if (inner is IRawImageDataset r)
        {
            return r.GetRaw(Check(index));
        }

        using var sample = inner.Get(Check(index));
        return new RawImageSample(sample.Id, Imaging.ImageBuffer.FromTensor(sample.Image), sample.Label, sample.Labels, sample.Tags);
    }

    public ImageSample Get(int index) => inner.Get(Check(index));

    private int Check(int index) => (uint)index < (uint)Count ? index : throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in [0, {Count}).");
}
