// Everything the tool does before TorchSharp loads: the libstdc++ fix (re-executing itself under
// torch-env.sh) and finding the libtorch CPU backend, which the tool does not carry (it is ~600 MB).
using System.Diagnostics;
using System.Runtime.InteropServices;
using CausalVision.Runtime;

namespace CausalVision.Cli;

/// <summary>Prepares the native side of TorchSharp for the commands that need it.</summary>
internal static class NativeSetup
{
    /// <summary>Set in the environment of a process re-executed under the fix (stops loops).</summary>
    public const string InCompatVariable = "CAUSALVISION_IN_COMPAT";

    /// <summary>The TorchSharp package whose libtorch the tool loads (TorchSharp 0.107.0 = libtorch 2.10.0).</summary>
    public const string TorchSharpVersion = "0.107.0";

    private const string LibTorchVersion = "2.10.0";

    /// <summary>Gets the path of the bundled <c>torch-env.sh</c>.</summary>
    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "torch-env.sh");

    /// <summary>
    /// Re-executes this command under the fix when the system libstdc++ is too old (returns the
    /// child's exit code), or loads the libtorch backend in this process (returns null).
    /// </summary>
    /// <param name="args">This process's arguments.</param>
    /// <returns>The exit code of the re-executed process, or null to go on here.</returns>
    public static int? EnsureTorch(string[] args)
    {
        if (LibStdCxxCheck.SystemLibraryTooOld && Environment.GetEnvironmentVariable(InCompatVariable) != "1"
            && Environment.GetEnvironmentVariable("CAUSALVISION_COMPAT") != "off")
        {
            return RunUnderFix([.. SelfCommand(), .. args]);
        }

        PreloadLibTorch();
        TorchRuntime.EnsureAvailable();
        return null;
    }

    /// <summary>Runs a command under torch-env.sh with inherited standard streams.</summary>
    /// <param name="command">The program and its arguments.</param>
    /// <returns>The command's exit code.</returns>
    public static int RunUnderFix(IReadOnlyList<string> command)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return Run(command[0], command.Skip(1), extraEnvironment: null);
        }

        if (!File.Exists(ScriptPath))
        {
            throw new UsageException($"the libstdc++ fix script is missing from the tool folder ({ScriptPath}); reinstall the tool.");
        }

        return Run("bash", [ScriptPath, .. command], new Dictionary<string, string> { [InCompatVariable] = "1" });
    }

    /// <summary>Restores TorchSharp-cpu into the NuGet cache (what a project referencing it would do).</summary>
    /// <returns>The exit code of <c>dotnet restore</c>.</returns>
    public static int RestoreBackend()
    {
        var dir = Directory.CreateTempSubdirectory("causalvision-setup-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Backend.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>net{Environment.Version.Major}.0</TargetFramework></PropertyGroup>
                  <ItemGroup><PackageReference Include="TorchSharp-cpu" Version="{TorchSharpVersion}" /></ItemGroup>
                </Project>
                """);
            Console.Error.WriteLine($"causalvision: restoring TorchSharp-cpu {TorchSharpVersion} (libtorch {LibTorchVersion}) into {PackagesFolder} ...");
            return Run("dotnet", ["restore", Path.Combine(dir, "Backend.csproj"), "-nologo", "-v", "q"], extraEnvironment: null);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Gets the NuGet global packages folder.</summary>
    public static string PackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Finds libtorch's native folder for this platform, or null.</summary>
    /// <returns>The folder, or null when the backend is neither next to the tool nor in the NuGet cache.</returns>
    public static string? FindLibTorch()
    {
        var rid = RuntimeInformation.RuntimeIdentifier.StartsWith("linux", StringComparison.Ordinal) ? "linux-x64"
            : RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win-x64" : "osx-arm64";
        var file = LibraryFile;
        foreach (var dir in new[]
        {
            AppContext.BaseDirectory,
            Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native"),
            Path.Combine(PackagesFolder, $"libtorch-cpu-{rid}", LibTorchVersion, "runtimes", rid, "native"),
        })
        {
            if (File.Exists(Path.Combine(dir, file)))
            {
                return dir;
            }
        }

        return null;
    }

    private static string LibraryFile =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "torch.dll"
        : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "libtorch.dylib" : "libtorch.so";

    private static void PreloadLibTorch()
    {
        var dir = FindLibTorch() ?? throw new UsageException(
            $"the libtorch CPU backend (TorchSharp-cpu {TorchSharpVersion}, libtorch {LibTorchVersion}, ~600 MB) is not in the NuGet cache {PackagesFolder}; run `causalvision setup` once.");

        // Loading libtorch by full path makes its dependencies (found through its $ORIGIN run path)
        // resident, so TorchSharp's LibTorchSharp, shipped with the tool, binds to them by name. When
        // that fails (an old libstdc++ with the fix turned off), TorchRuntime.EnsureAvailable, called
        // next, explains it in the words a package user gets.
        NativeLibrary.TryLoad(Path.Combine(dir, LibraryFile), out _);
    }

    private static IEnumerable<string> SelfCommand()
    {
        var host = Environment.ProcessPath ?? throw new UsageException("cannot tell which program is running; run the tool by its full path.");
        return Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? [host, typeof(NativeSetup).Assembly.Location]
            : [host];
    }

    private static int Run(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? extraEnvironment)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        if (extraEnvironment is not null)
        {
            foreach (var (k, v) in extraEnvironment)
            {
                info.Environment[k] = v;
            }
        }

        try
        {
            using var process = Process.Start(info) ?? throw new UsageException($"could not start '{file}'.");
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new UsageException($"could not start '{file}': {ex.Message}");
        }
    }
}
