using BenchmarkDotNet.Attributes;
using CausalVision.Clustering.Art;
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Clustering;

/// <summary>
/// AM-ART fit throughput (target: the batched path &gt;= 10x the naive loop):
/// the authors' per-sample, per-cluster loop on double[] (<see cref="NaiveFuzzyArt"/>, baseline)
/// against the SIMD managed kernel (<see cref="VectorizedFuzzyArt"/>, the CPU default) and the
/// tensor path (<see cref="FuzzyArt"/>, one set of TorchSharp ops per sample).
/// </summary>
/// <remarks>
/// Each benchmark fits <see cref="Samples"/> samples and is normalised per sample
/// (OperationsPerInvoke), so samples/s = 1e9 / (reported ns). Data: 100 random centres in [0, 1]^D,
/// each sample a centre plus uniform noise of +-0.1 per feature (clipped), AM-ART with rho0 = 0.85 and
/// the authors' alpha, beta, sigma: this makes a few hundred clusters (about 330 at D = 64). The naive
/// and vectorised models give identical clusterings (asserted in the tests); the <see cref="Device"/>
/// parameter applies to the tensor path only (the managed ones always run on the CPU).
/// Run it short, e.g. <c>--filter '*ArtBenchmarks*' --job short</c>: one naive invocation takes seconds.
/// </remarks>
[BenchmarkCategory("Clustering", "Art")]
public class ArtBenchmarks
{
    /// <summary>Samples presented per invocation (N).</summary>
    public const int Samples = 5000;

    private Tensor data = null!;
    private double[][] rows = null!;
    private ArtOptions options = null!;

    /// <summary>Gets the devices for the tensor path: CPU, plus CUDA when present.</summary>
    public static IEnumerable<string> Devices => torch.cuda.is_available() ? new[] { "cpu", "cuda" } : new[] { "cpu" };

    /// <summary>Gets or sets the device of the tensor path ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the raw feature dimension D (weights are 2D wide).</summary>
    [Params(64, 256)]
    public int Dim { get; set; }

    /// <summary>Builds the data once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.EnsureAvailable();
        var rng = new Random(0);
        var centres = Enumerable.Range(0, 100).Select(_ => Enumerable.Range(0, Dim).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        rows = Enumerable.Range(0, Samples)
            .Select(_ => centres[rng.Next(centres.Length)].Select(v => Math.Clamp(v + (0.1 * ((2 * rng.NextDouble()) - 1)), 0, 1)).ToArray())
            .ToArray();
        data = tensor(rows.SelectMany(r => r).Select(v => (float)v).ToArray(), new long[] { Samples, Dim });
        options = new ArtOptions { Vigilance = 0.85, Sigma = 5e-6, Beta = 0.6, Alpha = 0.01 };
    }

    /// <summary>The naive per-cluster loop (CPU, managed, float64): the reference.</summary>
    /// <returns>The number of clusters.</returns>
    [Benchmark(Baseline = true, Description = "AmArt-NaiveLoop", OperationsPerInvoke = Samples)]
    public int Naive()
    {
        var art = new NaiveFuzzyArt(options);
        art.Fit(rows);
        return art.ClusterCount;
    }

    /// <summary>The SIMD managed kernel (CPU, float64, same clustering as the naive loop).</summary>
    /// <returns>The number of clusters.</returns>
    [Benchmark(Description = "AmArt-Vectorized", OperationsPerInvoke = Samples)]
    public int Vectorized()
    {
        var art = new VectorizedFuzzyArt(options);
        art.Fit(rows);
        return art.ClusterCount;
    }

    /// <summary>The tensor path on <see cref="Device"/> (float32).</summary>
    /// <returns>The number of clusters.</returns>
    [Benchmark(Description = "AmArt-Tensor", OperationsPerInvoke = Samples)]
    public int Tensor()
    {
        using var art = new FuzzyArt(options, TorchRuntime.ResolveDevice(Device));
        art.Fit(data);
        return art.ClusterCount;
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => data.Dispose();
}
