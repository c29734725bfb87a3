using System.Reflection;

namespace CausalVision.Tests.Architecture;

/// <summary>
/// Dependencies point one way: the methods (the CausalVision assembly: Vscnet/, CausalLabels/) build on
/// the generic layers Core, Graph and Clustering; Graph and Clustering build on Core; no layer reaches up.
/// </summary>
public sealed class LayeringTests
{
    private static readonly Assembly Methods = typeof(CausalVision.Vscnet.VscNet).Assembly;

    public static TheoryData<string> Layers => new() { "CausalVision.Core", "CausalVision.Graph", "CausalVision.Clustering" };

    [Fact]
    public void Methods_AreTheCausalVisionAssembly_AndReferenceEveryLayer()
    {
        Assert.Equal("CausalVision", Methods.GetName().Name);
        Assert.Same(Methods, typeof(CausalVision.CausalLabels.CausalLabelModel).Assembly);
        var names = Methods.GetReferencedAssemblies().Select(a => a.Name).ToArray();
        Assert.Contains("CausalVision.Core", names);
        Assert.Contains("CausalVision.Graph", names);
        Assert.Contains("CausalVision.Clustering", names);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Layer_DoesNotReferenceTheMethods(string layer)
    {
        var names = Assembly.Load(layer).GetReferencedAssemblies().Select(a => a.Name).ToArray();
        Assert.DoesNotContain("CausalVision", names);
    }

    [Fact]
    public void GraphAndClustering_ReferenceOnlyCoreAmongTheLayers()
    {
        var graph = Assembly.Load("CausalVision.Graph").GetReferencedAssemblies().Select(a => a.Name).Where(n => n!.StartsWith("CausalVision", StringComparison.Ordinal)).ToArray();
        var clustering = Assembly.Load("CausalVision.Clustering").GetReferencedAssemblies().Select(a => a.Name).Where(n => n!.StartsWith("CausalVision", StringComparison.Ordinal)).ToArray();
        Assert.Subset(new HashSet<string?> { "CausalVision.Core", "CausalVision.Clustering" }, graph.ToHashSet());
        Assert.Equal(new[] { "CausalVision.Core" }, clustering);
    }

    [Fact]
    public void EachMethod_LivesInOneNamespaceTree()
    {
        // Every public type of the methods assembly sits under CausalVision.Vscnet or CausalVision.CausalLabels;
        // the exceptions are the DI extension methods and the registry over both methods (CausalVision.ModelRegistry).
        var strays = Methods.GetExportedTypes()
            .Where(t => t.Namespace is not null
                && !t.Namespace.StartsWith("CausalVision.Vscnet", StringComparison.Ordinal)
                && !t.Namespace.StartsWith("CausalVision.CausalLabels", StringComparison.Ordinal)
                && t.Namespace != "CausalVision.DependencyInjection"
                && t != typeof(ModelRegistry))
            .Select(t => t.FullName)
            .ToArray();
        Assert.Empty(strays);
    }
}
