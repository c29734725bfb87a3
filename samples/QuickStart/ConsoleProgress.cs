// A progress display that works both in a terminal and in a CI log.
// In a terminal it redraws one status line in place ("\r"); when stdout is redirected (CI, a
// pipe, a file) it prints a plain line at each quarter of an epoch and one per finished epoch,
// so logs stay readable and carry no control characters.
using System.Globalization;
using CausalVision.Training;

namespace CausalVision.Samples;

/// <summary>Prints <see cref="TrainingProgress"/> reports; synchronous, so lines never interleave.</summary>
public sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private readonly bool interactive = !Console.IsOutputRedirected;
    private readonly string label;
    private DateTime lastDraw = DateTime.MinValue;
    private int lastQuarter = -1;

    /// <summary>Initializes a new instance of the <see cref="ConsoleProgress"/> class.</summary>
    /// <param name="label">A prefix, e.g. the model name.</param>
    public ConsoleProgress(string label) => this.label = label;

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        if (value.Metrics.Count > 0)
        {
            if (interactive)
            {
                Console.Write("\r" + new string(' ', 110) + "\r");
            }

            var metrics = string.Join("  ", value.Metrics
                .Where(kv => kv.Key is not MetricNames.LearningRate and not MetricNames.TrainLoss)
                .Select(kv => $"{kv.Key} {Format(kv.Key, kv.Value)}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} epoch {value.Epoch}/{value.Epochs}  loss {value.Loss:F4}  lr {value.LearningRate:G3}{(metrics.Length > 0 ? "  " + metrics : string.Empty)}  [{value.Elapsed:mm\\:ss}]"));
            lastQuarter = -1;
            return;
        }

        if (interactive)
        {
            var now = DateTime.UtcNow;
            if (value.Step != value.Steps && (now - lastDraw).TotalMilliseconds < 200)
            {
                return;
            }

            lastDraw = now;
            const int width = 24;
            var filled = (int)Math.Round(width * (double)value.Step / value.Steps);
            var eta = value.Fraction > 0 ? TimeSpan.FromSeconds(value.Elapsed.TotalSeconds * (1 - value.Fraction) / value.Fraction) : TimeSpan.Zero;
            Console.Write(string.Create(CultureInfo.InvariantCulture, $"\r{label} epoch {value.Epoch}/{value.Epochs} [{new string('#', filled)}{new string('.', width - filled)}] {value.Step}/{value.Steps}  loss {value.Loss:F4}  {value.Elapsed:mm\\:ss} (eta {eta:mm\\:ss}) "));
        }
        else
        {
            var quarter = 4 * value.Step / value.Steps;
            if (quarter != lastQuarter && quarter is > 0 and < 4)
            {
                lastQuarter = quarter;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} epoch {value.Epoch}/{value.Epochs}  step {value.Step}/{value.Steps}  loss {value.Loss:F4}  [{value.Elapsed:mm\\:ss}]"));
            }
        }
    }

    private static string Format(string key, double value) =>
        key.StartsWith("acc", StringComparison.Ordinal) ? value.ToString("P1", CultureInfo.InvariantCulture) : value.ToString("F4", CultureInfo.InvariantCulture);
}
