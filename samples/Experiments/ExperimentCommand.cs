// The experiment command line: `samples/Experiments` (its Program.cs) and the causalvision tool's `experiment`.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CausalVision.Evaluation;
using CausalVision.Runtime;

namespace CausalVision.Samples;

/// <summary>Builds the command that runs a named experiment.</summary>
internal static class ExperimentCommand
{
    private const string Description = "Runs a named CausalVision experiment (rows x seeds, paired 95 % confidence intervals). Writes OUT/summary.json, OUT/results.csv and OUT/summary.md; an existing OUT is resumed.";

    /// <summary>Creates the command.</summary>
    /// <param name="name">The subcommand name (e.g. the tool's <c>experiment</c>), or null for a program's root command.</param>
    /// <param name="host">Runs the action (e.g. under the libstdc++ fix); null runs it directly.</param>
    /// <returns>The command.</returns>
    public static Command Create(string? name = null, Func<Func<int>, int>? host = null)
    {
        string[] known = [.. BaselineRows.Names, .. VscNetRows.Names, .. CausalLabelRows.Names];
        var nameArg = new Argument<string>("name") { Description = $"The experiment: {string.Join(", ", known)}." };
        var seeds = new Option<int>("--seeds") { Description = "Number of seeds (0 .. N-1); every row runs with each.", DefaultValueFactory = _ => 5 };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default artifacts/experiments/NAME); an existing one is resumed." };
        var backbone = new Option<string>("--backbone") { Description = "Backbone registry name (BackboneRegistry.Create), frozen; e.g. resnet18.", DefaultValueFactory = _ => "resnet18" };
        var pretrained = new Option<string?>("--pretrained") { Description = "Weights file for the backbone (default: random initialisation from the seed)." };
        var p = new Option<double>("--p") { Description = "Spurious correlation p of train / val / test_iid.", DefaultValueFactory = _ => 0.95 };
        var sweep = new Option<string>("--sweep") { Description = "p values of the p-sweep, comma-separated.", DefaultValueFactory = _ => "0.5,0.8,0.95,0.99" };
        var trainSize = new Option<int>("--train-size") { Description = "Training images per seed.", DefaultValueFactory = _ => 2000 };
        var valSize = new Option<int>("--val-size") { Description = "Validation images (training distribution) per seed.", DefaultValueFactory = _ => 600 };
        var testSize = new Option<int>("--test-size") { Description = "test_ood images per seed (test_iid gets a third).", DefaultValueFactory = _ => 1800 };
        var imageSize = new Option<int>("--image-size") { Description = "Image side in pixels.", DefaultValueFactory = _ => 64 };
        var epochs = new Option<int>("--epochs") { Description = "Linear-head epochs.", DefaultValueFactory = _ => 40 };
        var lr = new Option<double>("--lr") { Description = "Linear-head Adam learning rate.", DefaultValueFactory = _ => 0.01 };
        var droStep = new Option<double>("--dro-step") { Description = "Group DRO step size eta.", DefaultValueFactory = _ => 0.01 };
        var bootstrap = new Option<bool>("--bootstrap") { Description = "Percentile-bootstrap intervals instead of Student t." };
        var inputSize = new Option<int>("--input-size") { Description = "VSCNet experiments: the side images are resized to before the frozen backbone (128 gives a 4 x 4 ResNet map).", DefaultValueFactory = _ => 128 };
        var regions = new Option<int>("--regions") { Description = "VSCNet experiments: J, the FVA regions.", DefaultValueFactory = _ => 4 };
        var stage1 = new Option<int>("--stage1") { Description = "VSCNet experiments: stage-1 epochs (every row trains stage1 + stage2 epochs).", DefaultValueFactory = _ => 6 };
        var stage2 = new Option<int>("--stage2") { Description = "VSCNet experiments: stage-2 epochs.", DefaultValueFactory = _ => 6 };
        var batch = new Option<int>("--batch") { Description = "VSCNet experiments: batch size of every row.", DefaultValueFactory = _ => 64 };
        var vscLr = new Option<double>("--vsc-lr") { Description = "VSCNet experiments: VSCNet's Adam learning rate.", DefaultValueFactory = _ => 1e-3 };
        var paperDefaults = new Option<bool>("--paper-defaults") { Description = "VSCNet experiments: the paper/authors'-code FVA, CIM and eq. 7 instead of the fixed options." };
        var minMembers = new Option<int>("--hierarchy-min-members") { Description = "VSCNet experiments: the smallest ART cluster kept as a prototype (HierarchyOptions.MinMembers).", DefaultValueFactory = _ => 8 };
        var bias = new Option<string>("--bias") { Description = "causal-labels: the multi-label benchmark's bias, direct or common-cause.", DefaultValueFactory = _ => "direct" };
        var confounders = new Option<int>("--k") { Description = "causal-labels: K, the confounders of the main rows.", DefaultValueFactory = _ => 80 };
        var labelStage1 = new Option<int>("--label-stage1") { Description = "causal-labels: Decouple stage-1 epochs (one checkpoint per seed).", DefaultValueFactory = _ => 6 };
        var labelEpochs = new Option<int>("--label-epochs") { Description = "causal-labels: stage-3 epochs of every row.", DefaultValueFactory = _ => 3 };
        var modelDim = new Option<int>("--model-dim") { Description = "causal-labels: the label decoder's width d.", DefaultValueFactory = _ => 128 };
        var forms = new Option<string>("--forms") { Description = "causal-labels: intervention forms, comma-separated (grounded, groundednormalized, literal, layernorm).", DefaultValueFactory = _ => "grounded,groundednormalized,literal,layernorm" };
        var sweepK = new Option<string>("--sweep-k") { Description = "causal-labels: extra K of the grounded sweep, comma-separated (e.g. 20,40,60,100).", DefaultValueFactory = _ => "" };
        var controls = new Option<string>("--controls") { Description = "causal-labels: dictionary controls trained with the grounded form, comma-separated (zero, priormean, matchedrandom, shuffledprior; none for no control).", DefaultValueFactory = _ => "zero,priormean,matchedrandom,shuffledprior" };
        var weightDecays = new Option<string>("--weight-decays") { Description = "baseline-rows: extra ERM and Group DRO rows at these weight decays, comma-separated (e.g. 0.01,0.1,1).", DefaultValueFactory = _ => "" };
        var baselineRow = new Option<string?>("--baseline") { Description = "The row the paired differences are taken against (default: the experiment's own, e.g. erm); e.g. erm@p=0.9 with --rows to report one p of a sweep." };
        var onlyRows = new Option<string?>("--rows") { Description = "Run only these rows (comma-separated names; the baseline row is always kept)." };
        var threads = new Option<int>("--threads") { Description = "TorchSharp intra-op threads (0: library default).", DefaultValueFactory = _ => 0 };

