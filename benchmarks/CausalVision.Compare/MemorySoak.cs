using System.Diagnostics;
using System.Globalization;
using TorchSharp;

namespace CausalVision.Compare;

/// <summary>
/// The memory soak: runs N training steps, samples live TorchSharp tensors and process RSS every
/// <c>every</c> steps, writes the curve as CSV and PNG, and fails when either grows by more than
/// the tolerance after the warm-up step (default: 5% after step 100).
/// </summary>
internal static class MemorySoak
{
    public sealed record Sample(int Step, long LiveTensors, double RssMiB);

    public static int Run(string name, Action step, int steps, int every, int warmup, double tolerance, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var samples = new List<Sample>();
        var watch = Stopwatch.StartNew();
        for (var i = 1; i <= steps; i++)
        {
            step();
            if (i % every == 0 || i == 1)
            {
                // Collect first so finalizer-owned handles do not count as growth.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                using var proc = Process.GetCurrentProcess();
                proc.Refresh();
                var s = new Sample(i, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount, proc.WorkingSet64 / (1024.0 * 1024.0));
                samples.Add(s);
                Console.Error.WriteLine($"step {i,5}  live tensors {s.LiveTensors,6}  RSS {s.RssMiB,8:F1} MiB  ({watch.Elapsed.TotalSeconds:F0}s)");
            }
        }

        var baseline = samples.Where(s => s.Step >= warmup).OrderBy(s => s.Step).First();
        var after = samples.Where(s => s.Step >= warmup).ToList();
        var maxTensors = after.Max(s => s.LiveTensors);
        var maxRss = after.Max(s => s.RssMiB);
        var tensorGrowth = baseline.LiveTensors == 0 ? maxTensors : (maxTensors - baseline.LiveTensors) / (double)baseline.LiveTensors;
        var rssGrowth = (maxRss - baseline.RssMiB) / baseline.RssMiB;
        var ok = tensorGrowth <= tolerance && rssGrowth <= tolerance;

        var csv = Path.Combine(outDir, $"soak-{name}.csv");
        File.WriteAllLines(csv, new[] { "step,live_tensors,rss_mib" }.Concat(samples.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Step},{s.LiveTensors},{s.RssMiB:F2}"))));
        var png = Path.Combine(outDir, $"soak-{name}.png");
        Plot(samples, png, $"{name}: {steps} steps, live tensors and RSS (growth after step {warmup}: tensors {tensorGrowth:P1}, RSS {rssGrowth:P1})");
        Console.WriteLine($"soak {name}: {(ok ? "PASS" : "FAIL")} — after step {warmup}: live tensors {baseline.LiveTensors} -> max {maxTensors} ({tensorGrowth:P1}), RSS {baseline.RssMiB:F1} -> max {maxRss:F1} MiB ({rssGrowth:P1}); tolerance {tolerance:P0}. Curve: {png}");
        return ok ? 0 : 1;
    }

    // RSS on the left axis, live tensors on the right, against the step (ScottPlot).
    private static void Plot(IReadOnlyList<Sample> samples, string path, string title)
    {
        var plot = new ScottPlot.Plot();
        double[] steps = [.. samples.Select(s => (double)s.Step)];
        var rss = plot.Add.Scatter(steps, [.. samples.Select(s => s.RssMiB)]);
        rss.LegendText = "RSS (MiB, left)";
        var tensors = plot.Add.Scatter(steps, [.. samples.Select(s => (double)s.LiveTensors)]);
        tensors.LegendText = "live tensors (right)";
        tensors.Axes.YAxis = plot.Axes.Right;
        plot.Axes.SetLimitsY(0, samples.Max(s => s.RssMiB) * 1.1, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, Math.Max(1, samples.Max(s => s.LiveTensors)) * 1.1, plot.Axes.Right);
        plot.Title(title, size: 13);
        plot.XLabel("step");
        plot.Axes.Left.Label.Text = "RSS (MiB)";
        plot.Axes.Right.Label.Text = "live tensors";
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 420);
    }
}
