// The command line of samples/Train (System.CommandLine): every option with its default and its check.
// A bad command line becomes one message (Error), which Program.cs prints as "train: ..." with exit code 2.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace CausalVision.Samples.Train;

/// <summary>The parsed command line.</summary>
public sealed class TrainArguments
{
    public string? Data { get; private init; }

    public string Layout { get; private init; } = "manifest";

    public string? SplitTrain { get; private init; }

    public string? SplitTest { get; private init; }

    /// <summary>Gets the biased-pair file (multi-label), or null to choose pairs from the training co-occurrence.</summary>
    public string? Pairs { get; private init; }

    /// <summary>Gets how many pairs to choose from the training co-occurrence.</summary>
    public int PairCount { get; private init; } = 20;

    public string Model { get; private init; } = "baseline";

    public string Backbone { get; private init; } = "resnet18";

    public int Epochs { get; private init; } = 10;

    public int Batch { get; private init; } = 64;

    public double LearningRate { get; private init; } = 5e-4;

    public int? ImageSize { get; private init; }

    public int Seed { get; private init; }

    public string Device { get; private init; } = "cpu";

    public int Workers { get; private init; } = 2;

    public int? TrainLimit { get; private init; }

    public int? TestLimit { get; private init; }

    public string? Export { get; private init; }

    public string Out { get; private init; } = Path.Combine("artifacts", "train");

    public bool Resume { get; private init; }

    public bool Force { get; private init; }

    /// <summary>Gets the label mapping file ("train_label,test_label" lines) for cross-dataset evaluation.</summary>
    public string? LabelMap { get; private init; }

    /// <summary>Gets the cross-dataset evaluation root (another label space, mapped with --label-map).</summary>
    public string? CrossData { get; private init; }

    /// <summary>Gets the layout of the cross dataset (default: --layout).</summary>
    public string? CrossLayout { get; private init; }

    /// <summary>Gets the split of the cross dataset to evaluate (default: its layout's test split).</summary>
    public string? CrossSplit { get; private init; }

    /// <summary>Gets a value indicating whether the synthetic layout generates its multi-label variant.</summary>
    public bool MultiLabel { get; private init; }

    /// <summary>Gets the training augmentation name (see <see cref="Augmentation"/>).</summary>
    public string Augment { get; private init; } = "auto";

    /// <summary>Gets the crop area bounds of --crop-scale, or null for the augmentation's default.</summary>
    public (double Min, double Max)? CropScale { get; private init; }

    /// <summary>Creates the command line of the sample; <c>--help</c> lists the options and the models.</summary>
    /// <param name="run">The action: trains with the parsed arguments and returns the exit code.</param>
    /// <param name="name">The name of a subcommand (e.g. the tool's <c>train</c>), or null for the program's root command.</param>
    /// <returns>The command.</returns>
    public static Command CreateCommand(Func<TrainArguments, int> run, string? name = null)
    {
        var line = new CommandLine(name);
        line.Root.SetAction(parse => run(line.Read(parse)));
        return line.Root;
    }

    /// <summary>Parses <paramref name="args"/>.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The arguments.</returns>
    /// <exception cref="UsageException">An unknown or repeated option, a missing or malformed value.</exception>
    public static TrainArguments Parse(IReadOnlyList<string> args)
    {
        var line = new CommandLine();
        var parse = line.Root.Parse(args);
        return Error(parse) is { } message ? throw new UsageException(message) : line.Read(parse);
    }

    /// <summary>The one-line message of a bad command line: a repeated option, then an unknown one, then a missing value, then the first other error.</summary>
    /// <param name="parse">The parse of the command line.</param>
    /// <returns>The message, or null when the command line is valid.</returns>
    public static string? Error(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);

        // A value option given twice is an arity error and a flag given twice is none; both get this message.
        if (parse.CommandResult.Children.OfType<OptionResult>().FirstOrDefault(o => o.IdentifierTokenCount > 1) is { } repeated)
        {
            var name = repeated.Option.Name;
            return repeated.Tokens.Count >= 2
                ? $"option {name} is given more than once ('{repeated.Tokens[0].Value}' and '{repeated.Tokens[1].Value}'); give it once."
                : $"option {name} is given more than once.";
        }

        if (parse.Errors.Count == 0)
        {
            return null;
        }

        if (parse.UnmatchedTokens.Count > 0)
        {
            return $"unknown option '{parse.UnmatchedTokens[0]}'; run with --help for the list.";
        }

        if (parse.CommandResult.Children.OfType<OptionResult>().FirstOrDefault(o => !o.Implicit && o.Tokens.Count == 0 && o.Option.Arity.MinimumNumberOfValues > 0) is { } empty)
        {
            return $"option {empty.Option.Name} needs a value.";
        }

