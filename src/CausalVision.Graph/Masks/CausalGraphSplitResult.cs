// Output of CausalGraphSplit: VSCNet (Meng et al., AAAI 2025) eq. 10-11, G_c and G_n with the masks.
using CausalVision.Graph.Hetero;
using static TorchSharp.torch;

namespace CausalVision.Graph.Masks;

/// <summary>The causal graph G_c, its complement G_n and the soft masks that made them.</summary>
/// <remarks>Owns everything it holds; dispose it (or move it into a dispose scope's care) when done.
/// The two graphs share node types and padding mask with the input graph through aliases.</remarks>
public sealed class CausalGraphSplitResult : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="CausalGraphSplitResult"/> class and takes ownership.</summary>
    /// <param name="causal">G_c = (A ⊙ M_A, X ⊙ M_X).</param>
    /// <param name="trivial">G_n = (A ⊙ (1 − M_A), X ⊙ (1 − M_X)).</param>
    /// <param name="nodeMask">Node mask [B, N, 2] (column 1 = causal).</param>
    /// <param name="edgeMask">Edge mask [B, N, N, 2] (column 1 = causal).</param>
    public CausalGraphSplitResult(HeteroGraphBatch causal, HeteroGraphBatch trivial, Tensor nodeMask, Tensor edgeMask)
    {
        Causal = causal ?? throw new ArgumentNullException(nameof(causal));
        Trivial = trivial ?? throw new ArgumentNullException(nameof(trivial));
        NodeMask = nodeMask ?? throw new ArgumentNullException(nameof(nodeMask));
        EdgeMask = edgeMask ?? throw new ArgumentNullException(nameof(edgeMask));
    }

    /// <summary>Gets the causal-attentive graph G_c (eq. 10).</summary>
    public HeteroGraphBatch Causal { get; }

    /// <summary>Gets the non-causal (trivial/context) graph G_n (eq. 11).</summary>
    public HeteroGraphBatch Trivial { get; }

    /// <summary>Gets the node mask [B, N, 2]: column 1 = M_X (causal), column 0 = 1 − M_X; 0 on padding.</summary>
    public Tensor NodeMask { get; }

    /// <summary>Gets the edge mask [B, N, N, 2]: column 1 = M_A (causal), column 0 = 1 − M_A; 0 on pairs touching padding.</summary>
    public Tensor EdgeMask { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Causal.Dispose();
        Trivial.Dispose();
        NodeMask.Dispose();
        EdgeMask.Dispose();
    }
}
