using System.Reflection;

namespace CausalVision.Clustering.Tests.Architecture;

/// <summary>CausalVision.Clustering builds on Core only in the allowed direction.</summary>
public sealed class DependencyDirectionTests
{
    [Fact]
    public void Assembly_References_Core()
    {
        var assembly = Assembly.Load("CausalVision.Clustering");
        var names = assembly.GetReferencedAssemblies().Select(a => a.Name).ToArray();
        Assert.DoesNotContain(names, n => n!.Contains("libtorch", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("CausalVision.Clustering", assembly.GetName().Name);
    }
}
