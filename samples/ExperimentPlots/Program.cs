// Draws an experiment's plots from its summary.json (the contract written by
// CausalVision.Evaluation.ExperimentReport):
//   bars-METRIC.png   one bar per row: the mean over seeds with its confidence interval;
//   sweep-METRIC.png  for rows named "METHOD@p=VALUE": the metric against p, one line per method,
//                     with the interval as error bars.
//   curves-loss.png, curves-metrics.png   for a training run's DIR/metrics.json (samples/Train, `./build.sh train`):
//                     the training loss and every evaluation metric per epoch.
// Usage: ExperimentPlots DIR [METRIC ...]   (default: every metric of the summary; --help lists the arguments)
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ScottPlot;

var dirArg = new Argument<string>("dir") { Description = "The experiment's output folder (DIR/summary.json), or a training run's (DIR/metrics.json); the PNGs are written there." };
var metricsArg = new Argument<string[]>("metric") { Description = "The metrics to plot (default: every metric of the summary).", Arity = ArgumentArity.ZeroOrMore };
var root = new RootCommand("Draws an experiment's plots from DIR/summary.json (DIR/bars-*.png, DIR/sweep-*.png), or a training run's curves from DIR/metrics.json (DIR/curves-*.png).")
{
    dirArg, metricsArg,
};
root.SetAction(parse => Plots(parse.GetRequiredValue(dirArg), parse.GetValue(metricsArg) ?? []));

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line: the most specific error (an unknown token says more than a missing argument).
    var error = parsed.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
    Console.Error.WriteLine($"plots: {error.Message} Try --help.");
    return 2;
}

return parsed.Invoke();

// Bars (and sweep lines) of the summary's metrics, or the training curves of DIR/metrics.json.
static int Plots(string dir, string[] chosen)
{
    var path = Path.Combine(dir, "summary.json");
    if (!File.Exists(path) && File.Exists(Path.Combine(dir, "metrics.json")))
    {
        return TrainingCurves(dir);
    }

    if (!File.Exists(path))
    {
        Console.Error.WriteLine($"plots: {path} not found; run the experiment first.");
        return 2;
    }

    using var doc = JsonDocument.Parse(File.ReadAllText(path));
    var experiment = doc.RootElement.GetProperty("experiment").GetString()!;
    var rows = doc.RootElement.GetProperty("rows").EnumerateArray().Select(r => new Row(
        r.GetProperty("name").GetString()!,
        r.GetProperty("metrics").EnumerateObject().ToDictionary(
            m => m.Name,
            m => (Mean: Num(m.Value, "mean"), Low: Num(m.Value, "ci_low"), High: Num(m.Value, "ci_high"))))).ToList();
    var metrics = chosen.Length > 0 ? chosen : [.. rows.SelectMany(r => r.Metrics.Keys).Distinct()];

    foreach (var metric in metrics)
    {
        // Bars with CI whiskers, one per row.
        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (!rows[i].Metrics.TryGetValue(metric, out var e) || !double.IsFinite(e.Mean))
            {
                continue;
            }

            var bar = new Bar { Position = i, Value = e.Mean, FillColor = Colors.SteelBlue };
            if (double.IsFinite(e.Low))
            {
                bar.Error = (e.High - e.Low) / 2; // Student t intervals are symmetric about the mean.
                bar.ValueBase = 0;
            }

            bars.Add(bar);
            ticks.Add(new Tick(i, rows[i].Name));
        }

        if (bars.Count > 0)
        {
            plot.Add.Bars(bars);
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
            plot.Axes.Margins(bottom: 0);
            plot.Title($"{experiment}: {metric} (mean, 95 % CI)");
            plot.YLabel(metric);
            var file = Path.Combine(dir, $"bars-{metric}.png");
            plot.SavePng(file, 720, 420);
            Console.WriteLine(file);
        }

        // Accuracy vs p for rows named METHOD@p=VALUE.
        var sweep = rows
            .Select(r => (Row: r, At: r.Name.Split("@p=")))
            .Where(t => t.At.Length == 2 && double.TryParse(t.At[1], NumberStyles.Float, CultureInfo.InvariantCulture, out _) && t.Row.Metrics.ContainsKey(metric))
            .GroupBy(t => t.At[0])
            .ToList();
        if (sweep.Count == 0)
        {
            continue;
        }

        var sweepPlot = new Plot();
        foreach (var method in sweep)
        {
            var points = method
                .Select(t => (P: double.Parse(t.At[1], CultureInfo.InvariantCulture), E: t.Row.Metrics[metric]))
                .OrderBy(t => t.P)
                .ToArray();
            var xs = points.Select(t => t.P).ToArray();
            var ys = points.Select(t => t.E.Mean).ToArray();
            var scatter = sweepPlot.Add.Scatter(xs, ys);
            scatter.LegendText = method.Key;
            var errors = points.Select(t => double.IsFinite(t.E.Low) ? (t.E.High - t.E.Low) / 2 : 0).ToArray();
            var bars2 = sweepPlot.Add.ErrorBar(xs, ys, errors);
            bars2.Color = scatter.Color;
        }

        sweepPlot.Title($"{experiment}: {metric} vs spurious correlation p (mean, 95 % CI)");
        sweepPlot.XLabel("p (train)");
        sweepPlot.YLabel(metric);
        sweepPlot.ShowLegend();
        var sweepFile = Path.Combine(dir, $"sweep-{metric}.png");
        sweepPlot.SavePng(sweepFile, 720, 420);
        Console.WriteLine(sweepFile);
    }

    return 0;
}

