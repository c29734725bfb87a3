using BenchmarkDotNet.Attributes;
using CausalVision.Data;
using CausalVision.Data.Layouts;
using CausalVision.Imaging;
using CausalVision.Imaging.Transforms;

namespace CausalVision.Benchmarks.Data;

/// <summary>
/// Loader throughput on generated PNGs in the generic manifest layout: one epoch (decode,
/// RandomResizedCrop + flip + normalise, collate) with and without background workers.
/// Reported time is per image (OperationsPerInvoke): images/s = 1 / mean.
/// </summary>
[BenchmarkCategory("Data")]
public class LoaderBenchmarks
{
    private const int Images = 256;
    private string root = string.Empty;
    private DataLoader loader = null!;

    /// <summary>Gets or sets the number of decode workers (0 = no prefetch).</summary>
    [Params(0, 2, 4)]
    public int Workers { get; set; }

    /// <summary>Gets or sets the side of the generated images.</summary>
    [Params(96)]
    public int Side { get; set; }

    /// <summary>Writes the PNG dataset once and builds the loader.</summary>
    [GlobalSetup]
    public void Setup()
    {
        root = Directory.CreateTempSubdirectory("cv-loader-bench-").FullName;
        var rng = new Random(0);
        var rows = new List<(string, IEnumerable<string>, IEnumerable<string>)>();
        for (var i = 0; i < Images; i++)
        {
            var image = new ImageBuffer(3, Side, Side, Enumerable.Range(0, 3 * Side * Side).Select(_ => (float)rng.NextDouble()).ToArray());
            var path = $"img/{i:D4}.png";
            ImageDecoder.SavePng(image, Path.Combine(root, path));
            rows.Add((path, [$"c{i % 10}"], [$"t{i % 7}"]));
        }

        new DatasetManifest("bench", [.. Enumerable.Range(0, 10).Select(c => $"c{c}")], [.. Enumerable.Range(0, 7).Select(t => $"t{t}")], false, new Dictionary<string, string> { ["train"] = "train.csv" }).Write(root);
        DatasetManifest.WriteSplitCsv(Path.Combine(root, "train.csv"), rows);
        var dataset = ManifestDataset.Load(root, "train");
        var transform = new TransformPipeline(new RandomResizedCrop(64), new HorizontalFlip(), new Normalize());
        loader = new DataLoader(dataset, new DataLoaderOptions { BatchSize = 32, Workers = Workers, PrefetchBatches = 8 }, transform);
    }

    /// <summary>One epoch; returns the images seen so the work cannot be elided.</summary>
    /// <returns>The number of images.</returns>
    [Benchmark(Description = "LoaderEpoch", OperationsPerInvoke = Images)]
    public int Epoch()
    {
        var seen = 0;
        foreach (var batch in loader.GetBatches(0))
        {
            using (batch)
            {
                seen += batch.Size;
            }
        }

        return seen;
    }

    /// <summary>Deletes the generated files.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
