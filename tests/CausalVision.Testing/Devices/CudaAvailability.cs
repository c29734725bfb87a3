using TorchSharp;

namespace CausalVision.Testing.Devices;

/// <summary>Whether this process can run CUDA tests: a CUDA build of libtorch with a visible device. Asked once; a
/// failure to ask (no native CUDA backend at all) counts as "not available".</summary>
public static class CudaAvailability
{
    private static readonly Lazy<(bool Available, string Reason)> State = new(Probe);

    /// <summary>Gets a value indicating whether a CUDA device is usable in this process.</summary>
    public static bool IsAvailable => State.Value.Available;

    /// <summary>Gets the reason CUDA tests are skipped (empty when they run).</summary>
    public static string SkipReason => State.Value.Reason;

    private static (bool, string) Probe()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CAUSALVISION_CUDA_TESTS"), "off", StringComparison.OrdinalIgnoreCase))
        {
            return (false, "CUDA tests are turned off (CAUSALVISION_CUDA_TESTS=off).");
        }

        try
        {
            return torch.cuda.is_available()
                ? (true, string.Empty)
                : (false, "No CUDA device in this process (TorchSharp-cpu, or no GPU): CUDA tests run on the GPU machine (eng/gpu).");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return (false, $"CUDA could not be probed ({ex.GetType().Name}: {ex.Message.Split('\n')[0]}).");
        }
    }
}
