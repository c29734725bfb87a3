// "Does the pretrained ResNet-18 help?": a linear probe on frozen features of the built-in synthetic
// benchmark, pretrained (resnet18-imagenet) vs a randomly initialised network of the same family.
using System.CommandLine;
using System.Diagnostics;
using CausalVision.Backbones;
using CausalVision.Synthetic;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Compare;

/// <summary>The <c>onnx-probe</c> command (an experiment, not a timing case).</summary>
internal static class OnnxProbeCase
{
    /// <summary>The <c>onnx-probe</c> command.</summary>
    public static Command Command()
    {
        var backbone = new Option<string>("--backbone") { HelpName = "NAME", Description = "The frozen backbone, e.g. resnet18-imagenet or resnet18.", DefaultValueFactory = _ => ImageNetResNet18.RegistryName };
        var train = CaseOptions.Int("--train", 2000, "Training images.");
        var test = CaseOptions.Int("--test", 500, "Images of each test split (test_iid, test_ood).");
        var size = CaseOptions.Int("--size", 64, "Image side in pixels.");
        var steps = CaseOptions.Int("--steps", 300, "Full-batch Adam steps of the head.");
        var lr = CaseOptions.Double("--lr", 0.01, "Adam learning rate of the head.");
        var seed = CaseOptions.Int("--seed", 0, "Seed of the benchmark and the backbone.");
        var command = new Command("onnx-probe", "Linear probe on frozen backbone features of the synthetic benchmark (IID and OOD accuracy).") { backbone, train, test, size, steps, lr, seed };
        command.SetCase(r => Run(r.GetRequiredValue(backbone), r.GetValue(train), r.GetValue(test), r.GetValue(size), r.GetValue(steps), r.GetValue(lr), r.GetValue(seed)));
        return command;
    }

    /// <summary>
    /// <c>onnx-probe --backbone resnet18-imagenet|resnet18 [--train 2000 --test 500 --size 64 --steps 300 --lr 0.01 --seed 0 --threads 1]</c>:
    /// frozen backbone features (eval mode, pooled), standardised with the training statistics, then a
    /// softmax-regression head trained full-batch with Adam for a fixed number of steps (no selection on
    /// any test split). Prints IID and OOD accuracy and wall times as one JSON line.
    /// </summary>
    private static int Run(string name, int trainSize, int testSize, int size, int steps, double lr, int seed)
    {
        var total = Stopwatch.StartNew();
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            ImageSize = size,
            TrainSize = trainSize,
            TestIidSize = testSize,
            TestOodSize = testSize,
            Seed = seed,
        });
        using var backbone = BackboneRegistry.Create(name, new BackboneOptions { ImageSize = size, Seed = seed });
        backbone.eval();
        if (backbone is ImageNetResNet18 pretrained)
        {
            pretrained.OptimizeForInference();
        }

        var extract = Stopwatch.StartNew();
        using var trainX = Features(backbone, bench.Train, out var trainY);
        using var iidX = Features(backbone, bench.TestIid, out var iidY);
        using var oodX = Features(backbone, bench.TestOod, out var oodY);
        var extractSeconds = extract.Elapsed.TotalSeconds;

        using var mean = trainX.mean([0], keepdim: true);
        using var std = trainX.std([0], keepdim: true) + 1e-6;
        using var head = nn.Linear(trainX.shape[1], bench.Info.ClassCount);
        manual_seed(seed);
        using var optimizer = optim.Adam(head.parameters(), lr, weight_decay: 1e-4);
        using var xs = (trainX - mean) / std;
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(head.call(xs), trainY).backward();
            optimizer.step();
        }

        double Accuracy(Tensor x, Tensor y)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            return head.call((x - mean) / std).argmax(1).eq(y).to_type(ScalarType.Float32).mean().item<float>();
        }

        var result = new Dictionary<string, object>
        {
            ["backbone"] = name,
            ["train_acc"] = Accuracy(trainX, trainY),
            ["iid_acc"] = Accuracy(iidX, iidY),
            ["ood_acc"] = Accuracy(oodX, oodY),
            ["extract_s"] = Math.Round(extractSeconds, 1),
            ["total_s"] = Math.Round(total.Elapsed.TotalSeconds, 1),
        };
        Result.Print(name + " linear probe", "accuracy", [(double)result["iid_acc"], (double)result["ood_acc"]], result);
        trainY.Dispose();
        iidY.Dispose();
        oodY.Dispose();
        return 0;
    }

    private static Tensor Features(Backbone backbone, SyntheticSplit split, out Tensor labels)
    {
        var normalize = new Imaging.Transforms.Normalize();
        var rng = new Random(0);
        var parts = new List<Tensor>();
        var y = new long[split.Count];
        const int Batch = 64;
        for (var start = 0; start < split.Count; start += Batch)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(Batch, split.Count - start);
            var images = new List<Tensor>();
            for (var i = start; i < start + count; i++)
            {
                var size = (int)Math.Sqrt(split.ImageLength / 3);
                var image = normalize.Apply(new Imaging.ImageBuffer(3, size, size, split.Render(i)), rng);
                images.Add(image.ToTensor());
                y[i] = split.Describe(i).Label;
            }

            using var _ = no_grad();
            using var f = backbone.call(stack(images));
            parts.Add(f.Pooled.clone().MoveToOuterDisposeScope());
        }

        labels = tensor(y);
        var all = cat(parts);
        foreach (var p in parts)
        {
            p.Dispose();
        }

        return all;
    }
}
