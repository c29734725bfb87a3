// Learned edge mask of CAL (Sui et al., KDD 2022; yongduosui/CAL model.py:
// edge_att = softmax(Linear(2h->2)([x_row; x_col]))) = VSCNet's M_A (Meng et al., AAAI 2025,
// eq. 10-11), evaluated for every node pair of a dense padded batch without loops.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Graph.Masks;

/// <summary>Soft edge mask <c>M_A[i, j] = softmax(Linear(2h→2)([x_i; x_j]))</c> for all pairs.</summary>
/// <remarks>
/// <para>The Linear's weight <c>W = [W_a | W_b]</c> (2 × 2H) splits into the part that reads
/// <c>x_i</c> (the row of A, the receiving node) and the part that reads <c>x_j</c> (the sender),
/// so the logits are <c>x_i W_aᵀ + x_j W_bᵀ + b</c>: one [B, N, 2] product per side and a
/// broadcast sum, O(B·N²·2) memory instead of materialising the [B, N, N, 2H] concatenation.
/// CAL feeds <c>[x_source; x_target]</c> of each directed edge; here entry (i, j) reads
/// <c>[x_i; x_j]</c>, a relabelling the Linear absorbs (and the VSE graphs are symmetric).</para>
/// <para>The mask is not symmetrised (CAL weights the two directions of an edge separately).
/// Column 1 = causal, column 0 = trivial/context; both are 0 where i or j is padding.</para>
/// Shapes: x [B, N, H], mask [B, N] bool or null → [B, N, N, 2].
/// </remarks>
public sealed class EdgeMask : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear lin;

    /// <summary>Initializes a new instance of the <see cref="EdgeMask"/> class.</summary>
    /// <param name="features">Node width H (&gt; 0); the Linear reads 2H.</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="dtype">Parameter dtype (default float32).</param>
    public EdgeMask(long features, Device? device = null, ScalarType? dtype = null)
        : base(nameof(EdgeMask))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Features = features;
        lin = nn.Linear(2 * features, 2, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Gets the node width H.</summary>
    public long Features { get; }

    /// <summary>Computes the mask for every node pair.</summary>
    /// <param name="x">Node features [B, N, H].</param>
    /// <param name="mask">Padding mask [B, N] or null.</param>
    /// <returns>[B, N, N, 2] (column 1 = causal).</returns>
    /// <exception cref="ArgumentException">Wrong shapes or NaN/Inf features.</exception>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        Guard.NodeFeatures(x);
        Guard.Dim(x, 2, Features, nameof(x), "node width H");
        Guard.PaddingMask(mask, x.shape[0], x.shape[1]);
        using var scope = NewDisposeScope();
        var w = lin.weight!;
        var h = Features;
        var receiver = nn.functional.linear(x, w[.., ..(int)h]);      // [B, N, 2]
        var sender = nn.functional.linear(x, w[.., (int)h..]);        // [B, N, 2]
        var logits = ScalarSafe.Add(ScalarSafe.Add(receiver.unsqueeze(2), sender.unsqueeze(1)), lin.bias!);
        var m = logits.softmax(-1);
        if (mask is not null)
        {
            var real = mask.to(m.dtype);
            m = m * (real.unsqueeze(2) * real.unsqueeze(1)).unsqueeze(3);
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
