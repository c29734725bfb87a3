using BenchmarkDotNet.Attributes;
using CausalVision.Backbones;
using CausalVision.Compare;
using CausalVision.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Onnx;

/// <summary>
/// Inference of ML.NET's ImageNet ResNet-18 (ResNet18.onnx) at 224 px: the module OnnxImporter builds
/// (as imported; and with BatchNorm folded and channels-last convolutions) vs ONNX Runtime on the same
/// file, per batch size and intra-op thread count. ONNX Runtime is the baseline (ratio = ours / ORT).
/// </summary>
[BenchmarkCategory("Onnx")]
public class OnnxResNet18Benchmarks
{
    private OnnxModule imported = null!;
    private OnnxModule optimized = null!;
    private OrtResNet18 ort = null!;
    private Tensor x = null!;
    private float[] data = [];
    private long[] shape = [];

    /// <summary>Gets or sets the batch size.</summary>
    [Params(1, 32)]
    public int Batch { get; set; }

    /// <summary>Gets or sets the intra-op threads of both runtimes.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Imports the model twice, opens the ONNX Runtime session and builds one random preprocessed batch.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var path = ImageNetResNet18.FindModelPath() ?? throw new InvalidOperationException($"Restore the benchmarks: they download {ImageNetResNet18.PackageId} {ImageNetResNet18.PackageVersion}.");
        torch.set_num_threads(Threads);
        imported = OnnxImporter.Load(path);
        imported.eval();
        optimized = OnnxImporter.Load(path);
        optimized.eval();
        optimized.FoldBatchNorm();
        optimized.UseChannelsLast();
        ort = new OrtResNet18(path, Threads);
        shape = [Batch, 3, 224, 224];
        var rng = new Random(0);
        data = new float[Batch * 3 * 224 * 224];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((rng.NextDouble() * 255) - 128);
        }

        x = tensor(data, shape);
    }

    /// <summary>ONNX Runtime (graph optimisations on: Conv+BN+ReLU fused).</summary>
    /// <returns>A checksum of the output.</returns>
    [Benchmark(Baseline = true, Description = "OnnxRuntime")]
    public float OnnxRuntime() => ort.Run(data, shape)[0];

    /// <summary>The imported module as is (NCHW, BatchNorm layers run).</summary>
    /// <returns>A checksum of the output.</returns>
    [Benchmark(Description = "TorchSharp")]
    public float TorchSharpImported()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return imported.call(x).sum().item<float>();
    }

    /// <summary>The imported module with BatchNorm folded and channels-last convolutions.</summary>
    /// <returns>A checksum of the output.</returns>
    [Benchmark(Description = "TorchSharpFoldedChannelsLast")]
    public float TorchSharpOptimized()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return optimized.call(x).sum().item<float>();
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        x.Dispose();
        imported.Dispose();
        optimized.Dispose();
        ort.Dispose();
    }
}
