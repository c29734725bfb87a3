using BenchmarkDotNet.Attributes;
using CausalVision.Backbones;
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using Registry = CausalVision.Backbones.BackboneRegistry;

namespace CausalVision.Benchmarks.Backbones;

/// <summary>
/// Backbone forward and forward+backward per batch size at 64x64 (the built-in benchmark's image
/// size), per device. Compare with a training step's budget: the loader must keep up with this.
/// </summary>
[BenchmarkCategory("Backbones")]
public class BackboneBenchmarks
{
    private Backbone model = null!;
    private Tensor x = null!;

    /// <summary>Gets the devices to measure: <c>CAUSALVISION_BENCH_DEVICES</c> (comma-separated, default "cpu").</summary>
    public static IEnumerable<string> Devices => BenchmarkDevices.Values;

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the registered backbone name.</summary>
    [Params("resnet18", "vit_tiny_patch16")]
    public string Backbone { get; set; } = "resnet18";

    /// <summary>Gets or sets the batch size.</summary>
    [Params(16, 64)]
    public int Batch { get; set; }

    /// <summary>Builds the backbone (64 px, CIFAR-style stem for ResNets) and the batch once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = TorchRuntime.ResolveDevice(Device);
        model = Registry.Create(Backbone, new BackboneOptions { ImageSize = 64, SmallInputStem = true, Seed = 0 });
        model.to(device);
        model.CheckFiniteInput = false;
        manual_seed(0);
        x = rand(Batch, 3, 64, 64, device: device);
    }

    /// <summary>Training-mode forward and backward of a scalar loss on the pooled feature and the map.</summary>
    /// <returns>The loss value.</returns>
    [Benchmark(Description = "ForwardBackward")]
    public float ForwardBackward()
    {
        model.train();
        using var scope = NewDisposeScope();
        model.zero_grad();
        var f = model.call(x);
        var loss = f.Pooled.pow(2).mean() + f.Map.mean();
        loss.backward();
        return loss.item<float>();
    }

    /// <summary>Eval-mode forward without gradients (inference / feature extraction).</summary>
    /// <returns>A checksum of the pooled feature.</returns>
    [Benchmark(Description = "ForwardEval")]
    public float ForwardEval()
    {
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.call(x).Pooled.sum().item<float>();
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        x.Dispose();
        model.Dispose();
    }
}
