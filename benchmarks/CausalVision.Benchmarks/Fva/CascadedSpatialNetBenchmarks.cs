using BenchmarkDotNet.Attributes;
using CausalVision.Vscnet.Fva;
using CausalVision.Runtime;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Fva;

/// <summary>
/// VSCNet stage-1 head cost on top of a backbone: the Cascaded Spatial Net's J steps (theta regression,
/// affine sampling of the feature map, GRU, tag head) plus L_AL and Adam, on precomputed backbone features
/// (ResNet-18 sized: D = 512, 12 x 12 map at 384 px). Compare with the backbone's own step time.
/// </summary>
[BenchmarkCategory("Fva")]
public class CascadedSpatialNetBenchmarks
{
    private CascadedSpatialNet net = null!;
    private FvaLoss loss = null!;
    private optim.Optimizer optimizer = null!;
    private Tensor map = null!;
    private Tensor global = null!;
    private Tensor targets = null!;
    private Tensor classLogits = null!;
    private Tensor labels = null!;

    /// <summary>Gets the devices to measure: <c>CAUSALVISION_BENCH_DEVICES</c> (comma-separated, default "cpu").</summary>
    public static IEnumerable<string> Devices => BenchmarkDevices.Values;

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the batch size.</summary>
    [Params(8, 64)]
    public int Batch { get; set; }

    /// <summary>Gets or sets the number of steps J.</summary>
    [Params(5, 10)]
    public int Steps { get; set; }

    /// <summary>Builds the head and a batch of backbone features once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        const int d = 512, tags = 446, classes = 101;
        var device = TorchRuntime.ResolveDevice(Device);
        manual_seed(0);
        net = new CascadedSpatialNet(d, tags, new FvaOptions { Steps = Steps });
        net.to(device);
        loss = new FvaLoss();
        optimizer = new LeanAdam(net.parameters(), 5e-4);
        map = randn(Batch, d, 12, 12, device: device);
        global = map.mean(new long[] { 2, 3 });
        var ids = Enumerable.Range(0, Batch).Select(b => (IReadOnlyList<int>)Enumerable.Range(0, 9).Select(i => ((b * 7) + (i * 31)) % tags).ToArray()).ToArray();
        targets = FvaLoss.SelectStepTargets(ids, Steps, tags, device);
        classLogits = randn(Batch, classes, device: device);
        labels = randint(0, classes, Batch, device: device);
    }

    /// <summary>One stage-1 training step of the head; returns L_AL so the work cannot be elided.</summary>
    /// <returns>The loss value.</returns>
    [Benchmark(Description = "CsNetTrainStep")]
    public float TrainStep()
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        using var output = net.call(global, map);
        using var terms = loss.Compute(output, classLogits, labels, targets);
        terms.Total.backward();
        optimizer.step();
        return terms.Total.item<float>();
    }

    /// <summary>Inference of the head (no gradient).</summary>
    /// <returns>A value of the tag logits.</returns>
    [Benchmark(Description = "CsNetInference")]
    public float Inference()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var output = net.call(global, map);
        return output.TagLogits[0, 0, 0].item<float>();
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        map.Dispose();
        global.Dispose();
        targets.Dispose();
        classLogits.Dispose();
        labels.Dispose();
        optimizer.Dispose();
        net.Dispose();
    }
}
