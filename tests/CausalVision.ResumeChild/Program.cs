// The child process of the kill-and-resume test: a tiny, seeded, checkpointed ClassifierTrainer run
// on the built-in benchmark. With --kill-at-step N it sends itself SIGKILL (no cleanup, no flush)
// right after global optimiser step N, as an out-of-memory killer or a power cut would.
//
//   dotnet CausalVision.ResumeChild.dll DIR [--kill-at-step N]
// Exit codes: 0 trained to the end (DIR/last.ckpt holds the final state); 137 killed; 2 bad arguments.
using System.Diagnostics;
using System.Globalization;
using CausalVision.Backbones;
using CausalVision.Synthetic;
using CausalVision.Training;

if (args.Length is not (1 or 3) || (args.Length == 3 && args[1] != "--kill-at-step"))
{
    Console.Error.WriteLine("usage: CausalVision.ResumeChild DIR [--kill-at-step N]");
    return 2;
}

var killAt = args.Length == 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : int.MaxValue;
TorchSharp.torch.set_num_threads(1);
var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
{
    ImageSize = 32,
    ClassCount = 3,
    TrainSize = Sizes.Images,
    TestIidSize = 8,
    TestOodSize = 8,
    Seed = 5,
});
using var backbone = Backbone.Create("resnet18", new BackboneOptions { ImageSize = 32, Seed = 5 });
using var model = new BackboneClassifier(backbone, 3);
var trainer = new ClassifierTrainer(model, new TrainerOptions
{
    Epochs = Sizes.Epochs,
    BatchSize = Sizes.Batch,
    LearningRate = 1e-3,
    Seed = 5,
    Workers = 0,
    EvaluateEveryEpochs = 1,
    CheckpointDirectory = args[0],
});
var step = 0;
var progress = new SynchronousProgress(p =>
{
    if (p.Metrics.Count > 0 || p.Step == 0)
    {
        return;
    }

    // The global step: epochs already done (this run or an earlier one) times steps per epoch, plus the step.
    step = ((p.Epoch - 1) * p.Steps) + p.Step;
    if (step == killAt)
    {
        Console.Out.Flush();
        Process.GetCurrentProcess().Kill();
    }
});
trainer.Fit(bench.Train, evaluation: bench.TestIid, progress: progress, resume: true);
Console.WriteLine($"done at step {step}");
return 0;

/// <summary>The run's sizes (the test derives its kill points from them).</summary>
internal static class Sizes
{
    public const int Images = 40;
    public const int Batch = 8;
    public const int Epochs = 3;
}

/// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool, too late to kill at a step).</summary>
internal sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
