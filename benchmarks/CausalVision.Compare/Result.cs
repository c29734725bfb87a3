using System.Text.Json;

namespace CausalVision.Compare;

/// <summary>The one JSON line each case prints for compare.py.</summary>
internal static class Result
{
    public static void Print(string impl, string metric, IEnumerable<double> values, IDictionary<string, object>? extra = null)
    {
        var obj = new Dictionary<string, object> { ["impl"] = impl, ["metric"] = metric, ["values"] = values.ToArray(), ["device"] = CompareDevice.Current.ToString() };
        if (extra is not null)
        {
            foreach (var (k, v) in extra)
            {
                obj[k] = v;
            }
        }

        Console.WriteLine(JsonSerializer.Serialize(obj));
    }

    /// <summary>Runs <paramref name="step"/> warmup + steps times, each inside its own dispose scope, and returns the
    /// wall times of the timed steps in ms.</summary>
    public static List<double> TimeSteps(int warmup, int steps, Action step)
    {
        var times = new List<double>(steps);
        for (var i = 0; i < warmup + steps; i++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using (TorchSharp.torch.NewDisposeScope())
            {
                step();
            }

            CompareDevice.Sync();
            if (i >= warmup)
            {
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        return times;
    }

    public static string TorchSharpImpl => $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3)}";
}

/// <summary>Per-phase step times (forward incl. loss, backward, optimiser step), reported as medians beside the step time
/// so that a ratio can be traced to the phase it comes from.</summary>
internal sealed class PhaseTimes
{
    private readonly List<double> forward = [];
    private readonly List<double> backward = [];
    private readonly List<double> optimizer = [];
    private readonly List<double> faults = [];

    /// <summary>Gets the process's minor page faults so far (Linux /proc/self/stat; -1 elsewhere).</summary>
    public static long MinorFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            // Fields after the ") " that ends the command name: state ppid pgrp session tty tpgid flags minflt ...
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return -1;
        }
    }

    public void Add(double forwardMs, double backwardMs, double optimizerMs, long stepFaults = -1)
    {
        forward.Add(forwardMs);
        backward.Add(backwardMs);
        optimizer.Add(optimizerMs);
        if (stepFaults >= 0)
        {
            faults.Add(stepFaults);
        }
    }

    public IDictionary<string, object> Extras(IDictionary<string, object> extra)
    {
        extra["fwd_ms"] = Median(forward);
        extra["bwd_ms"] = Median(backward);
        extra["opt_ms"] = Median(optimizer);
        if (faults.Count > 0)
        {
            extra["faults_per_step"] = Median(faults);
        }

        return extra;
    }

    private static double Median(List<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }
}
