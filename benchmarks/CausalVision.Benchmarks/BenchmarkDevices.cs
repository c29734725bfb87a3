namespace CausalVision.Benchmarks;

/// <summary>The devices the suites measure. BenchmarkDotNet's <c>[Params]</c> are fixed at compile time, so the device
/// list comes from the environment: <c>CAUSALVISION_BENCH_DEVICES=cuda</c> (or <c>cpu,cuda</c>) on a GPU machine; the
/// default is the CPU.</summary>
public static class BenchmarkDevices
{
    /// <summary>Gets the device names from <c>CAUSALVISION_BENCH_DEVICES</c> (default "cpu").</summary>
    public static IReadOnlyList<string> Values
    {
        get
        {
            var raw = Environment.GetEnvironmentVariable("CAUSALVISION_BENCH_DEVICES");
            var names = (raw ?? "cpu").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return names.Length == 0 ? ["cpu"] : names;
        }
    }
}
