// Learned node mask of CAL (Sui et al., "Causal Attention for Interpretable and Generalizable
// Graph Classification", KDD 2022; yongduosui/CAL model.py: node_att = softmax(Linear(h->2)(x)))
// = VSCNet's M_X (Meng et al., AAAI 2025, eq. 10-11).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Graph.Masks;

/// <summary>Soft node mask <c>M_X = softmax(Linear(h→2)(x))</c> over a padded node batch.</summary>
/// <remarks>
/// Column 1 is the causal (CAL: "objects") share of a node, column 0 the trivial/context share;
/// the two sum to 1 on every real node and are both 0 on padded nodes.
/// Shapes: x [B, N, H], mask [B, N] bool or null → [B, N, 2].
/// </remarks>
public sealed class NodeMask : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear lin;

    /// <summary>Initializes a new instance of the <see cref="NodeMask"/> class.</summary>
    /// <param name="features">Node width H (&gt; 0).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="dtype">Parameter dtype (default float32).</param>
    public NodeMask(long features, Device? device = null, ScalarType? dtype = null)
        : base(nameof(NodeMask))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Features = features;
        lin = nn.Linear(features, 2, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Gets the node width H.</summary>
    public long Features { get; }

    /// <summary>Computes the mask.</summary>
    /// <param name="x">Node features [B, N, H].</param>
    /// <param name="mask">Padding mask [B, N] or null.</param>
    /// <returns>[B, N, 2] (column 1 = causal).</returns>
    /// <exception cref="ArgumentException">Wrong shapes or NaN/Inf features.</exception>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        Guard.NodeFeatures(x);
        Guard.Dim(x, 2, Features, nameof(x), "node width H");
        Guard.PaddingMask(mask, x.shape[0], x.shape[1]);
        using var scope = NewDisposeScope();
        var m = lin.call(x).softmax(-1);
        if (mask is not null)
        {
            m = m * mask.unsqueeze(2).to(m.dtype);
        }

        return m.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lin.Dispose();
        }

        base.Dispose(disposing);
    }
}
