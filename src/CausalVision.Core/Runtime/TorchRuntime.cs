// Loads libtorch once and turns TorchSharp's native-load failure into one actionable sentence.
using System.Runtime.InteropServices;
using TorchSharp;

namespace CausalVision.Runtime;

/// <summary>
/// Checks that TorchSharp's native backend can load, and explains the fix when it cannot.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> needs <c>GLIBCXX_3.4.32</c> (GCC 13's libstdc++).
/// On Debian 12 / Ubuntu 22.04 the load fails with a misleading message about a missing
/// <c>libtorch-cpu-linux-x64</c> reference. Run such processes through <c>eng/torch-env.sh</c>
/// (what <c>./build.sh</c> does), which overlays Debian 13's C/C++ runtime in a private mount
/// namespace.
/// </remarks>
public static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadError = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int autoReported;

    /// <summary>Gets a value indicating whether the native backend loaded.</summary>
    public static bool IsAvailable => LoadError.Value is null;

    /// <summary>
    /// Loads the native backend or throws <see cref="InvalidOperationException"/> whose message
    /// says what to do (never a raw TorchSharp stack trace).
    /// </summary>
    /// <exception cref="InvalidOperationException">The backend cannot load on this machine.</exception>
    public static void EnsureAvailable()
    {
        if (LoadError.Value is { } error)
        {
            throw new InvalidOperationException(Explain(), error);
        }
    }

    /// <summary>Describes the runtime: TorchSharp version, threads, CUDA availability.</summary>
    /// <returns>A one-line description for logs and benchmark reports.</returns>
    public static string Describe()
    {
        EnsureAvailable();
        var version = typeof(torch).Assembly.GetName().Version;
        return $"TorchSharp {version}, {torch.get_num_threads()} thread(s), CUDA {(torch.cuda.is_available() ? "available" : "not available")}, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}";
    }

    /// <summary>Resolves a device name ("cpu", "cuda", "cuda:1", or "auto" for CUDA when present).</summary>
    /// <param name="name">The device name.</param>
    /// <returns>The TorchSharp device.</returns>
    /// <exception cref="ArgumentException">The name is unknown, or CUDA was asked for and is absent.</exception>
    public static torch.Device ResolveDevice(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        EnsureAvailable();
        var n = name.Trim().ToLowerInvariant();
        if (n == "auto")
        {
            var cuda = torch.cuda.is_available();
            ReportAuto(cuda ? "cuda (CUDA available)" : "cpu (CUDA not available in this process)");
            return cuda ? torch.CUDA : torch.CPU;
        }

        if (n.StartsWith("cuda", StringComparison.Ordinal) && !torch.cuda.is_available())
        {
            throw new ArgumentException($"Device '{name}' was requested but CUDA is not available in this process (TorchSharp-cpu, or no GPU). Use 'cpu' or 'auto'.", nameof(name));
        }

        try
        {
            return torch.device(n);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ArgumentException($"Unknown device '{name}'; use 'cpu', 'cuda', 'cuda:N' or 'auto'.", nameof(name), ex);
        }
    }

    /// <summary>
    /// Gets or sets where the runtime reports its choices: one line the first time <c>"auto"</c> is
    /// resolved in a process (e.g. <c>CausalVision: device "auto" -> cpu (CUDA not available in this
    /// process)</c>). Standard error by default; set a logger's method, or null for silence.
    /// </summary>
    public static Action<string>? Log { get; set; } = static line => Console.Error.WriteLine(line);

    /// <summary>
    /// Gets or sets a value indicating whether the runtime, when it first loads, tells glibc's allocator to keep
    /// freed memory for reuse instead of returning it to the system (see <see cref="NativeAllocator"/>). Read once,
    /// at the first <see cref="EnsureAvailable"/> (every builder and trainer calls it): set it to
    /// <see langword="false"/> before that to keep glibc's defaults. The environment variable
    /// <c>CAUSALVISION_RETAIN_FREED_MEMORY=0</c> does the same, and an allocator configured through
    /// <c>GLIBC_TUNABLES</c> is left as it is.
    /// </summary>
    /// <value>Default <see langword="true"/> (no effect outside Linux with glibc).</value>
    public static bool RetainFreedMemory { get; set; } = Environment.GetEnvironmentVariable("CAUSALVISION_RETAIN_FREED_MEMORY") != "0";

    /// <summary>Lets the next "auto" resolution report again (tests).</summary>
    internal static void ResetAutoReport() => Interlocked.Exchange(ref autoReported, 0);

    private static void ReportAuto(string choice)
    {
        if (Interlocked.Exchange(ref autoReported, 1) == 0)
        {
            Log?.Invoke($"CausalVision: device \"auto\" -> {choice}");
        }
    }

    private static Exception? TryLoad()
    {
        // Known to fail: do not let TorchSharp print its load trace (and copy ~600 MB of libtorch
        // next to the app while probing) before the one-sentence fix. A newer libstdc++ supplied
        // through LD_LIBRARY_PATH / LD_PRELOAD is trusted and tried.
        if (LibStdCxxCheck.SystemLibraryTooOld
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("LD_LIBRARY_PATH"))
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("LD_PRELOAD")))
        {
            return new DllNotFoundException($"The system libstdc++ lacks {LibStdCxxCheck.RequiredVersion}; TorchSharp's native library was not loaded.");
        }

        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            using var probe = torch.zeros(1);
            if (RetainFreedMemory)
            {
                NativeAllocator.RetainFreedMemory();
            }

            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ex;
        }
    }

    private static string Explain()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            return $"TorchSharp could not load: TorchSharp-cpu ships a Linux native library for x86_64 only, and this machine is {RuntimeInformation.OSArchitecture}.";
        }

        if (LibStdCxxCheck.SystemLibraryTooOld)
        {
            return $"TorchSharp could not load: this machine's libstdc++ lacks {LibStdCxxCheck.RequiredVersion} (GCC 13+), which TorchSharp 0.107 needs. Fix: {LibStdCxxCheck.Fix}.";
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return "TorchSharp could not load its native library. The usual cause on Debian 12 / Ubuntu 22.04 is a libstdc++ older than GCC 13 (GLIBCXX_3.4.32 missing): run the process through eng/torch-env.sh (./build.sh does), or install libstdc++6 >= 13. Also check that the app references TorchSharp-cpu (or a CUDA backend package).";
        }

        return "TorchSharp could not load its native library: check that the app references TorchSharp-cpu (or a CUDA backend package) for this platform.";
    }
}
