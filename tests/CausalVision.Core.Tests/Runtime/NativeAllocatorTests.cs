using CausalVision.Runtime;

namespace CausalVision.Tests.Runtime;

public sealed class NativeAllocatorTests
{
    [Fact]
    public void RuntimeLoad_OnGlibcLinux_RetainsFreedMemory()
    {
        TorchRuntime.EnsureAvailable();
        var tunables = Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? string.Empty;
        var expected = OperatingSystem.IsLinux()
            && TorchRuntime.RetainFreedMemory
            && !tunables.Contains("glibc.malloc.", StringComparison.Ordinal)
            && File.Exists("/lib/x86_64-linux-gnu/libc.so.6");
        Assert.Equal(expected, NativeAllocator.IsRetaining);

        // Applied once: a second call reports the same state and changes nothing.
        Assert.Equal(NativeAllocator.IsRetaining, NativeAllocator.RetainFreedMemory());
    }

    [Fact]
    public void Thresholds_AreGlibcsLargestMmapThresholdAndOneGigabyte()
    {
        // glibc refuses an mmap threshold above HEAP_MAX_SIZE / 2 (32 MB on 64-bit), so this is the largest it takes.
        Assert.Equal(32 * 1024 * 1024, NativeAllocator.MmapThreshold);
        Assert.Equal(1 << 30, NativeAllocator.TrimThreshold);
    }
}
