// Inference of the imported ML.NET ResNet-18 (ResNet18.onnx): TorchSharp (OnnxImporter) vs ONNX
// Runtime on the same weights and the same input batch.
using System.CommandLine;
using CausalVision.Backbones;
using CausalVision.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Compare;

/// <summary>The <c>onnx-resnet18</c> case.</summary>
internal static class OnnxResNet18Case
{
    /// <summary>The <c>onnx-resnet18</c> command.</summary>
    public static Command Command()
    {
        var impl = CaseOptions.Choice("--impl", "torchsharp", "torchsharp: OnnxImporter; ort: ONNX Runtime.", "torchsharp", "ort");
        var batch = CaseOptions.Int("--batch", 32, "Batch size.");
        var steps = CaseOptions.Int("--steps", 5, "Timed forward passes.");
        var warmup = CaseOptions.Int("--warmup", 2, "Untimed passes before them.");
        var foldBn = new Option<bool>("--fold-bn") { HelpName = "true|false", Description = "torchsharp: fold BatchNorm into the convolutions." };
        var channelsLast = new Option<bool>("--channels-last") { HelpName = "true|false", Description = "torchsharp: channels-last memory format." };
        var model = new Option<string?>("--model") { HelpName = "FILE", Description = "ResNet18.onnx (default: the one of the restored ML.NET package)." };
        var command = new Command("onnx-resnet18", "Inference of the imported ML.NET ResNet-18 (ResNet18.onnx, 224 px): TorchSharp or ONNX Runtime.") { impl, batch, steps, warmup, foldBn, channelsLast, model };
        command.SetCase(r => Run(
            r.GetRequiredValue(impl), r.GetValue(batch), r.GetValue(steps), r.GetValue(warmup), Math.Max(1, r.GetValue(CaseOptions.Threads) ?? 1), r.GetValue(foldBn), r.GetValue(channelsLast), r.GetValue(model)));
        return command;
    }

    /// <summary>
    /// <c>onnx-resnet18 --impl torchsharp|ort --batch 32 --steps 5 --warmup 2 --threads 1 [--fold-bn true] [--channels-last true] [--model PATH]</c>:
    /// one forward pass (eval, no grad) per step on a fixed random batch at 224 px; prints per-step ms.
    /// </summary>
    private static int Run(string impl, int batch, int steps, int warmup, int threads, bool fold, bool channelsLast, string? model)
    {
        var path = model is { Length: > 0 } given ? given : ImageNetResNet18.FindModelPath() ?? throw new InvalidOperationException(
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
            if (fold)
            {
                module.FoldBatchNorm();
            }

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
