using BenchmarkDotNet.Attributes;
using CausalVision.Clustering.KMeans;
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;

namespace CausalVision.Benchmarks.Clustering;

/// <summary>
/// K-means for the confounder dictionary (paper B): N x 512 features, K = 80. "AssignmentPass" is
/// the per-iteration cost (chunked distances + argmin over all rows, what a Lloyd iteration does
/// besides the cheap centre update); "FitToTolerance" is k-means++ plus Lloyd to tolerance 1e-4;
/// "MiniBatchFit" is the streaming-capable variant (batch 1024, 3 epochs).
/// </summary>
[BenchmarkCategory("Clustering", "KMeans")]
public class KMeansBenchmarks
{
    private Tensor data = null!;
    private KMeansModel fitted = null!;

    /// <summary>Gets the devices to run on: CPU, plus CUDA when present.</summary>
    public static IEnumerable<string> Devices => torch.cuda.is_available() ? new[] { "cpu", "cuda" } : new[] { "cpu" };

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the number of rows N (100k is the paper-sized case; 10k is a quick one).</summary>
    [Params(10_000, 100_000)]
    public int Rows { get; set; }

    /// <summary>Gets or sets the feature dimension.</summary>
    [Params(512)]
    public int Dim { get; set; }

    /// <summary>Gets or sets K.</summary>
    [Params(80)]
    public int K { get; set; }

    /// <summary>Builds blob data (K Gaussian clusters) and one fitted model.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = TorchRuntime.ResolveDevice(Device);
        manual_seed(0);
        using var scope = NewDisposeScope();
        var centres = randn(K, Dim) * 3;
        var which = randint(0, K, Rows);
        data = (centres.index_select(0, which) + randn(Rows, Dim)).to(device).DetachFromDisposeScope();
        fitted = new KMeansModel(new KMeansOptions { Clusters = K, MaxIterations = 2 }, device).Fit(data);
    }

    /// <summary>One assignment pass over all rows (the per-iteration cost).</summary>
    /// <returns>The inertia.</returns>
    [Benchmark(Description = "AssignmentPass")]
    public double AssignmentPass() => fitted.Score(data);

    /// <summary>k-means++ and Lloyd iterations to tolerance.</summary>
    /// <returns>The number of iterations.</returns>
    [Benchmark(Description = "FitToTolerance")]
    public int FitToTolerance()
    {
        using var km = new KMeansModel(new KMeansOptions { Clusters = K, Tolerance = 1e-4 }, TorchRuntime.ResolveDevice(Device)).Fit(data);
        return km.Iterations;
    }

    /// <summary>Mini-batch K-means, 3 epochs of batch 1024.</summary>
    /// <returns>The inertia.</returns>
    [Benchmark(Description = "MiniBatchFit")]
    public double MiniBatchFit()
    {
        using var km = new KMeansModel(new KMeansOptions { Clusters = K, BatchSize = 1024, MiniBatchEpochs = 3 }, TorchRuntime.ResolveDevice(Device)).FitMiniBatch(data);
        return km.Inertia;
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        fitted.Dispose();
        data.Dispose();
    }
}
