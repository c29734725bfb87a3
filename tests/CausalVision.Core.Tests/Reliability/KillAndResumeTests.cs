using System.Diagnostics;
using System.Globalization;
using CausalVision.Training;

namespace CausalVision.Tests.Reliability;

/// <summary>
/// Kill-and-resume: a child training process (tests/CausalVision.ResumeChild) is SIGKILLed at seeded
/// random steps and restarted with resume each time; its final checkpoint must be byte-identical to an
/// uninterrupted run's
/// (weights, optimiser, RNG, run state and history; only the history's wall-clock seconds may differ).
/// </summary>
public sealed class KillAndResumeTests
{
    // The child's sizes: 40 images, batch 8 (5 steps per epoch), 3 epochs.
    private const int TotalSteps = 15;

    [Fact]
    public void KilledAtRandomSteps_ResumedRunEndsWithTheUninterruptedRunsBytes()
    {
        var root = Path.Combine(Path.GetTempPath(), "cv-kill-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            var whole = Path.Combine(root, "whole");
            var killed = Path.Combine(root, "killed");
            var (code, output) = RunChild(whole, null);
            Assert.True(code == 0, $"the uninterrupted run failed ({code}): {output}");

            // Three seeded kill points in increasing order, one in each epoch: mid-epoch kills lose the
            // epoch's steps (the checkpoint is per epoch), so each restart replays them.
            var rng = new Random(20261204);
            var points = Enumerable.Range(0, 3).Select(e => (e * 5) + rng.Next(1, 6)).ToArray();
            foreach (var point in points)
            {
                (code, output) = RunChild(killed, point);
                Assert.True(code != 0, $"the child was to kill itself at step {point} but exited 0: {output}");
            }

            (code, output) = RunChild(killed, null);
            Assert.True(code == 0, $"the final resumed run failed ({code}): {output}");
            // The weights, the optimiser and the RNG are byte-identical; the run state too, except the
            // wall-clock seconds of each epoch in the history (they differ between any two runs).
            var whole1 = Path.Combine(whole, "last.ckpt");
            var killed1 = Path.Combine(killed, "last.ckpt");
            Assert.Equal(Checkpoint.ContentDigests(whole1), Checkpoint.ContentDigests(killed1));
            var a = Checkpoint.ReadState(whole1);
            var b = Checkpoint.ReadState(killed1);
            Assert.Equal((a.Stage, a.Epoch, a.GlobalStep, a.Seed), (b.Stage, b.Epoch, b.GlobalStep, b.Seed));
            Assert.Equal(a.Metrics, b.Metrics);
            Assert.Equal(a.Configuration, b.Configuration);
            Assert.Equal(
                a.History!.Select(h => (h.Epoch, h.TrainLoss, h.LearningRate, string.Join(",", h.Metrics.OrderBy(m => m.Key)))),
                b.History!.Select(h => (h.Epoch, h.TrainLoss, h.LearningRate, string.Join(",", h.Metrics.OrderBy(m => m.Key)))));
            Assert.True(points.All(p => p < TotalSteps));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static (int Code, string Output) RunChild(string directory, int? killAt)
    {
        var child = Path.Combine(AppContext.BaseDirectory, "CausalVision.ResumeChild.dll");
        Assert.True(File.Exists(child), $"{child} is missing (the test project references tests/CausalVision.ResumeChild).");
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(directory);
        if (killAt is { } k)
        {
            start.ArgumentList.Add("--kill-at-step");
            start.ArgumentList.Add(k.ToString(CultureInfo.InvariantCulture));
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
