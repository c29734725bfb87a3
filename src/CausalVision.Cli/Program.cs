// causalvision: the CausalVision command-line tool (a dotnet tool).
//
//   causalvision quickstart [--epochs 4 ...]      the QuickStart job: IID vs OOD of a ResNet-18 baseline
//   causalvision export-benchmark --out DIR       the built-in benchmark as a manifest dataset folder
//   causalvision predict IMAGE... [--model DIR]   top classes of images with a trained baseline
//   causalvision evaluate --data DIR [--split S]  metrics of a trained baseline on a manifest split
//   causalvision explain IMAGE --model FILE --out PNG   a saved VSCNet's regions and tags drawn over the image
//   causalvision train --layout L [--model M ...] train and evaluate baseline / vscnet / causal-labels on a dataset
//   causalvision experiment NAME [--seeds N ...]  rows x seeds with paired confidence intervals (summary.json/.md, CSV)
//   causalvision setup                            restore the libtorch CPU backend into the NuGet cache
//   causalvision env -- COMMAND [ARGS...]         run any command with the libstdc++ fix
//
// Exit codes: 0 success, 2 bad input (one line on stderr); `env` passes the command's code through.
using System.CommandLine;
using System.Globalization;
using CausalVision.Cli;
using CausalVision.Data;
using CausalVision.Samples;
using CausalVision.Synthetic;

var root = new RootCommand("CausalVision: causal image classification on TorchSharp. Commands that train or predict load libtorch; on Debian 12 / Ubuntu 22.04 the tool re-runs itself under the libstdc++ fix (see `env`).");

// --- env ------------------------------------------------------------------------------------------
var envCommand = new Argument<string[]>("command") { Description = "The command and its arguments (after --).", Arity = ArgumentArity.OneOrMore, CaptureRemainingTokens = true };
var env = new Command("env", "Run any command with the libstdc++ fix TorchSharp needs on Debian 12 / Ubuntu 22.04 (a private mount namespace overlays Debian 13's libstdc++; nothing on the machine changes). Example: causalvision env -- dotnet run") { envCommand };
env.SetAction(r => NativeSetup.RunUnderFix(r.GetRequiredValue(envCommand)));
root.Add(env);

// --- setup ----------------------------------------------------------------------------------------
var setup = new Command("setup", $"Restore the libtorch CPU backend (TorchSharp-cpu {NativeSetup.TorchSharpVersion}, ~600 MB) into the NuGet cache once; the tool loads it from there.");
setup.SetAction(_ => NativeSetup.RestoreBackend());
root.Add(setup);

// --- quickstart -----------------------------------------------------------------------------------
var defaults = new QuickStartSettings();
Option<int> IntOption(string name, int value, int min, string description)
{
    var o = new Option<int>(name) { Description = description, DefaultValueFactory = _ => value };
    o.Validators.Add(r =>
    {
        if (Parsed<int>(r) is int v && v < min)
        {
            r.AddError($"{name} must be an integer >= {min}.");
        }
    });
    return o;
}

var epochs = IntOption("--epochs", defaults.Epochs, 1, "Training epochs.");
var seed = IntOption("--seed", defaults.Seed, 0, "Seed of the data, the initialisation and the shuffling.");
var trainSize = IntOption("--train-size", defaults.TrainSize, 10, "Training images.");
var testSize = IntOption("--test-size", defaults.TestSize, 10, "Images in each test split (test_iid, test_ood).");
var imageSize = IntOption("--image-size", defaults.ImageSize, 32, "Square image side in pixels.");
var batch = IntOption("--batch", defaults.BatchSize, 1, "Batch size.");
var lr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
lr.Validators.Add(r =>
{
    if (Parsed<double>(r) is double v && !(v > 0))
    {
        r.AddError("--lr must be a positive number.");
    }
});
var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto (CUDA when present; the choice is printed).", DefaultValueFactory = _ => "cpu" };
var outDir = new Option<string>("--out") { Description = "Output folder: metrics.json, model.json, last.ckpt.", DefaultValueFactory = _ => defaults.Out };
var backboneOption = new Option<string>("--backbone") { Description = "auto (the pretrained resnet18-imagenet when its package is restored, else resnet18) or a backbone name.", DefaultValueFactory = _ => defaults.Backbone };
var quickstart = new Command("quickstart", "Generate the built-in benchmark, train the ResNet-18 baseline and report Acc@1 on test_iid vs test_ood (the same job and numbers as samples/QuickStart).")
{
    epochs, seed, trainSize, testSize, imageSize, batch, lr, device, outDir, backboneOption,
};
quickstart.SetAction(r => Torch(args, () =>
{
    var s = new QuickStartSettings
    {
        Epochs = r.GetValue(epochs),
        Seed = r.GetValue(seed),
        TrainSize = r.GetValue(trainSize),
        TestSize = r.GetValue(testSize),
        ImageSize = r.GetValue(imageSize),
        BatchSize = r.GetValue(batch),
        LearningRate = r.GetValue(lr),
        Device = ResolveDevice(r.GetRequiredValue(device)),
        Backbone = r.GetRequiredValue(backboneOption),
        Out = r.GetRequiredValue(outDir),
    };
    CliProgress.Run("resnet18", (progress, log) => QuickStartJob.Run(s, progress, log));
    return 0;
}));
root.Add(quickstart);

