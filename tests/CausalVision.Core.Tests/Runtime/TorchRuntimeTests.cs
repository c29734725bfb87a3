using CausalVision.Runtime;

namespace CausalVision.Tests.Runtime;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void EnsureAvailable_InTestProcess_LoadsBackend()
    {
        TorchRuntime.EnsureAvailable();
        Assert.True(TorchRuntime.IsAvailable);
        Assert.Contains("TorchSharp", TorchRuntime.Describe(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("CPU")]
    [InlineData("auto")]
    public void ResolveDevice_KnownNames_ReturnsCpuWithoutCuda(string name)
    {
        var device = TorchRuntime.ResolveDevice(name);
        Assert.Equal(torch.cuda.is_available() && name == "auto" ? DeviceType.CUDA : DeviceType.CPU, device.type);
    }

    [Fact]
    public void ResolveDevice_UnknownName_ThrowsWithHint()
    {
        var ex = Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDevice("tpu"));
        Assert.Contains("'cpu'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveDevice_CudaWithoutGpu_ThrowsWithHint()
    {
        if (torch.cuda.is_available())
        {
            return;
        }

        var ex = Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDevice("cuda"));
        Assert.Contains("CUDA is not available", ex.Message, StringComparison.Ordinal);
    }
}
