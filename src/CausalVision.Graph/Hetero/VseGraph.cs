// Output of VseGraphBuilder: VSCNet's G_h (Meng et al., AAAI 2025, eq. 9) plus the ids that
// tie its tag and prototype nodes back to the vocabulary and the VSE hierarchy.
using static TorchSharp.torch;

namespace CausalVision.Graph.Hetero;

/// <summary>A built visual-semantic graph batch and the identity of its nodes.</summary>
/// <remarks>
/// Node layout of every graph: regions 0..J-1, then K tag nodes J..J+K-1, then that image's
/// distinct matched prototypes J+K..J+K+P_b-1, then padding up to N = J + K + max_b P_b.
/// Owns everything it holds.
/// </remarks>
public sealed class VseGraph : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="VseGraph"/> class and takes ownership.</summary>
    /// <param name="graph">The graph batch.</param>
    /// <param name="tagIds">Vocabulary id of each tag node [B, K] (int64).</param>
    /// <param name="prototypeIds">Prototype id of each prototype node slot [B, P_max] (int64, -1 = padding).</param>
    /// <param name="regions">Region count J.</param>
    public VseGraph(HeteroGraphBatch graph, Tensor tagIds, Tensor prototypeIds, long regions)
    {
        Graph = graph ?? throw new ArgumentNullException(nameof(graph));
        TagIds = tagIds ?? throw new ArgumentNullException(nameof(tagIds));
        PrototypeIds = prototypeIds ?? throw new ArgumentNullException(nameof(prototypeIds));
        Regions = regions;
    }

    /// <summary>Gets the graph batch.</summary>
    public HeteroGraphBatch Graph { get; }

    /// <summary>Gets the vocabulary id of each tag node, [B, K].</summary>
    public Tensor TagIds { get; }

    /// <summary>Gets the prototype id of each prototype node slot, [B, P_max] (-1 = padding).</summary>
    public Tensor PrototypeIds { get; }

    /// <summary>Gets the region count J (the first J nodes of every graph).</summary>
    public long Regions { get; }

    /// <summary>Gets the tag node count K (nodes J..J+K-1).</summary>
    public long Tags => TagIds.shape[1];

    /// <inheritdoc/>
    public void Dispose()
    {
        Graph.Dispose();
        TagIds.Dispose();
        PrototypeIds.Dispose();
    }
}
