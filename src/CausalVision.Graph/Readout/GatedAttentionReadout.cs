// Gated attention pooling: Ilse, Tomczak & Welling, "Attention-based Deep Multiple Instance
// Learning", ICML 2018, eq. 9: a_k = softmax_k( wᵀ (tanh(V h_k) ⊙ sigmoid(U h_k)) ),
// z = Σ_k a_k h_k, with the softmax restricted to real (unpadded) nodes.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Graph.Readout;

/// <summary>Gated attention readout over a padded node set.</summary>
/// <remarks>
/// Parameters: <c>V</c>, <c>U</c> (Linear F→hidden, with bias) and <c>w</c> (Linear hidden→1,
/// with bias); default hidden width 128 (Ilse et al. use 128 for their MNIST-bags model).
/// A graph with no real node pools to zero.
/// Shapes: x [B, N, F], mask [B, N] bool or null → [B, F]; <see cref="Weights"/> → [B, N].
/// </remarks>
public sealed class GatedAttentionReadout : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear attention_V;
    private readonly Linear attention_U;
    private readonly Linear attention_w;

    /// <summary>Initializes a new instance of the <see cref="GatedAttentionReadout"/> class.</summary>
    /// <param name="features">Node feature width F (&gt; 0).</param>
    /// <param name="hidden">Attention hidden width (default 128, &gt; 0).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="dtype">Parameter dtype (default float32).</param>
    public GatedAttentionReadout(long features, long hidden = 128, Device? device = null, ScalarType? dtype = null)
        : base(nameof(GatedAttentionReadout))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        Features = features;
        attention_V = nn.Linear(features, hidden, device: device, dtype: dtype);
        attention_U = nn.Linear(features, hidden, device: device, dtype: dtype);
        attention_w = nn.Linear(hidden, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Gets the node feature width F.</summary>
    public long Features { get; }

    /// <summary>Attention weights over nodes (sum to 1 over real nodes, 0 on padding).</summary>
    /// <param name="x">Node features [B, N, F].</param>
    /// <param name="mask">Padding mask [B, N] or null.</param>
    /// <returns>[B, N].</returns>
    public Tensor Weights(Tensor x, Tensor? mask)
    {
        GraphReadout.CheckInputs(x, mask);
        if (x.shape[2] != Features)
        {
            throw new ArgumentException($"x has {x.shape[2]} features per node but this readout expects {Features}.", nameof(x));
        }

        using var scope = NewDisposeScope();
        var gate = attention_V.call(x).tanh() * attention_U.call(x).sigmoid();
        var scores = attention_w.call(gate).squeeze(2);
        if (mask is null)
        {
            return scores.softmax(1).MoveToOuterDisposeScope();
        }

        // Softmax over real nodes: padded scores are -inf; an all-padding row gives NaN, replaced by 0.
        var masked = scores.masked_fill(mask.logical_not(), double.NegativeInfinity).softmax(1);
        return where(mask, masked, zeros_like(masked)).MoveToOuterDisposeScope();
    }

    /// <summary>Pools the nodes: z = Σ_k a_k h_k.</summary>
    /// <param name="x">Node features [B, N, F].</param>
    /// <param name="mask">Padding mask [B, N] or null.</param>
    /// <returns>[B, F].</returns>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var a = Weights(x, mask);
        var xm = mask is null ? x : x * mask.unsqueeze(2).to(x.dtype);
        return (a.unsqueeze(2) * xm).sum(1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            attention_V.Dispose();
            attention_U.Dispose();
            attention_w.Dispose();
        }

        base.Dispose(disposing);
    }
}
