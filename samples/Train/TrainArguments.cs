// The command line of samples/Train: a small hand-written parser (--name value pairs and flags),
// so the sample controls its error messages and exit codes exactly.
using System.Globalization;

namespace CausalVision.Samples.Train;

/// <summary>The parsed command line.</summary>
public sealed class TrainArguments
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        usage: Train --data <root or file> --layout <layout> [options]

          --data PATH          dataset root (or, for mnist, the folder of IDX files); not needed for --layout synthetic
          --layout NAME        manifest | folder | food101 | nuswide | coco | deepfashion | mnist | synthetic
          --split-train NAME   training split (default per layout: train, train2017 for coco)
          --split-test NAME    evaluation split (default per layout: test, test_iid for manifest/synthetic when present, val2017 for coco)
          --model NAME         model recipe (default baseline); see the list below
          --backbone NAME      auto | resnet18 | resnet18-imagenet | resnet50 | vit_tiny_patch16 | vit_small_patch16 | vit_base_patch16
                               (default auto: resnet18-imagenet when its package is restored, else resnet18)
          --epochs N           epochs (default 10)
          --batch N            batch size (default 64)
          --lr X               Adam learning rate (default 5e-4; x0.1 every 4 epochs)
          --image-size N       training/evaluation image side (default 224; 64 for synthetic, 32 for mnist)
          --seed N             run seed (default 0)
          --device NAME        cpu | cuda | cuda:N | auto (default cpu)
          --workers N          background loader threads (default 2)
          --train-limit N      use only the first N training images (synthetic: generate N; default: all)
          --test-limit N       use only the first N images of each evaluation split (synthetic: generate N)
          --export DIR         synthetic only: write the benchmark to DIR in the manifest format and exit
          --out DIR            where metrics.json and the checkpoint go (default artifacts/train)
          --resume             continue from DIR/last.ckpt when it exists (refused when its settings differ)
          --force              with --resume: accept a checkpoint written with other settings
          --label-map FILE     cross-dataset evaluation (baseline, causal-labels; multi-label): "train_label,test_label" lines mapping
                               this model's labels onto the labels of --cross-data (--cross-layout, --cross-split)
          --pairs FILE         multi-label: biased pairs "b,c" (class names or indices) for the exclusive / co-occur AP;
                               default: chosen from the training co-occurrence (ContextualBias-style, P(c|b) >= 0.1)
          --pair-count N       multi-label: how many pairs to choose from the training co-occurrence (default 20)
          --multi-label        synthetic only: the multi-label variant (labels = objects present; for causal-labels)
          --augment NAME       auto | none | flip | crop+flip | imagenet (default auto: flip for fixed-size, multi-label or
                               tagged data, so no labelled object is cropped out; imagenet for single-label photos)
          --crop-scale MIN,MAX crop area bounds of crop+flip (default 0.5,1) and imagenet (default 0.08,1)
        """;

    private static readonly HashSet<string> Flags = ["--resume", "--force", "--multi-label", "--help", "-h"];

    private static readonly HashSet<string> Known =
    [
        "--data", "--layout", "--split-train", "--split-test", "--model", "--backbone", "--epochs", "--batch",
        "--lr", "--image-size", "--seed", "--device", "--workers", "--train-limit", "--test-limit", "--export", "--out",
        "--label-map", "--cross-data", "--cross-layout", "--cross-split", "--pairs", "--pair-count",
        "--augment", "--crop-scale",
    ];

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

    public bool Help { get; private init; }

    /// <summary>Gets the training augmentation name (see <see cref="Augmentation"/>).</summary>
    public string Augment { get; private init; } = "auto";

    /// <summary>Gets the crop area bounds of --crop-scale, or null for the augmentation's default.</summary>
    public (double Min, double Max)? CropScale { get; private init; }

    /// <summary>Parses <paramref name="args"/>.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The arguments.</returns>
    /// <exception cref="UsageException">An unknown option, a missing or malformed value.</exception>
    public static TrainArguments Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            string name = a, value;
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = a[..eq];
                value = a[(eq + 1)..];
            }
            else if (Flags.Contains(a))
            {
                if (!flags.Add(a))
                {
                    throw new UsageException($"option {a} is given more than once.");
                }

                continue;
            }
            else if (Known.Contains(a))
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"option {a} needs a value.");
                }

                value = args[++i];
            }
            else
            {
                throw new UsageException($"unknown option '{a}'; run with --help for the list.");
            }

            if (!Known.Contains(name))
            {
                throw new UsageException($"unknown option '{name}'; run with --help for the list.");
            }

            if (values.TryGetValue(name, out var earlier))
            {
                throw new UsageException($"option {name} is given more than once ('{earlier}' and '{value}'); give it once.");
            }

            values[name] = value;
        }

        if (flags.Contains("--force") && !flags.Contains("--resume"))
        {
            throw new UsageException("--force only applies with --resume.");
        }

        string? Str(string key) => values.TryGetValue(key, out var v) ? v : null;
        int? Int(string key, int min)
        {
            if (!values.TryGetValue(key, out var v))
            {
                return null;
            }

            if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min)
            {
                throw new UsageException($"{key} must be an integer >= {min}, got '{v}'.");
            }

            return n;
        }

        double lr = 5e-4;
        if (values.TryGetValue("--lr", out var lrText)
            && (!double.TryParse(lrText, NumberStyles.Float, CultureInfo.InvariantCulture, out lr) || !double.IsFinite(lr) || lr <= 0))
        {
            throw new UsageException($"--lr must be a positive number, got '{lrText}'.");
        }

        return new TrainArguments
        {
            Data = Str("--data"),
            Layout = (Str("--layout") ?? "manifest").ToLowerInvariant(),
            SplitTrain = Str("--split-train"),
            SplitTest = Str("--split-test"),
            Model = (Str("--model") ?? "baseline").ToLowerInvariant(),
            Backbone = global::CausalVision.Backbones.ImageNetResNet18.ResolveAutoName((Str("--backbone") ?? "auto").ToLowerInvariant()),
            Epochs = Int("--epochs", 1) ?? 10,
            Batch = Int("--batch", 1) ?? 64,
            LearningRate = lr,
            ImageSize = Int("--image-size", 16),
            Seed = Int("--seed", 0) ?? 0,
            Device = Str("--device") ?? "cpu",
            Workers = Int("--workers", 0) ?? 2,
            TrainLimit = Int("--train-limit", 1),
            TestLimit = Int("--test-limit", 1),
            Export = Str("--export"),
            Out = Str("--out") ?? Path.Combine("artifacts", "train"),
            LabelMap = Str("--label-map"),
            CrossData = Str("--cross-data"),
            CrossLayout = Str("--cross-layout"),
            CrossSplit = Str("--cross-split"),
            Pairs = Str("--pairs"),
            PairCount = Int("--pair-count", 1) ?? 20,
            Resume = flags.Contains("--resume"),
            Force = flags.Contains("--force"),
            MultiLabel = flags.Contains("--multi-label"),
            Help = flags.Contains("--help") || flags.Contains("-h"),
            Augment = Augmentation.Names.Contains((Str("--augment") ?? "auto").ToLowerInvariant())
                ? (Str("--augment") ?? "auto").ToLowerInvariant()
                : throw new UsageException($"--augment must be one of {string.Join(", ", Augmentation.Names)}; got '{Str("--augment")}'."),
            CropScale = Augmentation.ParseScale(Str("--crop-scale")),
        };
    }
}
