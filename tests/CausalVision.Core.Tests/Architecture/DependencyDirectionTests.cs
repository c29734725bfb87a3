using System.Reflection;

namespace CausalVision.Tests.Architecture;

/// <summary>Dependencies point one way: Graph, Clustering and the methods (CausalVision) may use Core; Core uses none of them.</summary>
public sealed class DependencyDirectionTests
{
    [Fact]
    public void CoreAssembly_References_NeitherGraphNorClustering()
    {
        var core = typeof(CausalVision.Runtime.TorchRuntime).Assembly;
        var names = core.GetReferencedAssemblies().Select(a => a.Name).ToArray();
        Assert.DoesNotContain("CausalVision.Graph", names);
        Assert.DoesNotContain("CausalVision.Clustering", names);
        Assert.DoesNotContain("CausalVision", names);
        Assert.Contains("TorchSharp", names);
    }

    [Fact]
    public void CoreAssembly_DoesNotReference_NativeBackendPackages()
    {
        // The library stays backend-neutral: the app picks TorchSharp-cpu or a CUDA package.
        var core = typeof(CausalVision.Runtime.TorchRuntime).Assembly;
        Assert.All(core.GetReferencedAssemblies(), a => Assert.DoesNotContain("libtorch", a.Name!, StringComparison.OrdinalIgnoreCase));
        Assert.Equal("CausalVision", core.GetName().Name![..12]);
        Assert.NotNull(core.GetCustomAttribute<AssemblyInformationalVersionAttribute>());
    }
}
