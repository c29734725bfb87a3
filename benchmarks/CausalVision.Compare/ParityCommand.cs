using System.CommandLine;
using CausalVision.Testing.Devices;

namespace CausalVision.Compare;

/// <summary><c>parity --device cuda</c>: the test suite's CPU/CUDA parity cases (<see cref="DeviceParityCases"/>),
/// run where no .NET SDK or test runner is installed (the GPU machine runs this self-contained app). One JSON line per
/// case; exit 1 when any case is out of tolerance.</summary>
internal static class ParityCommand
{
    /// <summary>The <c>parity</c> command.</summary>
    public static Command Command()
    {
        var cases = new Option<string?>("--cases") { HelpName = "NAME,...", Description = "Run only these cases, comma-separated (default: all)." };
        var command = new Command("parity", "The test suite's CPU/CUDA parity cases on --device (one JSON line each; exit 1 on a mismatch).") { cases };
        command.SetCase(r => Run((r.GetValue(cases) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries)));
        return command;
    }

    private static int Run(string[] only)
    {
        var failed = 0;
        foreach (var c in DeviceParityCases.All.Where(c => only.Length == 0 || only.Contains(c.Name)))
        {
            var r = DeviceParity.Run(c, CompareDevice.Current);
            failed += r.Passed ? 0 : 1;
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                parity = r.Case,
                device = r.Device,
                passed = r.Passed,
                worst = r.WorstTensor,
                worst_abs_diff = r.WorstDiff,
                compared = r.Compared,
                failures = r.Failures,
            }));
        }

        return failed == 0 ? 0 : 1;
    }
}
