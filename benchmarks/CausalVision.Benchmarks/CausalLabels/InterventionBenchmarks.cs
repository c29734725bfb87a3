using BenchmarkDotNet.Attributes;
using CausalVision.CausalLabels;
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.CausalLabels;

/// <summary>
/// Cost of paper B's confounder intervention vs K (confounders) and L (labels): the batched pass
/// (K folded into the batch) against the per-confounder C# loop, and the whole head with and
/// without the intervention (the "Decouple"-only baseline), inference mode.
/// Memory note: the batched pass holds [B K, L, d] keys/values; MemoryDiagnoser sees managed memory only.
/// </summary>
[BenchmarkCategory("CausalLabels")]
public class InterventionBenchmarks
{
    private const int Batch = 2;
    private const int Tokens = 49;
    private const int InputDim = 512;
    private const int Dim = 128;
    private const int Heads = 4;

    private ConfounderIntervention intervention = null!;
    private CausalLabelHead head = null!;
    private CausalLabelHead baselineHead = null!;
    private Tensor features = null!;
    private Tensor queries = null!;
    private Tensor tokens = null!;

    /// <summary>Gets the devices to measure: <c>CAUSALVISION_BENCH_DEVICES</c> (comma-separated, default "cpu").</summary>
    public static IEnumerable<string> Devices => BenchmarkDevices.Values;

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the number of confounders K.</summary>
    [Params(20, 40, 60, 80, 100)]
    public int K { get; set; }

    /// <summary>Gets or sets the number of labels L.</summary>
    [Params(20, 80, 1000)]
    public int Labels { get; set; }

    /// <summary>Builds the modules, a random dictionary and inputs once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = TorchRuntime.ResolveDevice(Device);
        manual_seed(0);
        var options = new CausalLabelOptions
        {
            NumLabels = Labels, InputDim = InputDim, ModelDim = Dim, Heads = Heads,
            FeedForwardDim = 4 * Dim, NumConfounders = K,
        };
        using var dictionary = ConfounderDictionary.Random(K, Dim, seed: 1);
        head = new CausalLabelHead(options);
        head.SetDictionary(dictionary);
        head.to(device).eval();
        options.UseIntervention = false;
        baselineHead = new CausalLabelHead(options);
        baselineHead.to(device).eval();
        intervention = new ConfounderIntervention(Labels, Dim, Heads, K);
        intervention.SetDictionary(dictionary.Centres, dictionary.Prior);
        intervention.to(device).eval();
        features = randn(Batch, Labels, Dim, device: device);
        queries = randn(Labels, Dim, device: device);
        tokens = randn(Batch, Tokens, InputDim, device: device);
    }

    /// <summary>All K confounders in one batched pass.</summary>
    /// <returns>A checksum so the work cannot be elided.</returns>
    [Benchmark(Baseline = true, Description = "InterventionBatched")]
    public float InterventionBatched()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return intervention.call(features, queries).sum().item<float>();
    }

    /// <summary>The reference: a C# loop over the K confounders.</summary>
    /// <returns>A checksum.</returns>
    [Benchmark(Description = "InterventionPerConfounderLoop")]
    public float InterventionPerConfounder()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return intervention.ForwardPerConfounder(features, queries).sum().item<float>();
    }

    /// <summary>The whole head: decoder, baseline and intervention.</summary>
    /// <returns>A checksum.</returns>
    [Benchmark(Description = "HeadWithIntervention")]
    public float HeadForward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return head.call(tokens).sum().item<float>();
    }

    /// <summary>The head without the intervention ("Decouple" only): the cost baseline.</summary>
    /// <returns>A checksum.</returns>
    [Benchmark(Description = "HeadDecoupleOnly")]
    public float BaselineHeadForward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return baselineHead.call(tokens).sum().item<float>();
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        features.Dispose();
        queries.Dispose();
        tokens.Dispose();
        intervention.Dispose();
        head.Dispose();
        baselineHead.Dispose();
    }
}
