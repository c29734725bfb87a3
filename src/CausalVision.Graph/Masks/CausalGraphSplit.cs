// Causal / non-causal graph disentangling: VSCNet (Meng et al., AAAI 2025) eq. 10
// G_c = {A ⊙ M_A, X ⊙ M_X} and eq. 11 G_n = {A ⊙ (1 - M_A), X ⊙ (1 - M_X)}, with M_X and M_A
// the learned soft masks of CAL (Sui et al., KDD 2022; yongduosui/CAL model.py).
using CausalVision.Graph.Hetero;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Graph.Masks;

/// <summary>
/// Splits a graph batch into its causal-attentive graph G_c and the complement G_n with a
/// learned <see cref="NodeMask"/> and <see cref="EdgeMask"/>.
/// </summary>
/// <remarks>
/// <para><c>M_X</c> = column 1 of the node mask, <c>M_A</c> = column 1 of the edge mask.
/// G_c = (A ⊙ M_A, X ⊙ M_X), G_n = (A ⊙ (1 − M_A), X ⊙ (1 − M_X)) (eq. 10-11), so
/// G_c + G_n = G exactly on real nodes (1 − M equals column 0 of the softmax, CAL's "context"
/// branch). Padded nodes keep zero features and no edges in both graphs.</para>
/// <para>The masks read <c>maskFeatures</c> when given (CAL computes them from
/// GCN-encoded node states), else the graph's own features X.</para>
/// Shapes: graph X [B, N, D], A [B, N, N]; maskFeatures [B, N, H] (H = the features passed to the
/// constructor; H = D when null) → <see cref="CausalGraphSplitResult"/>.
/// </remarks>
public sealed class CausalGraphSplit : nn.Module<HeteroGraphBatch, Tensor?, CausalGraphSplitResult>
{
    private readonly NodeMask node_mask;
    private readonly EdgeMask edge_mask;

    /// <summary>Initializes a new instance of the <see cref="CausalGraphSplit"/> class.</summary>
    /// <param name="features">Width H of the features the masks read (&gt; 0).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="dtype">Parameter dtype (default float32).</param>
    public CausalGraphSplit(long features, Device? device = null, ScalarType? dtype = null)
        : base(nameof(CausalGraphSplit))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Features = features;
        node_mask = new NodeMask(features, device, dtype);
        edge_mask = new EdgeMask(features, device, dtype);
        RegisterComponents();
    }

    /// <summary>Gets the width H the masks read.</summary>
    public long Features { get; }

    /// <summary>Splits the graph.</summary>
    /// <param name="graph">The heterogeneous graph G_h.</param>
    /// <param name="maskFeatures">Features [B, N, H] the masks read, or null to use <c>graph.X</c>.</param>
    /// <returns>G_c, G_n and the masks (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Shapes disagree.</exception>
    public override CausalGraphSplitResult forward(HeteroGraphBatch graph, Tensor? maskFeatures)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var h = maskFeatures ?? graph.X;
        Guard.Rank(h, 3, nameof(maskFeatures), "[B, N, H]");
        if (h.shape[0] != graph.BatchSize || h.shape[1] != graph.MaxNodes)
        {
            throw new ArgumentException($"maskFeatures must have shape [{graph.BatchSize}, {graph.MaxNodes}, H] to match the graph, got [{string.Join(", ", h.shape)}].", nameof(maskFeatures));
        }

        Tensor nodeMask, edgeMask, causalX, trivialX, causalA, trivialA;
        using (var scope = NewDisposeScope())
        {
            nodeMask = node_mask.call(h, graph.Mask);
            edgeMask = edge_mask.call(h, graph.Mask);
            var mx = nodeMask[.., .., 1].unsqueeze(2);
            var ma = edgeMask[.., .., .., 1];
            var real = graph.Mask.to(graph.X.dtype);
            var realPairs = real.unsqueeze(2) * real.unsqueeze(1);

            // X, A are zero on padding in a valid batch; the real-node factors keep that true for any input.
            causalX = (graph.X * mx).MoveToOuterDisposeScope();
            trivialX = (graph.X * (real.unsqueeze(2) - mx)).MoveToOuterDisposeScope();
            causalA = (graph.Adjacency * ma).MoveToOuterDisposeScope();
            trivialA = (graph.Adjacency * (realPairs - ma)).MoveToOuterDisposeScope();
            nodeMask.MoveToOuterDisposeScope();
            edgeMask.MoveToOuterDisposeScope();
        }

        // Built outside the scope: the graphs alias the input's node types and mask, and those
        // aliases must not be disposed with the scope's intermediates.
        return new CausalGraphSplitResult(graph.With(causalX, causalA), graph.With(trivialX, trivialA), nodeMask, edgeMask);
    }

    /// <summary>Splits the graph, the masks reading its own features X.</summary>
    /// <param name="graph">The graph.</param>
    /// <returns>G_c, G_n and the masks.</returns>
    public CausalGraphSplitResult call(HeteroGraphBatch graph) => call(graph, null);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            node_mask.Dispose();
            edge_mask.Dispose();
        }

        base.Dispose(disposing);
    }
}
