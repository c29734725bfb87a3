// Tells, without loading TorchSharp, whether this Linux machine's libstdc++ is new enough for it.
using System.Runtime.InteropServices;
using System.Text;

namespace CausalVision.Runtime;

/// <summary>
/// Checks the system C++ runtime before TorchSharp's native library is loaded: TorchSharp 0.107
/// (libtorch 2.10) needs <c>GLIBCXX_3.4.32</c>, which only GCC 13+'s libstdc++ defines (Debian 12 and
/// Ubuntu 22.04 ship older ones). Reading the library file loads nothing, so a process can decide
/// to re-execute itself under the fix (<c>causalvision env -- ...</c>) before any native trace.
/// </summary>
public static class LibStdCxxCheck
{
    /// <summary>The symbol version TorchSharp's native library imports.</summary>
    public const string RequiredVersion = "GLIBCXX_3.4.32";

    /// <summary>The one-line fix for users of the packages (the <c>causalvision</c> dotnet tool).</summary>
    public const string Fix = "install the fix once with `dotnet tool install -g CausalVision.Cli`, then run your app as `causalvision env -- dotnet run` (it overlays Debian 13's libstdc++ in a private mount namespace; nothing on the machine changes), or install libstdc++6 >= 13 (Debian 13, Ubuntu 24.04)";

    private static readonly string[] Candidates =
    [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
    ];

    /// <summary>
    /// Gets a value indicating whether this is Linux x64 and the system libstdc++ lacks
    /// <see cref="RequiredVersion"/> (false elsewhere, and when no libstdc++ is found at the usual paths).
    /// </summary>
    public static bool SystemLibraryTooOld
    {
        get
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.OSArchitecture != Architecture.X64)
            {
                return false;
            }

            var found = false;
            foreach (var path in Candidates)
            {
                if (!File.Exists(path))
                {
                    continue;
                }

                found = true;
                if (Contains(path, RequiredVersion))
                {
                    return false;
                }
            }

            return found;
        }
    }

    private static bool Contains(string path, string text)
    {
        try
        {
            var needle = Encoding.ASCII.GetBytes(text);
            var bytes = File.ReadAllBytes(path);
            return bytes.AsSpan().IndexOf(needle) >= 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
