using System.Diagnostics;
using System.Globalization;
using SkiaSharp;
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

    private static void Plot(IReadOnlyList<Sample> samples, string path, string title)
    {
        const int W = 900, H = 420, L = 70, R = 70, T = 40, B = 45;
        using var surface = SKSurface.Create(new SKImageInfo(W, H));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsAntialias = true };
        using var text = new SKPaint { Color = SKColors.Black, TextSize = 13, IsAntialias = true };
        using var rssPaint = new SKPaint { Color = new SKColor(0x1f, 0x77, 0xb4), StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var tPaint = new SKPaint { Color = new SKColor(0xd6, 0x27, 0x28), StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
        c.DrawText(title, L, 22, text);
        c.DrawLine(L, H - B, W - R, H - B, axis);
        c.DrawLine(L, T, L, H - B, axis);
        c.DrawLine(W - R, T, W - R, H - B, axis);
        var maxStep = samples.Max(s => s.Step);
        var maxRss = samples.Max(s => s.RssMiB) * 1.1;
        var maxT = Math.Max(1, samples.Max(s => s.LiveTensors)) * 1.1;
        float X(int step) => L + (W - L - R) * step / (float)maxStep;
        float Y(double v, double max) => (float)(H - B - (H - T - B) * v / max);
        void Line(Func<Sample, double> f, double max, SKPaint paint)
        {
            using var p = new SKPath();
            p.MoveTo(X(samples[0].Step), Y(f(samples[0]), max));
            foreach (var s in samples.Skip(1))
            {
                p.LineTo(X(s.Step), Y(f(s), max));
            }

            c.DrawPath(p, paint);
        }

        Line(s => s.RssMiB, maxRss, rssPaint);
        Line(s => s.LiveTensors, maxT, tPaint);
        for (var i = 0; i <= 4; i++)
        {
            var frac = i / 4.0;
            c.DrawText((maxRss * frac).ToString("F0", CultureInfo.InvariantCulture), 5, Y(maxRss * frac, maxRss) + 4, text);
            c.DrawText((maxT * frac).ToString("F0", CultureInfo.InvariantCulture), W - R + 5, Y(maxT * frac, maxT) + 4, text);
            var step = (int)(maxStep * frac);
            c.DrawText(step.ToString(CultureInfo.InvariantCulture), X(step) - 10, H - B + 18, text);
        }

        c.DrawText("step", W / 2, H - 8, text);
        using var blue = new SKPaint { Color = rssPaint.Color, TextSize = 13, IsAntialias = true };
        using var red = new SKPaint { Color = tPaint.Color, TextSize = 13, IsAntialias = true };
        c.DrawText("RSS (MiB, left)", L + 10, T + 15, blue);
        c.DrawText("live tensors (right)", L + 10, T + 32, red);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
