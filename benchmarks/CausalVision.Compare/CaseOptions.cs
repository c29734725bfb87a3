// The command-line pieces the cases share: --threads and --device (every case takes them), the set-up they drive,
// and the factories the cases declare their own options with.
using System.CommandLine;
using System.CommandLine.Parsing;
using CausalVision.Runtime;

namespace CausalVision.Compare;

/// <summary>Options and set-up shared by every case.</summary>
internal static class CaseOptions
{
    /// <summary>Gets <c>--threads N</c>: TorchSharp's intra-op threads (absent: the case's default).</summary>
    public static Option<int?> Threads { get; } = new("--threads")
    {
        HelpName = "N",
        Description = "TorchSharp intra-op threads (default: libtorch's choice; soak and image-pipeline: 1). onnx-resnet18 gives ONNX Runtime as many (default 1).",
        Recursive = true,
    };

    /// <summary>Gets <c>--device</c>: where the case runs (<see cref="CompareDevice"/>).</summary>
    public static Option<string> Device { get; } = new("--device")
    {
        HelpName = "cpu|cuda|cuda:N|auto",
        Description = "The device of the case; timers synchronise it.",
        DefaultValueFactory = _ => "cpu",
        Recursive = true,
    };

    /// <summary>Sets the action of a case: load libtorch, apply <see cref="Threads"/> and <see cref="Device"/>, then run it.</summary>
    /// <param name="command">The case's command.</param>
    /// <param name="run">The case; returns the exit code.</param>
    /// <param name="defaultThreads">The threads when <c>--threads</c> is absent (0: libtorch's choice).</param>
    public static void SetCase(this Command command, Func<ParseResult, int> run, int defaultThreads = 0)
    {
        command.SetAction(parse =>
        {
            TorchRuntime.EnsureAvailable();
            var threads = parse.GetValue(Threads) ?? defaultThreads;
            if (threads > 0)
            {
                TorchSharp.torch.set_num_threads(threads);
            }

            CompareDevice.Select(parse.GetRequiredValue(Device));
            return run(parse);
        });
    }

    /// <summary>An integer option with a default.</summary>
    public static Option<int> Int(string name, int fallback, string description) =>
        new(name) { HelpName = "N", Description = description, DefaultValueFactory = _ => fallback };

    /// <summary>A number option with a default.</summary>
    public static Option<double> Double(string name, double fallback, string description) =>
        new(name) { HelpName = "X", Description = description, DefaultValueFactory = _ => fallback };

    /// <summary>A required option.</summary>
    public static Option<T> Required<T>(string name, string helpName, string description) =>
        new(name) { HelpName = helpName, Description = description, Required = true };

    /// <summary>A string option that takes one of <paramref name="values"/> (any case; the value is returned as listed).</summary>
    public static Option<string> Choice(string name, string fallback, string description, params string[] values) => new(name)
    {
        HelpName = string.Join('|', values),
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = r =>
        {
            var text = r.Tokens[0].Value;
            if (values.FirstOrDefault(v => string.Equals(v, text, StringComparison.OrdinalIgnoreCase)) is { } value)
            {
                return value;
            }

            r.AddError($"{name} must be one of {string.Join(", ", values)}; got '{text}'.");
            return fallback;
        },
    };
}
