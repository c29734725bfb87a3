// # Walkthrough 1: a benchmark with a known shortcut, judged by group metrics
//
// A .NET 10 file-based app, read top to bottom like a notebook. Run it from the repository root:
//
//     eng/torch-env.sh dotnet run samples/walkthroughs/01-quickstart.cs
//     # outside this repo's machine: causalvision env -- dotnet run samples/walkthroughs/01-quickstart.cs
//
// `./build.sh walkthroughs` runs all of them (CI does too).
#:project ../../src/CausalVision.Core/CausalVision.Core.csproj
using CausalVision.Backbones;
using CausalVision.Evaluation;
using CausalVision.Metrics;
using CausalVision.Synthetic;
using CausalVision.Training;

// ## 1. The benchmark
// Six classes, each defined by a recipe of 2-3 coloured shapes (the tags), drawn on one of six textures (the
// context). In training the texture matches the class 95 % of the time: a shortcut. In test_ood it is random.
var options = SyntheticBenchmarkOptions.Robustness(0.95);
options.TrainSize = 600;
options.ValidationSize = 200;
options.TestIidSize = 200;
options.TestOodSize = 360;
var bench = SyntheticBenchmark.Generate(options);
var unbiased = SyntheticBenchmark.Generate(options.Unbiased()); // same recipes, texture independent of the class
Console.WriteLine($"{bench.Info.ClassCount} classes, {bench.Info.TagCount} tags, {bench.Train.Count} training images at {options.ImageSize} px");

// ## 2. Frozen features
// The ImageNet ResNet-18 when its ONNX package is in the NuGet folder ("auto"), else a randomly initialised one.
var name = ImageNetResNet18.ResolveAutoName("auto");
using var backbone = Backbone.Create(name, new BackboneOptions { ImageSize = options.ImageSize, Seed = 0 });
FeatureSet Features(SyntheticBenchmark b, SyntheticSplit split) => SyntheticFeatures.FromBackbone(backbone, b, split);
var train = Features(bench, bench.Train);
var val = Features(bench, bench.Validation);
var ood = Features(bench, bench.TestOod);
Console.WriteLine($"backbone {name}: {train.Dim}-d features of {train.Count} + {val.Count} + {ood.Count} images");

// ## 3. Three linear heads: ERM, Group DRO, and ERM on unbiased data (the ceiling)
// Every head trains the same epochs on the same batch order; the epoch is chosen on validation data only.
FeatureHead Fit(FeatureSet t, FeatureSet v, TrainingObjective objective) => new FeatureHeadTrainer(new FeatureHeadTrainerOptions
{
    Objective = objective,
    Epochs = 20,
    LearningRate = 0.01,
    Seed = 0,
}).Fit(t, v);

var heads = new (string Row, FeatureHead Head)[]
{
    ("ERM", Fit(train, val, TrainingObjective.Erm)),
    ("Group DRO", Fit(train, val, TrainingObjective.GroupDro)),
    ("ceiling (unbiased data)", Fit(Features(unbiased, unbiased.Train), Features(unbiased, unbiased.Validation), TrainingObjective.Erm)),
};

// ## 4. Group metrics on test_ood
// Groups are (class, context) pairs. The shortcut rate: on images whose texture belongs to another class, how often
// the model answers that other class.
Console.WriteLine();
Console.WriteLine("| row | OOD accuracy | worst group | mean group | shortcut rate |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var (row, head) in heads)
{
    GroupMetricsResult m = head.Evaluate(ood);
    Console.WriteLine($"| {row} | {m.Accuracy:F3} | {m.WorstGroupAccuracy:F3} | {m.MeanGroupAccuracy:F3} | {m.ShortcutRate:F3} |");
}

// One seed of a small run: for a judgement, run rows x seeds with paired confidence intervals
// (`./build.sh experiment baseline-rows --seeds 5`, see the README).
