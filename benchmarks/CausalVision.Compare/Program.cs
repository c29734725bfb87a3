// The .NET side of the comparison harness (benchmarks/peers/compare.py, run by ./build.sh compare)
// and the memory soak (./build.sh soak). Each case prints one JSON line for compare.py.
//
//   CausalVision.Compare resnet18-step --batch 32 --size 64 --steps 20 --warmup 3 --threads 1 [--optimizer lean|torchsharp] [--check-input true|false]
//   CausalVision.Compare causal-head-step [--batch 16 --channels 2048 --size 7 --labels 20 --confounders 80 --model-dim 256 --heads 8 --layers 2 --ffn 1024] --steps 20 --warmup 3 --threads 1 [--work artifacts/compare/causal-head] [--export-weights DIR]
//   CausalVision.Compare vscnet-step --batch 16 --size 32 --steps 10 --warmup 3 --threads 1 [--work DIR] [--export-weights DIR]
//   CausalVision.Compare kmeans --data X.f32 --rows N --dim D --k 80 --init file|kmeans++ [--centres C.f32] [--seed 0] [--seeds 1] [--kernel auto|torch|fused|fused256]
//   CausalVision.Compare kmeans-profile --data X.f32 --centres C.f32 --rows N --dim D --k 80 --threads 1 [--reps 3]
//   CausalVision.Compare art --impl naive|batched|tensor --rows 5000 --dim 64
//   (every case but art and soak takes --device cpu|cuda; timers synchronise the device)
//   CausalVision.Compare parity --device cuda   (every CPU/CUDA parity case of the test suite; exit 1 on a mismatch)
//   CausalVision.Compare onnx-resnet18 --impl torchsharp|ort --batch 32 --steps 5 --warmup 2 --threads 1 [--fold-bn true] [--channels-last true] [--model ResNet18.onnx]
//   CausalVision.Compare onnx-probe --backbone resnet18-imagenet|resnet18 [--train 2000 --test 500 --size 64 --steps 300 --lr 0.01 --seed 0]
//   CausalVision.Compare soak [--model resnet18|vscnet] [--data loader|fixed] [--steps 1000] [--every 50] [--warmup 100] [--tolerance 0.05] [--out artifacts/soak]
using CausalVision.Compare;
using CausalVision.Runtime;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: CausalVision.Compare <resnet18-step|vscnet-step|causal-head-step|kmeans|kmeans-profile|art|onnx-resnet18|onnx-probe|soak|parity> [--options]");
    return 2;
}

try
{
    TorchRuntime.EnsureAvailable();
    var a = new Args(args.Skip(1));
    // One intra-op thread by default: the soak measures memory, and libtorch's OpenMP threads spin badly when the
    // cores are shared (we saw 10x slower steps with 2 threads on a loaded 2-core machine).
    var threads = a.Int("threads", args[0] == "soak" ? 1 : 0);
    if (threads > 0)
    {
        TorchSharp.torch.set_num_threads(threads);
    }

    CompareDevice.Select(a.String("device", "cpu"));

    return args[0] switch
    {
        "resnet18-step" => Cases.ResNet18Step(a),
        "vscnet-step" => VscNetStepCase.Run(a),
        "causal-head-step" => CausalHeadStepCase.Run(a),
        "kmeans" => Cases.KMeansFit(a),
        "kmeans-profile" => KMeansProfile.Run(a),
        "art" => Cases.ArtFit(a),
        "soak" => Cases.Soak(a),
        "parity" => ParityCommand.Run(a),
        "onnx-resnet18" => OnnxResNet18Case.Run(a),
        "onnx-probe" => OnnxProbeCase.Run(a),
        _ => throw new ArgumentException($"Unknown case '{args[0]}'."),
    };
}
catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
{
    Console.Error.WriteLine($"compare: {ex.Message}");
    return 2;
}
