using BenchmarkDotNet.Attributes;
using CausalVision.Graph.Conv;
using CausalVision.Runtime;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Graph;

/// <summary>
/// Dense (bmm over [B, N, N]) vs sparse (COO edge list over the block-diagonal batch) GCN
/// propagation (Kipf &amp; Welling eq. 2) at B = 64 and N in {16, 64, 256}, forward and
/// forward + backward, on a random symmetric graph with about 8 neighbours per node
/// (density 8 / N) — the regime of VSCNet's region/tag/prototype graphs.
/// </summary>
[BenchmarkCategory("Graph")]
public class GcnConvBenchmarks
{
    private GcnConv dense = null!;
    private GcnConv sparse = null!;
    private Tensor x = null!;
    private Tensor adj = null!;
    private Tensor mask = null!;

    /// <summary>Gets the devices to measure: <c>CAUSALVISION_BENCH_DEVICES</c> (comma-separated, default "cpu").</summary>
    public static IEnumerable<string> Devices => BenchmarkDevices.Values;

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the node count per graph.</summary>
    [Params(16, 64, 256)]
    public int Nodes { get; set; }

    /// <summary>Gets the batch size.</summary>
    public int Batch => 64;

    /// <summary>Builds the layers and a padded random batch once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = TorchRuntime.ResolveDevice(Device);
        manual_seed(0);
        dense = new GcnConv(64, 64, propagation: GcnPropagation.Dense, device: device) { CheckContents = false };
        sparse = new GcnConv(64, 64, propagation: GcnPropagation.Sparse, device: device) { CheckContents = false };
        sparse.load_state_dict(dense.state_dict());
        using var scope = NewDisposeScope();
        var density = Math.Min(1.0, 8.0 / Nodes);
        var upper = (rand(Batch, Nodes, Nodes) * rand(Batch, Nodes, Nodes).lt(density / 2)).triu(1);
        adj = (upper + upper.transpose(1, 2)).to(device).MoveToOuterDisposeScope();
        x = randn(Batch, Nodes, 64).to(device).requires_grad_(true).MoveToOuterDisposeScope();
        mask = ones(new long[] { Batch, Nodes }, ScalarType.Bool).to(device).MoveToOuterDisposeScope();
    }

    /// <summary>Dense forward.</summary>
    /// <returns>A checksum so the work cannot be elided.</returns>
    [Benchmark(Baseline = true, Description = "GcnDenseForward")]
    public float DenseForward() => Forward(dense, backward: false);

    /// <summary>Sparse forward.</summary>
    /// <returns>A checksum.</returns>
    [Benchmark(Description = "GcnSparseForward")]
    public float SparseForward() => Forward(sparse, backward: false);

    /// <summary>Dense forward + backward.</summary>
    /// <returns>A checksum.</returns>
    [Benchmark(Description = "GcnDenseForwardBackward")]
    public float DenseForwardBackward() => Forward(dense, backward: true);

    /// <summary>Sparse forward + backward.</summary>
    /// <returns>A checksum.</returns>
    [Benchmark(Description = "GcnSparseForwardBackward")]
    public float SparseForwardBackward() => Forward(sparse, backward: true);

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        x.Dispose();
        adj.Dispose();
        mask.Dispose();
        dense.Dispose();
        sparse.Dispose();
    }

    private float Forward(GcnConv conv, bool backward)
    {
        using var scope = NewDisposeScope();
        if (!backward)
        {
            using var noGrad = no_grad();
            return conv.call(x, adj, mask).sum().item<float>();
        }

        conv.zero_grad();
        x.grad?.zero_();
        var loss = conv.call(x, adj, mask).square().mean();
        loss.backward();
        return loss.item<float>();
    }
}
