// Redraws the PNG plots of a finished run: an experiment's DIR/summary.json (bars-METRIC.png with 95 %
// confidence intervals, sweep-METRIC.png for "METHOD@p=VALUE" rows) or a training run's DIR/metrics.json
// (curves-loss.png, curves-metrics.png). The tool's `experiment` and `train` commands draw the same plots
// themselves (one implementation, src/CausalVision.Cli/ReportPlots.cs); this program redraws them, e.g.
// for chosen metrics.
// Usage: ExperimentPlots DIR [METRIC ...]   (--help lists the arguments)
using System.CommandLine;
using CausalVision.Cli;

var dirArg = new Argument<string>("dir") { Description = "The experiment's output folder (DIR/summary.json), or a training run's (DIR/metrics.json); the PNGs are written there." };
var metricsArg = new Argument<string[]>("metric") { Description = "The metrics to plot (default: every metric of the summary).", Arity = ArgumentArity.ZeroOrMore };
var root = new RootCommand("Draws an experiment's plots from DIR/summary.json (DIR/bars-*.png, DIR/sweep-*.png), or a training run's curves from DIR/metrics.json (DIR/curves-*.png).")
{
    dirArg, metricsArg,
};
root.SetAction(parse =>
{
    var dir = parse.GetRequiredValue(dirArg);
    var training = !File.Exists(Path.Combine(dir, "summary.json")) && File.Exists(Path.Combine(dir, "metrics.json"));
    try
    {
        var files = training ? ReportPlots.TrainingCurves(dir) : ReportPlots.Experiment(dir, parse.GetValue(metricsArg) ?? []);
        if (training && files.Count == 0)
        {
            Console.Error.WriteLine($"plots: {Path.Combine(dir, "metrics.json")} has no per-epoch history.");
            return 2;
        }

        foreach (var file in files)
        {
            Console.WriteLine(file);
        }

        return 0;
    }
    catch (FileNotFoundException e)
    {
        Console.Error.WriteLine($"plots: {e.Message}");
        return 2;
    }
});

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line: the most specific error (an unknown token says more than a missing argument).
    var error = parsed.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
    Console.Error.WriteLine($"plots: {error.Message} Try --help.");
    return 2;
}

return parsed.Invoke();
