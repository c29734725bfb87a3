using BenchmarkDotNet.Attributes;
using CausalVision.Imaging;
using CausalVision.Synthetic;

namespace CausalVision.Benchmarks.Synthetic;

/// <summary>
/// Throughput of the built-in benchmark's generator: metadata only, rendering into a managed
/// buffer (per texture family), the full <c>Get</c> with its tensor, and PNG encoding.
/// Divide 1 s by the mean to read images per second per thread.
/// </summary>
[BenchmarkCategory("Synthetic")]
public class SyntheticBenchmarkRenderBenchmarks
{
    private const int Batch = 64;
    private SyntheticBenchmark bench = null!;
    private float[] buffer = null!;

    /// <summary>Gets or sets the texture family of every context.</summary>
    [Params(TextureFamily.Stripes, TextureFamily.Noise, TextureFamily.Waves)]
    public TextureFamily Family { get; set; }

    /// <summary>Builds the benchmark once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { ContextFamilies = [Family], TrainSize = Batch });
        buffer = new float[bench.Train.ImageLength];
    }

    /// <summary>Describes a batch of samples (no pixels).</summary>
    /// <returns>A checksum so the work cannot be elided.</returns>
    [Benchmark(Description = "Describe x64")]
    public int Describe()
    {
        var sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += bench.Train.Describe(i).ContextId;
        }

        return sum;
    }

    /// <summary>Renders a batch of images into one managed buffer.</summary>
    /// <returns>A checksum.</returns>
    [Benchmark(Baseline = true, Description = "Render x64")]
    public float Render()
    {
        var sum = 0f;
        for (var i = 0; i < Batch; i++)
        {
            bench.Train.Render(i, buffer);
            sum += buffer[i];
        }

        return sum;
    }

    /// <summary>Gets a batch of samples as tensors (render + copy into libtorch).</summary>
    /// <returns>A checksum.</returns>
    [Benchmark(Description = "Get x64")]
    public int Get()
    {
        var sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            using var sample = bench.Train.Get(i);
            sum += sample.Label;
        }

        return sum;
    }

    /// <summary>Renders and PNG-encodes a batch of images.</summary>
    /// <returns>The total encoded size.</returns>
    [Benchmark(Description = "Render+PNG x64")]
    public long Png()
    {
        long bytes = 0;
        for (var i = 0; i < Batch; i++)
        {
            bench.Train.Render(i, buffer);
            bytes += ImageDecoder.EncodePng(new ImageBuffer(3, 64, 64, buffer)).Length;
        }

        return bytes;
    }
}