// --- export-benchmark -----------------------------------------------------------------------------
var exportOut = new Option<string>("--out") { Description = "Output folder (created; existing files are overwritten).", DefaultValueFactory = _ => Path.Combine("data", "synthetic") };
var spurious = new Option<double>("--spurious") { Description = "P(background = the class's context) in train and test_iid.", DefaultValueFactory = _ => 0.9 };
spurious.Validators.Add(r =>
{
    if (Parsed<double>(r) is double v && !(v >= 0 && v <= 1))
    {
        r.AddError("--spurious must be in [0, 1].");
    }
});
var export = new Command("export-benchmark", "Write the built-in benchmark as a manifest dataset folder: dataset.json, one CSV per split (path,labels,tags) and one PNG per image; `evaluate --data` and samples/Train (--layout manifest) read it.")
{
    seed, trainSize, testSize, imageSize, spurious, exportOut,
};
export.SetAction(r =>
{
    var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
    {
        Seed = r.GetValue(seed),
        ImageSize = r.GetValue(imageSize),
        TrainSize = r.GetValue(trainSize),
        TestIidSize = r.GetValue(testSize),
        TestOodSize = r.GetValue(testSize),
        SpuriousCorrelation = r.GetValue(spurious),
    });
    var manifest = bench.WriteToDisk(r.GetRequiredValue(exportOut));
    Console.WriteLine($"Wrote {string.Join(", ", bench.Splits.Select(s => $"{s.Name} {s.Count}"))} images of {bench.Options.ImageSize}x{bench.Options.ImageSize}: {manifest}");
    return 0;
});
root.Add(export);

