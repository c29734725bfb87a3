using BenchmarkDotNet.Attributes;
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Runtime;

/// <summary>
/// The cost floor every model pays: one small conv-net training step (forward, backward, Adam)
/// under a dispose scope, per device. Compare with samples' per-step times.
/// </summary>
[BenchmarkCategory("Runtime")]
public class TorchStepBenchmarks
{
    private nn.Module<Tensor, Tensor> model = null!;
    private optim.Optimizer optimizer = null!;
    private Tensor x = null!;
    private Tensor y = null!;

    /// <summary>Gets the devices to measure: <c>CAUSALVISION_BENCH_DEVICES</c> (comma-separated, default "cpu").</summary>
    public static IEnumerable<string> Devices => BenchmarkDevices.Values;

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the batch size.</summary>
    [Params(32, 128)]
    public int Batch { get; set; }

    /// <summary>Builds the model and the batch once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = TorchRuntime.ResolveDevice(Device);
        manual_seed(0);
        model = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            nn.Flatten(), nn.Linear(32, 10)).to(device);
        optimizer = optim.Adam(model.parameters(), 1e-3);
        x = randn(Batch, 3, 32, 32, device: device);
        y = randint(0, 10, Batch, device: device);
    }

    /// <summary>One training step; returns the loss so the work cannot be elided.</summary>
    /// <returns>The loss value.</returns>
    [Benchmark(Description = "ConvNetTrainStep")]
    public float TrainStep()
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(x), y);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        x.Dispose();
        y.Dispose();
        optimizer.Dispose();
        model.Dispose();
    }
}
