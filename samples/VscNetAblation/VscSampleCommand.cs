// The command line shared by samples/VscNetAblation and samples/VscNetCausalPath (the latter links this file):
// the same options with per-sample defaults, --quick for a smoke run, one error line and exit code 2 on bad input.
using System.CommandLine;

namespace CausalVision.Samples;

/// <summary>Command-line settings.</summary>
internal sealed record Arguments(int Seeds, int Train, int Test, int Stage1, int Stage2, int Regions, int Threads, string Out);

/// <summary>Parses the shared command line and runs the sample.</summary>
internal static class VscSampleCommand
{
    /// <summary>Parses <paramref name="args"/> and runs <paramref name="run"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="name">The program name used in error messages.</param>
    /// <param name="description">The --help description.</param>
    /// <param name="defaults">The defaults of every option (Out: the output folder).</param>
    /// <param name="testDescription">The --test option's description.</param>
    /// <param name="report">The report file name written to the output folder.</param>
    /// <param name="run">The sample.</param>
    /// <returns>The exit code: the sample's, or 2 for a bad command line.</returns>
    public static int Invoke(string[] args, string name, string description, Arguments defaults, string testDescription, string report, Func<Arguments, int> run)
    {
        var seeds = new Option<int>("--seeds") { Description = "Seeds 0 .. N-1; every row is trained once per seed.", DefaultValueFactory = _ => defaults.Seeds };
        var train = new Option<int>("--train") { Description = "Training images per seed.", DefaultValueFactory = _ => defaults.Train };
        var test = new Option<int>("--test") { Description = testDescription, DefaultValueFactory = _ => defaults.Test };
        var stage1 = new Option<int>("--stage1") { Description = "Stage-1 epochs.", DefaultValueFactory = _ => defaults.Stage1 };
        var stage2 = new Option<int>("--stage2") { Description = "Stage-2 epochs.", DefaultValueFactory = _ => defaults.Stage2 };
        var regions = new Option<int>("--regions") { Description = "J, the FVA regions.", DefaultValueFactory = _ => defaults.Regions };
        var threads = new Option<int>("--threads") { Description = "TorchSharp intra-op threads.", DefaultValueFactory = _ => defaults.Threads };
        var outDir = new Option<string>("--out") { Description = $"Output folder of {report}.", DefaultValueFactory = _ => defaults.Out };
        var quick = new Option<bool>("--quick") { Description = "A smoke run: --seeds 1 --train 120 --test 60 --stage1 1 --stage2 1 (options given explicitly win)." };
        var root = new RootCommand(description) { seeds, train, test, stage1, stage2, regions, threads, outDir, quick };
        root.SetAction(parse =>
        {
            // --quick replaces the defaults of the options that are not given.
            int Pick(Option<int> option, int quickValue) =>
                parse.GetValue(quick) && parse.GetResult(option) is not { Implicit: false } ? quickValue : parse.GetValue(option);
            return run(new Arguments(
                Pick(seeds, 1),
                Pick(train, 120),
                Pick(test, 60),
                Pick(stage1, 1),
                Pick(stage2, 1),
                parse.GetValue(regions),
                parse.GetValue(threads),
                parse.GetRequiredValue(outDir)));
        });

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line: the most specific error (an unknown token says more than a missing value).
            var error = parsed.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
            Console.Error.WriteLine($"{name}: {error.Message} Try --help.");
            return 2;
        }

        return parsed.Invoke();
    }
}
