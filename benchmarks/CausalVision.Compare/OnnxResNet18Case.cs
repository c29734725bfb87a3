// Inference of the imported ML.NET ResNet-18 (ResNet18.onnx): TorchSharp (OnnxImporter) vs ONNX
// Runtime on the same weights and the same input batch.
using CausalVision.Backbones;
using CausalVision.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Compare;

/// <summary>The <c>onnx-resnet18</c> case.</summary>
internal static class OnnxResNet18Case
{
    /// <summary>
    /// <c>onnx-resnet18 --impl torchsharp|ort --batch 32 --steps 5 --warmup 2 --threads 1 [--fold-bn true] [--channels-last true] [--model PATH]</c>:
    /// one forward pass (eval, no grad) per step on a fixed random batch at 224 px; prints per-step ms.
    /// </summary>
    public static int Run(Args a)
    {
        var impl = a.String("impl", "torchsharp");
        var batch = a.Int("batch", 32);
        var steps = a.Int("steps", 5);
        var warmup = a.Int("warmup", 2);
        var threads = Math.Max(1, a.Int("threads", 1));
        var path = a.String("model", string.Empty) is { Length: > 0 } given ? given : ImageNetResNet18.FindModelPath() ?? throw new InvalidOperationException(
            $"ResNet18.onnx not found; restore the benchmarks (they download {ImageNetResNet18.PackageId} {ImageNetResNet18.PackageVersion}) or pass --model.");
        var shape = new long[] { batch, 3, 224, 224 };
        var rng = new Random(0);
        var data = new float[batch * 3 * 224 * 224];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((rng.NextDouble() * 255) - 128);
        }

        List<double> times;
        float checksum;
        string name;
        if (impl == "ort")
        {
            using var ort = new OrtResNet18(path, threads);
            float[] last = [];
            times = TimeSteps(warmup, steps, () => last = ort.Run(data, shape));
            checksum = last.Sum();
            name = $"ONNX Runtime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version!.ToString(3)}";
        }
        else
        {
            using var module = OnnxImporter.Load(path);
            module.eval();
            var fold = a.String("fold-bn", "false") == "true";
            if (fold)
            {
                module.FoldBatchNorm();
            }

            var channelsLast = a.String("channels-last", "false") == "true";
            if (channelsLast)
            {
                module.UseChannelsLast();
            }

            using var x = tensor(data, shape);
            var last = 0f;
            times = Result.TimeSteps(warmup, steps, () =>
            {
                using var _ = no_grad();
                last = module.call(x).sum().item<float>();
            });
            checksum = last;
            name = Result.TorchSharpImpl + (fold ? " (BN folded)" : string.Empty) + (channelsLast ? " (channels-last)" : string.Empty);
        }

        Result.Print(name, "forward_ms", times, new Dictionary<string, object> { ["checksum"] = checksum, ["batch"] = batch, ["threads"] = threads });
        return 0;
    }

    private static List<double> TimeSteps(int warmup, int steps, Action step)
    {
        var times = new List<double>(steps);
        for (var i = 0; i < warmup + steps; i++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            step();
            if (i >= warmup)
            {
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        return times;
    }
}