// --- predict / evaluate ---------------------------------------------------------------------------
var modelDir = new Option<string>("--model") { Description = "Folder of a trained baseline (model.json + last.ckpt, as `quickstart` writes), or a VSCNet model file (VscNet.Save, .safetensors) for predict.", DefaultValueFactory = _ => defaults.Out };
var images = new Argument<string[]>("images") { Description = "PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
var top = IntOption("--top", 3, 1, "Classes to show per image.");
var predict = new Command("predict", "Top classes (softmax scores) of image files with a trained baseline or a saved VSCNet (and its top tags).") { images, modelDir, top, device };
predict.SetAction(r => Torch(args, () =>
{
    var model = r.GetRequiredValue(modelDir);
    if (File.Exists(model))
    {
        foreach (var f in r.GetRequiredValue(images))
        {
            if (!File.Exists(f))
            {
                throw new UsageException($"image '{f}' does not exist.");
            }
        }

        using var vscnet = LoadVscNet(model, ResolveDevice(r.GetRequiredValue(device)));
        foreach (var p in vscnet.Predict(r.GetRequiredValue(images), r.GetValue(top)))
        {
            Console.WriteLine($"{p.Source}  " + string.Join("  ", p.Classes.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Label} {x.Score:P1}")))
                + (p.Tags.Count == 0 ? string.Empty : "  | tags " + string.Join(", ", p.Tags.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Tag} {x.Score:P0}")))));
        }

        return 0;
    }

    var rows = BaselineModel.Predict(r.GetRequiredValue(modelDir), r.GetRequiredValue(images), ResolveDevice(r.GetRequiredValue(device)), r.GetValue(top));
    foreach (var (path, ranked) in rows)
    {
        Console.WriteLine($"{path}  " + string.Join("  ", ranked.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Label} {x.Score:P1}"))));
    }

    return 0;
}));
root.Add(predict);

var data = new Option<string>("--data") { Description = "A manifest dataset folder (dataset.json), e.g. from export-benchmark.", Required = true };
var split = new Option<string>("--split") { Description = "The split to score.", DefaultValueFactory = _ => "test_ood" };
var evaluate = new Command("evaluate", "Score a trained baseline on a split of a manifest dataset (Acc@1, Acc@5).") { data, split, modelDir, batch, device };
evaluate.SetAction(r => Torch(args, () =>
{
    var metrics = BaselineModel.Evaluate(r.GetRequiredValue(modelDir), r.GetRequiredValue(data), r.GetRequiredValue(split), ResolveDevice(r.GetRequiredValue(device)), r.GetValue(batch));
    Console.WriteLine($"{r.GetRequiredValue(split)}: " + string.Join("  ", metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F4}"))));
    return 0;
}));
root.Add(evaluate);

// --- train ----------------------------------------------------------------------------------------
root.Add(CausalVision.Samples.Train.TrainArguments.CreateCommand(a => Torch(args, () => CausalVision.Samples.Train.TrainJob.Run(a)), "train"));

// --- experiment -----------------------------------------------------------------------------------
// Writes summary.json, summary.md, results.csv and the plots (bars with CIs, sweeps) into --out.
root.Add(ExperimentCommand.Create("experiment", body => Torch(args, body)));

// --- explain --------------------------------------------------------------------------------------
var explainImage = new Argument<string>("image") { Description = "A PNG or JPEG file." };
var explainModel = new Option<string>("--model") { Description = "A VSCNet model file (VscNet.Save, .safetensors).", Required = true };
var explainOut = new Option<string>("--out") { Description = "The PNG to write: the image resized to the model's input, upscaled for reading, with every region's box and its top tags.", DefaultValueFactory = _ => "explanation.png" };
var explainTags = IntOption("--tags", 3, 1, "Tags shown per region.");
var explainMasks = new Option<string?>("--masks") { Description = "Also write CIM's node and edge masks as a heatmap PNG (models with CIM, +C)." };
var explainGallery = new Option<string?>("--gallery") { Description = "Also write a prototype gallery PNG: for each prototype the image's regions matched, the best-matching regions of the --reference images (models with HAR, +H)." };
var explainReference = new Option<string?>("--reference") { Description = "A folder of reference images (PNG/JPEG, searched recursively, e.g. the training split) for --gallery." };
var explainReferenceLimit = IntOption("--reference-limit", 256, 1, "At most this many reference images (the first in path order).");
var explain = new Command("explain", "Why a saved VSCNet predicts what it does for one image: the predicted class, every region (its affine box, tags before and after the prototype refinement, matched prototype) printed and drawn as a PNG.")
{
    explainImage, explainModel, explainOut, explainTags, explainMasks, explainGallery, explainReference, explainReferenceLimit, device,
};
explain.SetAction(r => Torch(args, () =>
{
    var file = r.GetRequiredValue(explainImage);
    if (!File.Exists(file))
    {
        throw new UsageException($"image '{file}' does not exist.");
    }

    if (r.GetValue(explainGallery) is not null && r.GetValue(explainReference) is null)
    {
        throw new UsageException("--gallery needs --reference FOLDER (reference images, e.g. the training split).");
    }

    if (r.GetValue(explainReference) is { } folder && !Directory.Exists(folder))
    {
        throw new UsageException($"--reference '{folder}' is not a folder.");
    }

    using var vscnet = LoadVscNet(r.GetRequiredValue(explainModel), ResolveDevice(r.GetRequiredValue(device)));
    var size = vscnet.Options.Backbone.Options.ImageSize;
    using var scope = TorchSharp.torch.NewDisposeScope();
    var image = new CausalVision.Imaging.Transforms.Resize(size, size).Apply(CausalVision.Imaging.ImageDecoder.DecodeFile(file), new Random(0)).ToTensor();
    var why = vscnet.Explain(image.unsqueeze(0).to(vscnet.parameters().First().device), r.GetValue(explainTags))[0];
    var output = r.GetRequiredValue(explainOut);
    // Small inputs (the benchmark's 32-64 px) are upscaled so that the boxes and labels stay readable.
    CausalVision.Vscnet.RegionRenderer.Save(image, why, output, new CausalVision.Vscnet.RegionRendererOptions { Scale = Math.Max(1, 512 / size) });
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {vscnet.ClassNames[why.PredictedClass]} {why.ClassProbabilities[why.PredictedClass]:P1}"));
    for (var j = 0; j < why.Regions.Count; j++)
    {
        var region = why.Regions[j];
        Console.WriteLine($"  region {j + 1}: tags {string.Join(", ", region.TagsBefore.Select(t => t.Name))} -> {string.Join(", ", region.TagsAfter.Select(t => t.Name))}"
            + (region.Prototype >= 0 ? string.Create(CultureInfo.InvariantCulture, $"; prototype {region.Prototype} (similarity {region.PrototypeSimilarity:F2})") : string.Empty));
    }

    Console.WriteLine($"wrote {Path.GetFullPath(output)}");
    if (r.GetValue(explainMasks) is { } masks)
    {
        if (why.NodeMask is null)
        {
            throw new UsageException("--masks: this model has no CIM (+C), so there are no masks to draw.");
        }

        CausalVision.Vscnet.MaskRenderer.Save(why, masks, vscnet.TagNames);
        Console.WriteLine($"wrote {Path.GetFullPath(masks)}");
    }

    if (r.GetValue(explainGallery) is { } galleryPath)
    {
        var matched = why.Regions.Select(g => g.Prototype).Where(p => p >= 0).Distinct().ToArray();
        if (matched.Length == 0)
        {
            throw new UsageException("--gallery: this model has no HAR (+H), so its regions match no prototypes.");
        }

        var reference = r.GetValue(explainReference)!;
        var files = Directory.EnumerateFiles(reference, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg")
            .Order(StringComparer.Ordinal)
            .Take(r.GetValue(explainReferenceLimit))
            .ToList();
        if (files.Count == 0)
        {
            throw new UsageException($"--reference '{reference}' holds no PNG or JPEG images.");
        }

        var resize = new CausalVision.Imaging.Transforms.Resize(size, size);
        var references = TorchSharp.torch.stack(files.Select(f => resize.Apply(CausalVision.Imaging.ImageDecoder.DecodeFile(f), new Random(0)).ToTensor()).ToArray())
            .to(vscnet.parameters().First().device);
        var gallery = CausalVision.Vscnet.PrototypeGallery.Collect(vscnet, references);
        gallery.Save(galleryPath, matched);
        Console.WriteLine($"wrote {Path.GetFullPath(galleryPath)} (prototypes {string.Join(", ", matched)}; {files.Count} reference images)");
    }

    return 0;
}));
root.Add(explain);

static CausalVision.Vscnet.VscNet LoadVscNet(string path, string device)
{
    try
    {
        return CausalVision.Vscnet.VscNet.Load(path, device);
    }
    catch (InvalidDataException e)
    {
        throw new UsageException(e.Message);
    }
}

// --- run ------------------------------------------------------------------------------------------
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line: the most specific error (an unknown token says more than "command missing").
    var error = parsed.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
    Console.Error.WriteLine($"causalvision: {error.Message} Try 'causalvision --help'.");
    return 2;
}

try
{
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is UsageException or CausalVision.Samples.Train.UsageException or SampleLoadException or UnauthorizedAccessException
    or ArgumentException or InvalidDataException or IOException or InvalidOperationException or KeyNotFoundException)
{
    Console.Error.WriteLine($"causalvision: {ex.Message.Split('\n')[0]}");
    return 2;
}

// The option's value, or null when its token did not convert (System.CommandLine reports that error itself;
// reading the value would throw).
static T? Parsed<T>(System.CommandLine.Parsing.OptionResult r)
    where T : struct
{
    try
    {
        return r.GetValueOrDefault<T>();
    }
    catch (InvalidOperationException)
    {
        return null;
    }
}

// Commands that load libtorch: re-run under the libstdc++ fix when needed, else load it here.
static int Torch(string[] args, Func<int> body) => NativeSetup.EnsureTorch(args) ?? body();

// Checks the name early; "auto" prints what it picked (TorchRuntime.Log), so a CPU run is no surprise.
static string ResolveDevice(string name) => CausalVision.Runtime.TorchRuntime.ResolveDevice(name).ToString();
