// Installs the causalvision tool from a locally packed package into a temporary tool path, as a
// user would (dotnet tool install), and runs `causalvision --help` and `causalvision env -- true`.
using System.Diagnostics;

namespace CausalVision.Packaging.Tests;

public sealed class ToolInstallTests
{
    [Fact]
    public void Tool_InstalledFromLocalPackage_RunsHelpAndEnv()
    {
        var work = Directory.CreateTempSubdirectory("cv-tool-").FullName;
        try
        {
            var feed = Path.Combine(work, "feed");
            var tools = Path.Combine(work, "tools");
            var project = Path.Combine(RepoPaths.Root, "src", "CausalVision.Cli", "CausalVision.Cli.csproj");

            // The project was built (Release) before the tests ran; pack that output only.
            var pack = Run("dotnet", ["pack", project, "-c", "Release", "--no-build", "-nologo", "-o", feed, "-p:CausalVisionSourceLink=false"], work);
            Assert.True(pack.Code == 0, "dotnet pack failed:\n" + pack.Output);
            var package = Assert.Single(Directory.GetFiles(feed, "CausalVision.Cli.*.nupkg"), f => !f.EndsWith(".snupkg", StringComparison.Ordinal));
            var version = Path.GetFileNameWithoutExtension(package)["CausalVision.Cli.".Length..];

            // Only the local folder as a source: the tool package carries everything it needs.
            var config = Path.Combine(work, "nuget.config");
            File.WriteAllText(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration><packageSources><clear /><add key="local" value="{feed}" /></packageSources></configuration>
                """);
            // A private packages folder: a tool packed again with the same version is never taken from a cache.
            var install = Run("dotnet", ["tool", "install", "CausalVision.Cli", "--version", version, "--tool-path", tools, "--configfile", config], work, Path.Combine(work, "packages"));
            Assert.True(install.Code == 0, "dotnet tool install failed:\n" + install.Output);

            var exe = Path.Combine(tools, OperatingSystem.IsWindows() ? "causalvision.exe" : "causalvision");
            var help = Run(exe, ["--help"], work);
            Assert.Equal(0, help.Code);
            Assert.Contains("quickstart", help.Output, StringComparison.Ordinal);
            Assert.Contains("env", help.Output, StringComparison.Ordinal);
            Assert.Contains("explain", help.Output, StringComparison.Ordinal);
            Assert.Contains("train", help.Output, StringComparison.Ordinal);
            Assert.Contains("experiment", help.Output, StringComparison.Ordinal);

            var env = Run(exe, ["env", "--", "true"], work);
            Assert.True(env.Code == 0, "causalvision env -- true failed:\n" + env.Output);

            // A real command from the installed package (no libtorch needed): a tiny benchmark export.
            var data = Path.Combine(work, "data");
            var export = Run(exe, ["export-benchmark", "--train-size", "10", "--test-size", "10", "--image-size", "32", "--out", data], work);
            Assert.True(export.Code == 0, "causalvision export-benchmark failed:\n" + export.Output);
            Assert.True(File.Exists(Path.Combine(data, "dataset.json")));
            Assert.Equal(10, Directory.GetFiles(Path.Combine(data, "test_ood"), "*.png").Length);

            // The command's own exit code comes back, and bad input is exit code 2 with one line.
            Assert.Equal(3, Run(exe, ["env", "--", "sh", "-c", "exit 3"], work).Code);
            var bad = Run(exe, ["quickstart", "--epochs", "0"], work);
            Assert.Equal(2, bad.Code);
            Assert.Single(bad.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // A value that does not convert is a usage error too (its range check must not crash on it).
            var malformed = Run(exe, ["quickstart", "--epochs", "abc"], work);
            Assert.Equal(2, malformed.Code);
            Assert.Single(malformed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // A prototype gallery needs reference images: refused before any model is loaded.
            var image = Directory.GetFiles(Path.Combine(data, "test_ood"), "*.png")[0];
            var gallery = Run(exe, ["explain", image, "--model", "absent.safetensors", "--gallery", "gallery.png"], work);
            Assert.Equal(2, gallery.Code);
            Assert.Contains("--reference", gallery.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static (int Code, string Output) Run(string file, IReadOnlyList<string> args, string directory, string? packages = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (packages is not null)
        {
            info.Environment["NUGET_PACKAGES"] = packages;
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), $"{file} {string.Join(' ', args)} did not finish in 3 minutes");
        return (process.ExitCode, stdout + stderr.Result);
    }
}
