// Leak assertions: TorchSharp users' first complaint is native memory that never comes back.
using TorchSharp;
using Xunit;

namespace CausalVision.Testing;

/// <summary>
/// Asserts that a block of code leaves no live tensor behind, by the dispose-scope statistics
/// TorchSharp keeps per thread (every tensor handle created minus every one disposed).
/// </summary>
public static class TensorLeaks
{
    /// <summary>Gets the number of tensor handles alive on this thread.</summary>
    public static long LiveTensors => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    /// <summary>Runs <paramref name="action"/> and fails when it leaves more live tensors than it found.</summary>
    /// <param name="action">The block under test; it must dispose (or scope) everything it creates.</param>
    /// <param name="allowed">Tensors the block may legitimately leave alive (e.g. newly created gradients).</param>
    public static void AssertNone(Action action, long allowed = 0)
    {
        ArgumentNullException.ThrowIfNull(action);
        var before = LiveTensors;
        action();
        var leaked = LiveTensors - before;
        Assert.True(leaked <= allowed, $"{leaked} tensor(s) leaked (allowed {allowed}); live before {before}, after {LiveTensors}.");
    }

    /// <summary>
    /// Runs <paramref name="action"/> twice and fails when the second run changes the live count:
    /// a steady-state check that tolerates first-call allocations (gradients, optimiser state).
    /// </summary>
    /// <param name="action">One step (e.g. forward, backward, optimiser step).</param>
    public static void AssertSteadyState(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        action();
        AssertNone(action);
    }
}