        Command root = name is null
            ? new RootCommand(Description)
            : new Command(name, Description);
        foreach (var symbol in new Symbol[]
        {
            nameArg, seeds, outDir, backbone, pretrained, p, sweep, trainSize, valSize, testSize, imageSize, epochs, lr, droStep, bootstrap, threads,
            inputSize, regions, stage1, stage2, batch, vscLr, paperDefaults, onlyRows, minMembers, baselineRow, weightDecays,
            bias, confounders, labelStage1, labelEpochs, modelDim, forms, sweepK, controls,
        })
        {
            switch (symbol)
            {
                case Argument a:
                    root.Add(a);
                    break;
                case Option o:
                    root.Add(o);
                    break;
            }
        }

        root.SetAction(parse => host is null ? Run(parse) : host(() => Run(parse)));
        return root;

        int Run(ParseResult parse)
        {
            var name = parse.GetValue(nameArg)!;
            if (!known.Contains(name))
            {
                Console.Error.WriteLine($"experiment: unknown experiment '{name}'; known: {string.Join(", ", known)}.");
                return 2;
            }

            var n = parse.GetValue(seeds);
            if (n < 1)
            {
                Console.Error.WriteLine("experiment: --seeds must be at least 1.");
                return 2;
            }

            double[] ps;
            try
            {
                ps = [.. parse.GetValue(sweep)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
            }
            catch (FormatException)
            {
                Console.Error.WriteLine("experiment: --sweep must be comma-separated numbers, e.g. 0.5,0.9.");
                return 2;
            }

            var settings = new ExperimentSettings(
                parse.GetValue(backbone)!, parse.GetValue(pretrained), parse.GetValue(p), parse.GetValue(trainSize), parse.GetValue(valSize),
                parse.GetValue(testSize), parse.GetValue(imageSize), parse.GetValue(epochs), parse.GetValue(lr), parse.GetValue(droStep), ps)
            {
                WeightDecays = [.. parse.GetValue(weightDecays)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture))],
            };
            var output = parse.GetValue(outDir) ?? Path.Combine("artifacts", "experiments", name);
            TorchRuntime.EnsureAvailable();
            if (parse.GetValue(threads) > 0)
            {
                TorchSharp.torch.set_num_threads(parse.GetValue(threads));
            }

