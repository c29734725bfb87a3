using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace CausalVision.Benchmarks;

/// <summary>
/// Shared configuration. Benchmarks run in-process: the child process BenchmarkDotNet would
/// spawn would not inherit the libstdc++ overlay that eng/torch-env.sh sets up for this one.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    // In-process, with a generous timeout: a single CPU training step of a full model can take seconds, and the
    // default in-process timeout aborts long cases.
    private static readonly InProcessEmitToolchain Toolchain = new(TimeSpan.FromMinutes(30), logOutput: true);

    /// <summary>Initializes a new instance of the <see cref="BenchmarkConfig"/> class.</summary>
    /// <param name="defaultJob">Whether to add the default in-process job (false when the command line names a job,
    /// e.g. <c>--job dry</c>, so that only that job runs; it still runs in-process).</param>
    public BenchmarkConfig(bool defaultJob = true)
    {
        AddJob(defaultJob
            ? Job.Default.WithToolchain(Toolchain).WithWarmupCount(2).WithIterationCount(8)
            : Job.Default.WithToolchain(Toolchain).AsMutator());
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(CategoriesColumn.Default);
        WithOptions(ConfigOptions.JoinSummary);
        // The defaults (console, markdown, csv exporters and loggers) stay.
        AddLogger(DefaultConfig.Instance.GetLoggers().ToArray());
        AddExporter(DefaultConfig.Instance.GetExporters().ToArray());
        AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray());
    }
}
