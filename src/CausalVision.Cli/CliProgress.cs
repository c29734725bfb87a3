// Training progress for the tool: Spectre.Console bars with ETA in a terminal, plain lines when
// the output is redirected (CI logs, pipes, files carry no control characters).
using System.Globalization;
using CausalVision.Training;
using Spectre.Console;

namespace CausalVision.Cli;

/// <summary>Runs a job with progress reporting suited to where the output goes.</summary>
internal static class CliProgress
{
    /// <summary>Gets a value indicating whether progress is drawn as live bars.</summary>
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="job"/>, giving it a progress sink and a log writer.</summary>
    /// <typeparam name="T">The job's result.</typeparam>
    /// <param name="label">The task label, e.g. the model name.</param>
    /// <param name="job">The job.</param>
    /// <returns>The job's result.</returns>
    public static T Run<T>(string label, Func<IProgress<TrainingProgress>, TextWriter, T> job)
    {
        if (!Interactive)
        {
            return job(new PlainProgress(label), Console.Out);
        }

        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: 1.0);
                return job(new BarProgress(label, task), new SpectreWriter());
            });
    }

    private static string Metrics(TrainingProgress p) => string.Join("  ", p.Metrics
        .Where(kv => kv.Key is not MetricNames.LearningRate and not MetricNames.TrainLoss)
        .Select(kv => $"{kv.Key} {(kv.Key.StartsWith("acc", StringComparison.Ordinal) ? kv.Value.ToString("P1", CultureInfo.InvariantCulture) : kv.Value.ToString("F4", CultureInfo.InvariantCulture))}"));

    private static string EpochLine(string label, TrainingProgress p)
    {
        var m = Metrics(p);
        return string.Create(CultureInfo.InvariantCulture, $"{label} epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}  lr {p.LearningRate:G3}{(m.Length > 0 ? "  " + m : string.Empty)}  [{p.Elapsed:mm\\:ss}]");
    }

    private sealed class BarProgress(string label, ProgressTask task) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            task.Value = value.Fraction;
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{label} epoch {value.Epoch}/{value.Epochs} loss {value.Loss:F4}"));
            if (value.Metrics.Count > 0)
            {
                AnsiConsole.WriteLine(EpochLine(label, value));
            }
        }
    }

    private sealed class PlainProgress(string label) : IProgress<TrainingProgress>
    {
        private int lastQuarter = -1;

        public void Report(TrainingProgress value)
        {
            if (value.Metrics.Count > 0)
            {
                Console.WriteLine(EpochLine(label, value));
                lastQuarter = -1;
                return;
            }

            var quarter = value.Steps <= 0 ? 0 : 4 * value.Step / value.Steps;
            if (quarter != lastQuarter && quarter is > 0 and < 4)
            {
                lastQuarter = quarter;
                var eta = value.Fraction > 0 ? TimeSpan.FromSeconds(value.Elapsed.TotalSeconds * (1 - value.Fraction) / value.Fraction) : TimeSpan.Zero;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} epoch {value.Epoch}/{value.Epochs}  step {value.Step}/{value.Steps}  loss {value.Loss:F4}  [{value.Elapsed:mm\\:ss}, eta {eta:mm\\:ss}]"));
            }
        }
    }

    /// <summary>Log lines written through Spectre, so they print above the live bars.</summary>
    private sealed class SpectreWriter : StringWriter
    {
        public override void WriteLine(string? value) => AnsiConsole.WriteLine(value ?? string.Empty);

        public override void WriteLine() => AnsiConsole.WriteLine();
    }
}
