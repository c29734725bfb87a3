using BenchmarkDotNet.Attributes;
using CausalVision.Backbones;
using CausalVision.Data;
using CausalVision.Imaging.Transforms;
using CausalVision.Synthetic;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Training;

/// <summary>
/// One QuickStart-sized epoch through <see cref="TrainingLoop.RunEpoch"/>: ResNet-18 on 256
/// synthetic 64 px images (4 batches of 64), loader rendering on background workers or inline.
/// Divide by 256 for the per-image training cost that sets QuickStart's run time.
/// </summary>
[BenchmarkCategory("Training")]
public class TrainingLoopBenchmarks
{
    private BackboneClassifier model = null!;
    private optim.Optimizer optimizer = null!;
    private DataLoader loader = null!;
    private int epoch;

    /// <summary>Gets or sets the loader workers (0 renders on the training thread).</summary>
    [Params(0, 2)]
    public int Workers { get; set; }

    /// <summary>Builds the model, optimiser and loader once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { Seed = 1, TrainSize = 256, TestIidSize = 1, TestOodSize = 1 });
        model = BackboneClassifier.Create("resnet18", bench.Info.ClassCount, new BackboneOptions { ImageSize = 64, Seed = 0 });
        optimizer = new LeanAdam(model.parameters(), 1e-3, weight_decay: 1e-3);
        loader = new DataLoader(bench.Train, new DataLoaderOptions { BatchSize = 64, Workers = Workers, Seed = 1 }, new TransformPipeline(new HorizontalFlip(0.5), new Normalize()));
    }

    /// <summary>One epoch of 4 steps; returns the mean loss.</summary>
    /// <returns>The mean loss.</returns>
    [Benchmark(Description = "ResNet18Epoch256")]
    public double Epoch() => TrainingLoop.RunEpoch(
        model, optimizer, loader, epoch++, CPU, b => TrainingLoop.ClassificationLoss(model.call(b.Images), b, multiLabel: false)).MeanLoss;

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        optimizer.Dispose();
        model.Dispose();
    }
}