            Console.WriteLine($"experiment {name}: {n} seeds -> {output} ({TorchRuntime.Describe()})");
            var vsc = new VscSettings(parse.GetValue(inputSize), parse.GetValue(regions), parse.GetValue(stage1), parse.GetValue(stage2), parse.GetValue(batch), parse.GetValue(vscLr), parse.GetValue(paperDefaults), parse.GetValue(minMembers));
            ExperimentDefinition definition;
            try
            {
                definition = name switch
                {
                    _ when VscNetRows.Names.Contains(name) => VscNetRows.Create(name, settings, vsc),
                    _ when CausalLabelRows.Names.Contains(name) => CausalLabelRows.Create(settings, vsc, new LabelSettings(
                        CausalLabelRows.ParseBias(parse.GetValue(bias)!),
                        parse.GetValue(confounders),
                        parse.GetValue(labelStage1),
                        parse.GetValue(labelEpochs),
                        parse.GetValue(modelDim),
                        [.. parse.GetValue(forms)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(f => Enum.Parse<CausalVision.CausalLabels.InterventionForm>(f, ignoreCase: true))],
                        [.. parse.GetValue(sweepK)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => int.Parse(k, CultureInfo.InvariantCulture))],
                        [.. parse.GetValue(controls)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(c => c != "none").Select(c => Enum.Parse<CausalVision.CausalLabels.DictionaryControl>(c, ignoreCase: true))])),
                    _ => BaselineRows.Create(name, settings),
                };
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                Console.Error.WriteLine($"experiment: {e.Message}");
                return 2;
            }
            if (parse.GetValue(baselineRow) is { } chosen)
            {
                if (definition.Rows.All(r => r.Name != chosen))
                {
                    Console.Error.WriteLine($"experiment: --baseline {chosen} is not a row; rows: {string.Join(", ", definition.Rows.Select(r => r.Name))}.");
                    return 2;
                }

                definition.Baseline = chosen;
            }

            if (parse.GetValue(onlyRows) is { } filter)
            {
                var keep = filter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Append(definition.Baseline).ToHashSet(StringComparer.Ordinal);
                var unknown = keep.Where(r => definition.Rows.All(row => row.Name != r)).ToArray();
                if (unknown.Length > 0)
                {
                    Console.Error.WriteLine($"experiment: unknown row(s) {string.Join(", ", unknown)}; rows: {string.Join(", ", definition.Rows.Select(r => r.Name))}.");
                    return 2;
                }

                definition.Rows = [.. definition.Rows.Where(r => keep.Contains(r.Name))];
            }

            var watch = Stopwatch.StartNew();
            var summary = ExperimentRunner.Run(definition, new ExperimentRunnerOptions
            {
                Seeds = [.. Enumerable.Range(0, n)],
                OutputDirectory = output,
                Method = parse.GetValue(bootstrap) ? IntervalMethod.PercentileBootstrap : IntervalMethod.StudentT,
                Log = m => Console.WriteLine($"{watch.Elapsed.TotalSeconds,7:0.0}s {m}"),
            });
            Console.WriteLine();
            Console.WriteLine(ExperimentReport.ToMarkdown(summary));
            Console.WriteLine($"wall time {watch.Elapsed.TotalSeconds:0.0} s; wrote {Path.Combine(output, ExperimentReport.SummaryFileName)}");
            foreach (var plot in CausalVision.Cli.ReportPlots.Experiment(output, []))
            {
                Console.WriteLine($"plot: {plot}");
            }

            return 0;
        }
    }
}
