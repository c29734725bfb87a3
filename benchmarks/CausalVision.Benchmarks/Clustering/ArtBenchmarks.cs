using BenchmarkDotNet.Attributes;
using CausalVision.Clustering.Art;
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Clustering;

/// <summary>
/// AM-ART fit throughput: the tensor path (category search over all clusters as one vectorised op
/// per sample) against the authors' per-sample, per-cluster loop on double[]. Each benchmark
/// presents <see cref="Samples"/> samples and is normalised per sample (OperationsPerInvoke), so
/// samples/s = 1e9 / (reported ns). The number of clusters grows with the data (vigilance 0.85 on
/// uniform noise makes hundreds), which is where the vectorised search pays.
/// </summary>
[BenchmarkCategory("Clustering", "Art")]
public class ArtBenchmarks
{
    /// <summary>Samples presented per invocation.</summary>
    public const int Samples = 1000;

    private Tensor data = null!;
    private double[][] rows = null!;
    private ArtOptions options = null!;

    /// <summary>Gets the devices to run on: CPU, plus CUDA when present.</summary>
    public static IEnumerable<string> Devices => torch.cuda.is_available() ? new[] { "cpu", "cuda" } : new[] { "cpu" };

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the raw feature dimension D (weights are 2D wide).</summary>
    [Params(16, 256)]
    public int Dim { get; set; }

    /// <summary>Builds the data once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.EnsureAvailable();
        var rng = new Random(0);
        rows = Enumerable.Range(0, Samples).Select(_ => Enumerable.Range(0, Dim).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        data = tensor(rows.SelectMany(r => r).Select(v => (float)v).ToArray(), new long[] { Samples, Dim });
        options = new ArtOptions { Vigilance = 0.85, Sigma = 5e-6, Beta = 0.6, Alpha = 0.01 };
    }

    /// <summary>Batched AM-ART on tensors.</summary>
    /// <returns>The number of clusters.</returns>
    [Benchmark(Description = "AmArt-Tensor", OperationsPerInvoke = Samples)]
    public int Tensor()
    {
        using var art = new FuzzyArt(options, TorchRuntime.ResolveDevice(Device));
        art.Fit(data);
        return art.ClusterCount;
    }

    /// <summary>The naive per-cluster loop (CPU, managed).</summary>
    /// <returns>The number of clusters.</returns>
    [Benchmark(Baseline = true, Description = "AmArt-NaiveLoop", OperationsPerInvoke = Samples)]
    public int Naive()
    {
        var art = new NaiveFuzzyArt(options);
        art.Fit(rows);
        return art.ClusterCount;
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => data.Dispose();
}
