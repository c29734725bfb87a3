using BenchmarkDotNet.Attributes;
using CausalVision.Graph.Cim;
using CausalVision.Graph.Hetero;
using CausalVision.Runtime;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Cim;

/// <summary>
/// One CIM training step (VSCNet eq. 10-13: masks, two GCN branches, three heads, random-permutation
/// intervention, L_gf, backward, Adam) at B = 64 graphs of N = 29 nodes (10 regions + 9 tags +
/// 10 prototypes), D = 256 node features, H = 128, C = 101 (Ingredient-101), plus the evaluation
/// forward. Paper options (L2, linear heads) vs CAL's (CE, MLP heads).
/// </summary>
[BenchmarkCategory("Cim")]
public class CimStepBenchmarks
{
    private const int Batch = 64;
    private const int Regions = 10;
    private const int Tags = 9;
    private const int Prototypes = 10;
    private const int NodeFeatures = 256;
    private const int Classes = 101;

    private CimModule cim = null!;
    private CimLoss loss = null!;
    private optim.Optimizer optimizer = null!;
    private HeteroGraphBatch graph = null!;
    private Tensor labels = null!;

    /// <summary>Gets the devices to measure: <c>CAUSALVISION_BENCH_DEVICES</c> (comma-separated, default "cpu").</summary>
    public static IEnumerable<string> Devices => BenchmarkDevices.Values;

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the recipe ("paper" or "cal").</summary>
    [Params("paper", "cal")]
    public string Recipe { get; set; } = "paper";

    /// <summary>Builds the module, optimiser and a random VSE-shaped batch once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = TorchRuntime.ResolveDevice(Device);
        manual_seed(0);
        var options = Recipe == "cal" ? CimOptions.Cal(NodeFeatures, Classes) : new CimOptions { InFeatures = NodeFeatures, Classes = Classes };
        options.Seed = 0;
        cim = new CimModule(options, device);
        loss = new CimLoss(options);
        optimizer = new LeanAdam(cim.parameters(), 1e-3);
        const int n = Regions + Tags + Prototypes;
        using var scope = NewDisposeScope();
        var types = cat(new[]
        {
            full(Regions, (long)NodeType.Region, ScalarType.Int64),
            full(Tags, (long)NodeType.Tag, ScalarType.Int64),
            full(Prototypes, (long)NodeType.Prototype, ScalarType.Int64),
        }).unsqueeze(0).expand(Batch, n).contiguous();
        var upper = (rand(Batch, n, n) * rand(Batch, n, n).lt(0.3)).triu(1);
        var adj = upper + upper.transpose(1, 2);
        graph = new HeteroGraphBatch(randn(Batch, n, NodeFeatures).to(device), types.to(device), adj.to(device), requireSymmetric: true);
        foreach (var t in new[] { graph.X, graph.NodeTypes, graph.Adjacency, graph.Mask })
        {
            t.MoveToOuterDisposeScope();
        }

        labels = randint(0, Classes, Batch, device: device).MoveToOuterDisposeScope();
    }

    /// <summary>Forward, L_gf, backward and an Adam step.</summary>
    /// <returns>The loss value.</returns>
    [Benchmark(Description = "CimTrainStep")]
    public float TrainStep()
    {
        using var scope = NewDisposeScope();
        cim.train();
        optimizer.zero_grad();
        using var output = cim.call(graph);
        using var result = loss.Compute(output, labels);
        result.Total.backward();
        optimizer.step();
        return result.Total.item<float>();
    }

    /// <summary>Evaluation forward (no intervention, no gradients).</summary>
    /// <returns>A checksum.</returns>
    [Benchmark(Description = "CimEvalForward")]
    public float EvalForward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        cim.eval();
        using var output = cim.call(graph);
        return output.CausalLogits.sum().item<float>();
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        graph.Dispose();
        labels.Dispose();
        optimizer.Dispose();
        cim.Dispose();
    }
}
