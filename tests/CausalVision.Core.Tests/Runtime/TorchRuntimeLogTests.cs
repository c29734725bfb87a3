using CausalVision.Runtime;

namespace CausalVision.Tests.Runtime;

public sealed class TorchRuntimeLogTests
{
    [Fact]
    public void ResolveDevice_Auto_ReportsItsChoiceOnce()
    {
        var lines = new List<string>();
        var previous = TorchRuntime.Log;
        TorchRuntime.Log = lines.Add;
        try
        {
            TorchRuntime.ResetAutoReport();
            var first = TorchRuntime.ResolveDevice("auto");
            TorchRuntime.ResolveDevice("auto");
            TorchRuntime.ResolveDevice("cpu");

            var line = Assert.Single(lines);
            Assert.StartsWith("CausalVision: device \"auto\" -> " + (first.type == DeviceType.CUDA ? "cuda" : "cpu"), line, StringComparison.Ordinal);
        }
        finally
        {
            TorchRuntime.Log = previous;
        }
    }

    [Fact]
    public void ResolveDevice_Cpu_ReportsNothing()
    {
        var lines = new List<string>();
        var previous = TorchRuntime.Log;
        TorchRuntime.Log = lines.Add;
        try
        {
            TorchRuntime.ResetAutoReport();
            TorchRuntime.ResolveDevice("cpu");
            Assert.Empty(lines);
        }
        finally
        {
            TorchRuntime.Log = previous;
        }
    }
}
