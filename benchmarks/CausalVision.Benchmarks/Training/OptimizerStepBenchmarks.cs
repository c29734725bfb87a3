using BenchmarkDotNet.Attributes;
using CausalVision.Backbones;
using CausalVision.Runtime;
using CausalVision.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Training;

/// <summary>
/// One optimiser step over ResNet-18's 11.2 M parameters with fixed gradients: TorchSharp's stock Adam/AdamW
/// (every parameter's temporaries alive until the step ends) against <see cref="LeanAdam"/>/<see cref="LeanAdamW"/>
/// (the same update, bit for bit, with per-parameter temporaries). The user-level view is the ResNet-18 row of
/// <c>./build.sh compare</c>.
/// </summary>
[BenchmarkCategory("Training", "Optimizer")]
public class OptimizerStepBenchmarks
{
    private BackboneClassifier model = null!;
    private optim.Optimizer optimizer = null!;

    /// <summary>Gets or sets the implementation: <c>stock</c> (TorchSharp) or <c>lean</c> (CausalVision).</summary>
    [Params("stock", "lean")]
    public string Implementation { get; set; } = "lean";

    /// <summary>Gets or sets the algorithm: <c>adam</c> (L2 weight decay 1e-3) or <c>adamw</c> (decoupled 1e-2).</summary>
    [Params("adam", "adamw")]
    public string Algorithm { get; set; } = "adam";

    /// <summary>Gets the devices to measure: <c>CAUSALVISION_BENCH_DEVICES</c> (comma-separated, default "cpu").</summary>
    public static IEnumerable<string> Devices => BenchmarkDevices.Values;

    /// <summary>Gets or sets the device (<c>cpu</c>, <c>cuda</c>).</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Builds the model with random gradients and the optimiser once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = TorchRuntime.ResolveDevice(Device);
        model = BackboneClassifier.Create("resnet18", 10, new BackboneOptions { Seed = 0 });
        TrainingLoop.MoveTo(model, device);
        manual_seed(0);
        foreach (var p in model.parameters())
        {
            p.grad = randn_like(p);
        }

        var ps = model.parameters();
        optimizer = (Implementation, Algorithm) switch
        {
            ("stock", "adam") => optim.Adam(ps, 1e-3, weight_decay: 1e-3),
            ("stock", _) => optim.AdamW(ps, 1e-3, weight_decay: 1e-2),
            (_, "adam") => new LeanAdam(ps, 1e-3, weight_decay: 1e-3),
            _ => new LeanAdamW(ps, 1e-3, weight_decay: 1e-2),
        };
    }

    /// <summary>One step; returns the first weight's first value so the work cannot be elided.</summary>
    /// <returns>A parameter value.</returns>
    [Benchmark(Description = "ResNet18AdamStep")]
    public float Step()
    {
        optimizer.step();
        using var first = model.parameters().First().flatten();
        using var value = first[0];
        return value.item<float>();
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        optimizer.Dispose();
        model.Dispose();
    }
}
