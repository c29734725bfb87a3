// How Gcn.Propagate multiplies by the normalised adjacency (Kipf & Welling, ICLR 2017, eq. 2).
namespace CausalVision.Graph.Conv;

/// <summary>Selects the dense or the sparse (COO, block-diagonal) propagation path.</summary>
public enum GcnPropagation
{
    /// <summary>Sparse when the share of non-zero adjacency entries is below the density threshold, dense otherwise (costs one host sync to count edges).</summary>
    Auto = 0,

    /// <summary>Batched dense matrix product <c>bmm(Â, X)</c>: best for small or dense graphs.</summary>
    Dense = 1,

    /// <summary>Edge list over the block-diagonal batch and a torch sparse COO product: work grows with the edge count.</summary>
    Sparse = 2,
}
