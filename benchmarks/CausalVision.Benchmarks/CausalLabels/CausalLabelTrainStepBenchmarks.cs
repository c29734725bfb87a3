using BenchmarkDotNet.Attributes;
using CausalVision.CausalLabels;
using CausalVision.Runtime;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.CausalLabels;

/// <summary>
/// The training step (forward, BCE, backward, AdamW step) of the causal label
/// head with the intervention (stage 3) against the same head without it (the "Decouple" baseline
/// decoder, stage 1), so the Ratio column is the step-time cost of the intervention. Backbone
/// excluded (its cost is the same in both). Memory note: MemoryDiagnoser sees managed memory only;
/// the batched intervention holds [B K, L, d] activations for backward.
/// </summary>
[BenchmarkCategory("CausalLabels")]
public class CausalLabelTrainStepBenchmarks
{
    private const int Batch = 8;
    private const int Tokens = 49;
    private const int InputDim = 512;
    private const int Dim = 128;
    private const int Heads = 4;

    private CausalLabelHead causalHead = null!;
    private CausalLabelHead decoupleHead = null!;
    private optim.Optimizer causalOptimizer = null!;
    private optim.Optimizer decoupleOptimizer = null!;
    private Tensor tokens = null!;
    private Tensor targets = null!;

    /// <summary>Gets the devices to measure: <c>CAUSALVISION_BENCH_DEVICES</c> (comma-separated, default "cpu").</summary>
    public static IEnumerable<string> Devices => BenchmarkDevices.Values;

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the number of confounders K.</summary>
    [Params(20, 80)]
    public int K { get; set; }

    /// <summary>Gets or sets the number of labels L.</summary>
    [Params(20, 80)]
    public int Labels { get; set; }

    /// <summary>Builds both heads, their optimisers, a dictionary and a batch once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = TorchRuntime.ResolveDevice(Device);
        manual_seed(0);
        var options = new CausalLabelOptions
        {
            NumLabels = Labels, InputDim = InputDim, ModelDim = Dim, Heads = Heads,
            FeedForwardDim = 4 * Dim, NumConfounders = K, ConfounderDim = InputDim,
        };
        using var dictionary = ConfounderDictionary.Random(K, InputDim, seed: 1);
        causalHead = new CausalLabelHead(options);
        causalHead.SetDictionary(dictionary);
        causalHead.to(device).train();
        options.UseIntervention = false;
        decoupleHead = new CausalLabelHead(options);
        decoupleHead.to(device).train();
        causalOptimizer = new LeanAdamW(causalHead.parameters(), 1e-4);
        decoupleOptimizer = new LeanAdamW(decoupleHead.parameters(), 1e-4);
        tokens = randn(Batch, Tokens, InputDim, device: device);
        targets = (rand(Batch, Labels, device: device) > 0.8).to(float32);
    }

    /// <summary>One stage-1 step of the Decouple head (the baseline decoder).</summary>
    /// <returns>The loss.</returns>
    [Benchmark(Baseline = true, Description = "TrainStepDecouple")]
    public float DecoupleStep() => Step(decoupleHead, decoupleOptimizer);

    /// <summary>One stage-3 step of the head with the batched intervention.</summary>
    /// <returns>The loss.</returns>
    [Benchmark(Description = "TrainStepCausal")]
    public float CausalStep() => Step(causalHead, causalOptimizer);

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        causalOptimizer.Dispose();
        decoupleOptimizer.Dispose();
        causalHead.Dispose();
        decoupleHead.Dispose();
        tokens.Dispose();
        targets.Dispose();
    }

    private float Step(CausalLabelHead head, optim.Optimizer optimizer)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = CausalLabelTrainer.ComputeLoss(head.call(tokens), targets, MultiLabelLoss.BinaryCrossEntropy);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }
}
