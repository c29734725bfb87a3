using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Compare;

/// <summary>The device every case runs on (<c>--device cpu|cuda</c>, default cpu). Timers call <see cref="Sync"/>
/// before reading the clock, so a GPU step's time covers its kernels and not only their launches.</summary>
internal static class CompareDevice
{
    /// <summary>Gets the device of this process's case.</summary>
    public static Device Current { get; private set; } = CPU;

    /// <summary>Gets a value indicating whether the case runs on a CUDA device.</summary>
    public static bool IsCuda => Current.type == DeviceType.CUDA;

    /// <summary>Resolves and selects the device named on the command line.</summary>
    /// <param name="name">"cpu", "cuda", "cuda:N" or "auto".</param>
    public static void Select(string name) => Current = TorchRuntime.ResolveDevice(name);

    /// <summary>Waits for the device's queued work (a no-op on the CPU).</summary>
    public static void Sync()
    {
        if (IsCuda)
        {
            cuda.synchronize(Current);
        }
    }
}
