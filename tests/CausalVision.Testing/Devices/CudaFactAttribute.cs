using Xunit;

namespace CausalVision.Testing.Devices;

/// <summary>A fact that needs a CUDA device: skipped, with the reason, where none is usable (CI, this project's
/// development machines) and run where one is (the GPU script under eng/gpu runs the same checks through
/// <see cref="DeviceParity"/>). Filter them with <c>--filter Category=cuda</c>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CudaFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="CudaFactAttribute"/> class.</summary>
    public CudaFactAttribute()
    {
        if (!CudaAvailability.IsAvailable)
        {
            Skip = CudaAvailability.SkipReason;
        }
    }
}
