// The .NET side of the comparison harness (benchmarks/peers/compare.py, run by ./build.sh compare)
// and the memory soak (./build.sh soak). Each case prints one JSON line for compare.py.
//
//   CausalVision.Compare resnet18-step --batch 32 --size 64 --steps 20 --warmup 3 --threads 1 [--optimizer lean|torchsharp] [--check-input true|false]
//   CausalVision.Compare causal-head-step [--batch 16 --channels 2048 --size 7 --labels 20 --confounders 80 --model-dim 256 --heads 8 --layers 2 --ffn 1024] --steps 20 --warmup 3 --threads 1 [--work artifacts/compare/causal-head] [--export-weights DIR]
//   CausalVision.Compare vscnet-step --batch 16 --size 32 --steps 10 --warmup 3 --threads 1 [--work DIR] [--export-weights DIR]
//   CausalVision.Compare kmeans --data X.f32 --rows N --dim D --k 80 --init file|kmeans++ [--centres C.f32] [--seed 0] [--seeds 1] [--kernel auto|torch|fused|fused256]
//   CausalVision.Compare kmeans-profile --data X.f32 --centres C.f32 --rows N --dim D --k 80 --threads 1 [--reps 3]
//   CausalVision.Compare art --impl naive|batched|tensor --rows 5000 --dim 64
//   (every case takes --threads N and --device cpu|cuda|cuda:N|auto; timers synchronise the device)
//   CausalVision.Compare parity --device cuda   (every CPU/CUDA parity case of the test suite; exit 1 on a mismatch)
//   CausalVision.Compare onnx-resnet18 --impl torchsharp|ort --batch 32 --steps 5 --warmup 2 --threads 1 [--fold-bn true] [--channels-last true] [--model ResNet18.onnx]
//   CausalVision.Compare onnx-probe --backbone resnet18-imagenet|resnet18 [--train 2000 --test 500 --size 64 --steps 300 --lr 0.01 --seed 0]
//   CausalVision.Compare image-pipeline --data DIR [--batch 64 --image-size 224 --workers 2 --batches 8 --warmup 2 --seed 0] --threads 1
//   CausalVision.Compare make-images --out DIR [--count 640 --seed 0 --classes 10 --min-side 256 --max-side 500 --quality 90]
//   CausalVision.Compare soak [--model resnet18|vscnet] [--data loader|fixed] [--steps 1000] [--every 50] [--warmup 100] [--tolerance 0.05] [--out artifacts/soak]
// `CausalVision.Compare CASE --help` lists a case's options; a bad command line prints one "compare: ..." line and exits 2.
using System.CommandLine;
using CausalVision.Compare;

var root = new RootCommand("The .NET side of the comparison harness (benchmarks/peers/compare.py) and the memory soak: each case prints one JSON line.")
{
    CaseOptions.Threads,
    CaseOptions.Device,
    Cases.ResNet18StepCommand(),
    VscNetStepCase.Command(),
    CausalHeadStepCase.Command(),
    Cases.KMeansCommand(),
    KMeansProfile.Command(),
    Cases.ArtCommand(),
    Cases.SoakCommand(),
    ParityCommand.Command(),
    OnnxResNet18Case.Command(),
    OnnxProbeCase.Command(),
    ImagePipelineCase.Command(),
    ImagePipelineCase.MakeImagesCommand(),
};

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line: the most specific error (an unknown token says more than the errors it causes).
    var error = parsed.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
    Console.Error.WriteLine($"compare: {error.Message.ReplaceLineEndings(" ")} Try --help.");
    return 2;
}

try
{
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
{
    Console.Error.WriteLine($"compare: {ex.Message}");
    return 2;
}
