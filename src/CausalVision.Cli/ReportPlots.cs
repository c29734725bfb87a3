// The report plots, drawn with ScottPlot from the files a run writes (one implementation for the tool's
// `train` and `experiment` commands, samples/Train, samples/Experiments and samples/ExperimentPlots):
//   bars-METRIC.png    an experiment's summary.json (CausalVision.Evaluation.ExperimentReport): one bar per row,
//                      the mean over seeds with its confidence interval as the whisker;
//   sweep-METRIC.png   for rows named "METHOD@p=VALUE": the metric against p, one line per method, with error bars;
//   curves-loss.png, curves-metrics.png   a training run's metrics.json: the training loss and every evaluation
//                      metric per epoch.
using System.Globalization;
using System.Text.Json;
using ScottPlot;

namespace CausalVision.Cli;

/// <summary>Draws the PNG plots of an experiment (<c>summary.json</c>) or of a training run (<c>metrics.json</c>).</summary>
internal static class ReportPlots
{
    private const int Width = 720;
    private const int Height = 420;

    /// <summary>Draws the bars (and sweeps) of an experiment's <c>DIR/summary.json</c> into DIR.</summary>
    /// <param name="dir">The experiment's output folder.</param>
    /// <param name="chosen">The metrics to plot; empty for every metric of the summary.</param>
    /// <returns>The files written.</returns>
    /// <exception cref="FileNotFoundException">DIR holds no summary.json.</exception>
    public static IReadOnlyList<string> Experiment(string dir, IReadOnlyCollection<string> chosen)
    {
        var path = Path.Combine(dir, "summary.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} not found; run the experiment first.", path);
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var experiment = doc.RootElement.GetProperty("experiment").GetString()!;
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().Select(r => new Row(
            r.GetProperty("name").GetString()!,
            r.GetProperty("metrics").EnumerateObject().ToDictionary(
                m => m.Name,
                m => new Estimate(Num(m.Value, "mean"), Num(m.Value, "ci_low"), Num(m.Value, "ci_high"))))).ToList();
        var metrics = chosen.Count > 0 ? [.. chosen] : rows.SelectMany(r => r.Metrics.Keys).Distinct().ToList();
        var written = new List<string>();
        foreach (var metric in metrics)
        {
            if (Bars(dir, experiment, rows, metric) is { } bars)
            {
                written.Add(bars);
            }

            if (Sweep(dir, experiment, rows, metric) is { } sweep)
            {
                written.Add(sweep);
            }
        }

        return written;
    }

    /// <summary>Draws the training curves of a run's <c>DIR/metrics.json</c> (its <c>history</c>) into DIR.</summary>
    /// <param name="dir">The training run's output folder.</param>
    /// <returns>The files written: none when the history is empty.</returns>
    /// <exception cref="FileNotFoundException">DIR holds no metrics.json.</exception>
    public static IReadOnlyList<string> TrainingCurves(string dir)
    {
        var file = Path.Combine(dir, "metrics.json");
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"{file} not found; train first.", file);
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        if (!doc.RootElement.TryGetProperty("history", out var history) || history.ValueKind != JsonValueKind.Array || history.GetArrayLength() == 0)
        {
            return [];
        }

        var epochs = history.EnumerateArray().ToList();
        var xs = epochs.Select(e => Num(e, "epoch")).ToArray();
        var model = doc.RootElement.TryGetProperty("model", out var m) ? m.GetString() : "model";
        var written = new List<string>();
        var loss = new Plot();
        loss.Add.Scatter(xs, [.. epochs.Select(e => Num(e, "loss"))]);
        loss.Title($"{model}: training loss per epoch");
        loss.XLabel("epoch");
        loss.YLabel("loss");
        written.Add(Save(loss, Path.Combine(dir, "curves-loss.png")));

        var names = epochs
            .Where(e => e.TryGetProperty("metrics", out var mm) && mm.ValueKind == JsonValueKind.Object)
            .SelectMany(e => e.GetProperty("metrics").EnumerateObject().Select(p => p.Name))
            .Distinct()
            .ToList();
        if (names.Count == 0)
        {
            return written;
        }

        var curves = new Plot();
        foreach (var name in names)
        {
            var ys = epochs.Select(e => e.TryGetProperty("metrics", out var mm) && mm.ValueKind == JsonValueKind.Object ? Num(mm, name) : double.NaN).ToArray();
            curves.Add.Scatter(xs, ys).LegendText = name;
        }

        curves.Title($"{model}: evaluation metrics per epoch");
        curves.XLabel("epoch");
        curves.ShowLegend();
        written.Add(Save(curves, Path.Combine(dir, "curves-metrics.png")));
        return written;
    }

    // Bars with CI whiskers, one per row that has the metric.
    private static string? Bars(string dir, string experiment, List<Row> rows, string metric)
    {
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

        if (bars.Count == 0)
        {
            return null;
        }

        var plot = new Plot();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Margins(bottom: 0);
        plot.Title($"{experiment}: {metric} (mean, 95 % CI)");
        plot.YLabel(metric);
        return Save(plot, Path.Combine(dir, $"bars-{metric}.png"));
    }

    // The metric against p for rows named METHOD@p=VALUE, one line per method.
    private static string? Sweep(string dir, string experiment, List<Row> rows, string metric)
    {
        var sweep = rows
            .Select(r => (Row: r, At: r.Name.Split("@p=")))
            .Where(t => t.At.Length == 2 && double.TryParse(t.At[1], NumberStyles.Float, CultureInfo.InvariantCulture, out _) && t.Row.Metrics.ContainsKey(metric))
            .GroupBy(t => t.At[0])
            .ToList();
        if (sweep.Count == 0)
        {
            return null;
        }

        var plot = new Plot();
        foreach (var method in sweep)
        {
            var points = method
                .Select(t => (P: double.Parse(t.At[1], CultureInfo.InvariantCulture), E: t.Row.Metrics[metric]))
                .OrderBy(t => t.P)
                .ToArray();
            var xs = points.Select(t => t.P).ToArray();
            var ys = points.Select(t => t.E.Mean).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = method.Key;
            var errors = points.Select(t => double.IsFinite(t.E.Low) ? (t.E.High - t.E.Low) / 2 : 0).ToArray();
            plot.Add.ErrorBar(xs, ys, errors).Color = scatter.Color;
        }

        plot.Title($"{experiment}: {metric} vs spurious correlation p (mean, 95 % CI)");
        plot.XLabel("p (train)");
        plot.YLabel(metric);
        plot.ShowLegend();
        return Save(plot, Path.Combine(dir, $"sweep-{metric}.png"));
    }

    private static string Save(Plot plot, string file)
    {
        plot.SavePng(file, Width, Height);
        return file;
    }

    private static double Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    private sealed record Estimate(double Mean, double Low, double High);

    private sealed record Row(string Name, Dictionary<string, Estimate> Metrics);
}