        return parse.Errors[0].Message;
    }

    /// <summary>The options of one root command and the conversion of its parse into <see cref="TrainArguments"/>.</summary>
    private sealed class CommandLine
    {
        private readonly Option<string?> data = new("--data") { HelpName = "PATH", Description = "Dataset root (or, for mnist, the folder of IDX files); not needed for --layout synthetic." };
        private readonly Option<string> layout = new("--layout") { HelpName = "NAME", Description = "manifest | folder | food101 | nuswide | coco | deepfashion | mnist | synthetic.", DefaultValueFactory = _ => "manifest" };
        private readonly Option<string?> splitTrain = new("--split-train") { HelpName = "NAME", Description = "Training split (default per layout: train, train2017 for coco)." };
        private readonly Option<string?> splitTest = new("--split-test") { HelpName = "NAME", Description = "Evaluation split (default per layout: test, test_iid for manifest/synthetic when present, val2017 for coco)." };
        private readonly Option<string> model = new("--model") { HelpName = "NAME", Description = "Model recipe (see the list above).", DefaultValueFactory = _ => "baseline" };
        private readonly Option<string> backbone = new("--backbone") { HelpName = "NAME", Description = "auto | resnet18 | resnet18-imagenet | resnet50 | vit_tiny_patch16 | vit_small_patch16 | vit_base_patch16 (auto: resnet18-imagenet when its package is restored, else resnet18).", DefaultValueFactory = _ => "auto" };
        private readonly Option<int> epochs = Int("--epochs", 1, 10, "Epochs.");
        private readonly Option<int> batch = Int("--batch", 1, 64, "Batch size.");
        private readonly Option<double> lr = new("--lr") { HelpName = "X", Description = "Adam learning rate (x0.1 every 4 epochs).", DefaultValueFactory = _ => 5e-4, CustomParser = ParseLearningRate };
        private readonly Option<int?> imageSize = OptionalInt("--image-size", 16, "Training/evaluation image side (default 224; 64 for synthetic, 32 for mnist).");
        private readonly Option<int> seed = Int("--seed", 0, 0, "Run seed.");
        private readonly Option<string> device = new("--device") { HelpName = "NAME", Description = "cpu | cuda | cuda:N | auto.", DefaultValueFactory = _ => "cpu" };
        private readonly Option<int> workers = Int("--workers", 0, 2, "Background loader threads.");
        private readonly Option<int?> trainLimit = OptionalInt("--train-limit", 1, "Use only the first N training images (synthetic: generate N; default: all).");
        private readonly Option<int?> testLimit = OptionalInt("--test-limit", 1, "Use only the first N images of each evaluation split (synthetic: generate N).");
        private readonly Option<string?> export = new("--export") { HelpName = "DIR", Description = "Synthetic only: write the benchmark to DIR in the manifest format and exit." };
        private readonly Option<string> outDir = new("--out") { HelpName = "DIR", Description = "Where metrics.json and the checkpoint go.", DefaultValueFactory = _ => Path.Combine("artifacts", "train") };
        private readonly Option<bool> resume = new("--resume") { Description = "Continue from last.ckpt in --out when it exists (refused when its settings differ)." };
        private readonly Option<bool> force = new("--force") { Description = "With --resume: accept a checkpoint written with other settings." };
        private readonly Option<string?> labelMap = new("--label-map") { HelpName = "FILE", Description = "Cross-dataset evaluation (baseline, causal-labels; multi-label): \"train_label,test_label\" lines mapping this model's labels onto the labels of --cross-data (--cross-layout, --cross-split)." };
        private readonly Option<string?> crossData = new("--cross-data") { HelpName = "PATH", Description = "With --label-map: the dataset root with the other label space." };
        private readonly Option<string?> crossLayout = new("--cross-layout") { HelpName = "NAME", Description = "With --label-map: the layout of --cross-data (default: --layout)." };
        private readonly Option<string?> crossSplit = new("--cross-split") { HelpName = "NAME", Description = "With --label-map: the split of --cross-data to evaluate (default: its layout's test split)." };
        private readonly Option<string?> pairs = new("--pairs") { HelpName = "FILE", Description = "Multi-label: biased pairs \"b,c\" (class names or indices) for the exclusive / co-occur AP; default: chosen from the training co-occurrence (ContextualBias-style, P(c|b) >= 0.1)." };
        private readonly Option<int> pairCount = Int("--pair-count", 1, 20, "Multi-label: how many pairs to choose from the training co-occurrence.");
        private readonly Option<bool> multiLabel = new("--multi-label") { Description = "Synthetic only: the multi-label variant (labels = objects present; for causal-labels)." };
        private readonly Option<string> augment = new("--augment") { HelpName = "NAME", Description = "auto | none | flip | crop+flip | imagenet (auto: flip for fixed-size, multi-label or tagged data, so no labelled object is cropped out; imagenet for single-label photos).", DefaultValueFactory = _ => "auto", CustomParser = ParseAugment };
        private readonly Option<(double Min, double Max)?> cropScale = new("--crop-scale") { HelpName = "MIN,MAX", Description = "MIN,MAX: crop area bounds of crop+flip (default 0.5,1) and imagenet (default 0.08,1).", CustomParser = ParseCropScale };

        public CommandLine(string? name = null)
        {
            var models = string.Concat(ModelRecipes.All.Values.OrderBy(r => r.Name).Select(r => $"{Environment.NewLine}  {r.Name,-14} {r.Description}"));
            var description = $"Trains and evaluates a model on a dataset; writes metrics.json and last.ckpt to --out.{Environment.NewLine}{Environment.NewLine}Models (--model):{models}";
            Root = name is null ? new RootCommand(description) : new Command(name, description);
            foreach (var option in new Option[]
            {
                data, layout, splitTrain, splitTest, model, backbone, epochs, batch, lr, imageSize, seed, device, workers, trainLimit, testLimit,
                export, outDir, resume, force, labelMap, crossData, crossLayout, crossSplit, pairs, pairCount, multiLabel, augment, cropScale,
            })
            {
                Root.Add(option);
            }
            Root.Validators.Add(r =>
            {
                if (r.GetValue(force) && !r.GetValue(resume))
                {
                    r.AddError("--force only applies with --resume.");
                }
            });
        }

        public Command Root { get; }

        public TrainArguments Read(ParseResult parse) => new()
        {
            Data = parse.GetValue(data),
            Layout = parse.GetRequiredValue(layout).ToLowerInvariant(),
            SplitTrain = parse.GetValue(splitTrain),
            SplitTest = parse.GetValue(splitTest),
            Model = parse.GetRequiredValue(model).ToLowerInvariant(),
            Backbone = global::CausalVision.Backbones.ImageNetResNet18.ResolveAutoName(parse.GetRequiredValue(backbone).ToLowerInvariant()),
            Epochs = parse.GetValue(epochs),
            Batch = parse.GetValue(batch),
            LearningRate = parse.GetValue(lr),
            ImageSize = parse.GetValue(imageSize),
            Seed = parse.GetValue(seed),
            Device = parse.GetRequiredValue(device),
            Workers = parse.GetValue(workers),
            TrainLimit = parse.GetValue(trainLimit),
            TestLimit = parse.GetValue(testLimit),
            Export = parse.GetValue(export),
            Out = parse.GetRequiredValue(outDir),
            LabelMap = parse.GetValue(labelMap),
            CrossData = parse.GetValue(crossData),
            CrossLayout = parse.GetValue(crossLayout),
            CrossSplit = parse.GetValue(crossSplit),
            Pairs = parse.GetValue(pairs),
            PairCount = parse.GetValue(pairCount),
            Resume = parse.GetValue(resume),
            Force = parse.GetValue(force),
            MultiLabel = parse.GetValue(multiLabel),
            Augment = parse.GetRequiredValue(augment),
            CropScale = parse.GetValue(cropScale),
        };

        private static Option<int> Int(string name, int min, int fallback, string description) =>
            new(name) { HelpName = "N", Description = description, DefaultValueFactory = _ => fallback, CustomParser = r => ParseInt(r, name, min) };

        private static Option<int?> OptionalInt(string name, int min, string description) =>
            new(name) { HelpName = "N", Description = description, CustomParser = r => ParseInt(r, name, min) };

        private static int ParseInt(ArgumentResult result, string name, int min)
        {
            var text = Text(result);
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min)
            {
                return n;
            }

            result.AddError($"{name} must be an integer >= {min}, got '{text}'.");
            return min;
        }

        private static double ParseLearningRate(ArgumentResult result)
        {
            var text = Text(result);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var lr) && double.IsFinite(lr) && lr > 0)
            {
                return lr;
            }

            result.AddError($"--lr must be a positive number, got '{text}'.");
            return 5e-4;
        }

        private static string ParseAugment(ArgumentResult result)
        {
            var text = Text(result);
            var name = text.ToLowerInvariant();
            if (Augmentation.Names.Contains(name))
            {
                return name;
            }

            result.AddError($"--augment must be one of {string.Join(", ", Augmentation.Names)}; got '{text}'.");
            return "auto";
        }

        private static (double Min, double Max)? ParseCropScale(ArgumentResult result)
        {
            try
            {
                return Augmentation.ParseScale(Text(result));
            }
            catch (UsageException e)
            {
                result.AddError(e.Message);
                return null;
            }
        }

        private static string Text(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
    }
}