// Training curves from samples/Train's metrics.json: "history": [{ "epoch", "loss", "metrics": { name: value } }].
static int TrainingCurves(string dir)
{
    var file = Path.Combine(dir, "metrics.json");
    using var doc = JsonDocument.Parse(File.ReadAllText(file));
    if (!doc.RootElement.TryGetProperty("history", out var history) || history.ValueKind != JsonValueKind.Array || history.GetArrayLength() == 0)
    {
        Console.Error.WriteLine($"plots: {file} has no per-epoch history.");
        return 2;
    }

    var epochs = history.EnumerateArray().ToList();
    var xs = epochs.Select(e => Num(e, "epoch")).ToArray();
    var model = doc.RootElement.TryGetProperty("model", out var m) ? m.GetString() : "model";
    var loss = new Plot();
    loss.Add.Scatter(xs, [.. epochs.Select(e => Num(e, "loss"))]);
    loss.Title($"{model}: training loss per epoch");
    loss.XLabel("epoch");
    loss.YLabel("loss");
    var lossFile = Path.Combine(dir, "curves-loss.png");
    loss.SavePng(lossFile, 720, 420);
    Console.WriteLine(lossFile);

    var names = epochs
        .Where(e => e.TryGetProperty("metrics", out var mm) && mm.ValueKind == JsonValueKind.Object)
        .SelectMany(e => e.GetProperty("metrics").EnumerateObject().Select(p => p.Name))
        .Distinct()
        .ToList();
    if (names.Count == 0)
    {
        return 0;
    }

    var curves = new Plot();
    foreach (var name in names)
    {
        var ys = epochs.Select(e => e.TryGetProperty("metrics", out var mm) && mm.ValueKind == JsonValueKind.Object ? Num(mm, name) : double.NaN).ToArray();
        var line = curves.Add.Scatter(xs, ys);
        line.LegendText = name;
    }

    curves.Title($"{model}: evaluation metrics per epoch");
    curves.XLabel("epoch");
    curves.ShowLegend();
    var curvesFile = Path.Combine(dir, "curves-metrics.png");
    curves.SavePng(curvesFile, 720, 420);
    Console.WriteLine(curvesFile);
    return 0;
}

static double Num(JsonElement e, string name) =>
    e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

internal sealed record Row(string Name, Dictionary<string, (double Mean, double Low, double High)> Metrics);
