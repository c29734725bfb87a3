// Graph readouts honouring padding: sum / mean / max as PyG's global_add_pool,
// global_mean_pool and global_max_pool on a dense padded batch, and gated attention pooling
// (Ilse et al., ICML 2018, eq. 9). CAL (yongduosui/CAL) reads each branch out with
// global_add_pool (or mean); VSCNet's F_c = delta_c(G_c), F_n = delta_n(G_n) (Meng et al.,
// AAAI 2025, eq. 10-11 and the text after them) end in such a readout.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Graph.Readout;

/// <summary>Pools node features [B, N, F] into graph features [B, F], ignoring padded nodes.</summary>
/// <remarks>
/// Sum: <c>Σ_i m_i x_i</c>. Mean: <c>Σ_i m_i x_i / max(1, Σ_i m_i)</c>. Max: <c>max_{i: m_i} x_i</c>
/// (0 for a graph with no real node). Attention: see <see cref="GatedAttentionReadout"/>.
/// Padded nodes never influence the result, whatever their features.
/// Shapes: x [B, N, F], mask [B, N] bool or null → [B, F].
/// </remarks>
public sealed class GraphReadout : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly GatedAttentionReadout? attention;

    /// <summary>Initializes a new instance of the <see cref="GraphReadout"/> class.</summary>
    /// <param name="kind">The pooling (default <see cref="ReadoutKind.Sum"/>, CAL's choice).</param>
    /// <param name="features">Node width F; required (&gt; 0) for <see cref="ReadoutKind.Attention"/>, ignored otherwise.</param>
    /// <param name="attentionHidden">Hidden width of the gated attention (default 128).</param>
    /// <param name="device">Parameter device (attention only).</param>
    /// <param name="dtype">Parameter dtype (attention only).</param>
    /// <exception cref="ArgumentOutOfRangeException">Attention without a positive feature width, or an unknown kind.</exception>
    public GraphReadout(ReadoutKind kind = ReadoutKind.Sum, long features = 0, long attentionHidden = 128, Device? device = null, ScalarType? dtype = null)
        : base(nameof(GraphReadout))
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown ReadoutKind.");
        }

        Kind = kind;
        if (kind == ReadoutKind.Attention)
        {
            if (features <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(features), features, "The attention readout needs the node feature width (features > 0).");
            }

            attention = new GatedAttentionReadout(features, attentionHidden, device, dtype);
        }

        RegisterComponents();
    }

    /// <summary>Gets the pooling kind.</summary>
    public ReadoutKind Kind { get; }

    /// <summary>Sum over real nodes.</summary>
    /// <param name="x">[B, N, F].</param>
    /// <param name="mask">[B, N] bool or null.</param>
    /// <returns>[B, F].</returns>
    public static Tensor SumPool(Tensor x, Tensor? mask)
    {
        CheckInputs(x, mask);
        using var scope = NewDisposeScope();
        var xm = mask is null ? x : x * mask.unsqueeze(2).to(x.dtype);
        return xm.sum(1).MoveToOuterDisposeScope();
    }

    /// <summary>Mean over real nodes (0 for a graph with none).</summary>
    /// <param name="x">[B, N, F].</param>
    /// <param name="mask">[B, N] bool or null.</param>
    /// <returns>[B, F].</returns>
    public static Tensor MeanPool(Tensor x, Tensor? mask)
    {
        CheckInputs(x, mask);
        using var scope = NewDisposeScope();
        if (mask is null)
        {
            return x.mean(new long[] { 1 }).MoveToOuterDisposeScope();
        }

        var m = mask.unsqueeze(2).to(x.dtype);
        var count = m.sum(1).clamp_min(1.0);
        return ((x * m).sum(1) / count).MoveToOuterDisposeScope();
    }

    /// <summary>Element-wise max over real nodes (0 for a graph with none).</summary>
    /// <param name="x">[B, N, F].</param>
    /// <param name="mask">[B, N] bool or null.</param>
    /// <returns>[B, F].</returns>
    public static Tensor MaxPool(Tensor x, Tensor? mask)
    {
        CheckInputs(x, mask);
        using var scope = NewDisposeScope();
        if (mask is null)
        {
            return x.amax(new long[] { 1 }).MoveToOuterDisposeScope();
        }

        var pad = mask.logical_not().unsqueeze(2);
        var max = x.masked_fill(pad, double.NegativeInfinity).amax(new long[] { 1 });
        var any = mask.any(1, keepdim: true);
        return where(any, max, zeros_like(max)).MoveToOuterDisposeScope();
    }

    /// <summary>Pools the nodes with this readout's kind.</summary>
    /// <param name="x">Node features [B, N, F].</param>
    /// <param name="mask">Padding mask [B, N] or null.</param>
    /// <returns>[B, F].</returns>
    public override Tensor forward(Tensor x, Tensor? mask) => Kind switch
    {
        ReadoutKind.Sum => SumPool(x, mask),
        ReadoutKind.Mean => MeanPool(x, mask),
        ReadoutKind.Max => MaxPool(x, mask),
        _ => attention!.call(x, mask),
    };

    /// <summary>Checks x [B, N, F] (floating, finite) and the mask.</summary>
    internal static void CheckInputs(Tensor x, Tensor? mask)
    {
        Guard.Rank(x, 3, nameof(x), "[B, N, F]");
        Guard.Floating(x, nameof(x));
        Guard.Finite(x, nameof(x));
        Guard.PaddingMask(mask, x.shape[0], x.shape[1]);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            attention?.Dispose();
        }

        base.Dispose(disposing);
    }
}
