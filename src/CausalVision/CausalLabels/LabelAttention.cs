// Multi-head scaled dot-product attention (Vaswani et al. 2017, eq. 1) with separate q/k/v/out
// projections, batch-first, used by the label-query decoder and by the confounder intervention.
// A query batch of 1, or one that divides the key batch, is broadcast: this is what lets the
// intervention fold K confounders into the batch without projecting the label queries K times.
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// Multi-head attention: softmax(Q K^T / sqrt(d_h)) V per head, Q = query W_q, K = key W_k,
/// V = value W_v, then the output projection W_o.
/// </summary>
/// <remarks>
/// Shapes: query [Bq, Lq, d], key and value [B, Lk, d] with B a multiple of Bq (query row b serves
/// key rows b*r .. b*r + r - 1, r = B / Bq; Bq = 1 serves all) -&gt; [B, Lq, d].
/// State-dict keys: <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>out_proj</c> (weight, bias).
/// </remarks>
public sealed class LabelAttention : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "q_proj")]
    private readonly Linear qProj;

    [ComponentName(Name = "k_proj")]
    private readonly Linear kProj;

    [ComponentName(Name = "v_proj")]
    private readonly Linear vProj;

    [ComponentName(Name = "out_proj")]
    private readonly Linear outProj;

    private readonly int heads;
    private readonly double dropout;

    /// <summary>Initializes a new instance of the <see cref="LabelAttention"/> class.</summary>
    /// <param name="dim">Model dimension d.</param>
    /// <param name="heads">Heads; must divide <paramref name="dim"/>.</param>
    /// <param name="dropout">Dropout on the attention weights in training; default 0.</param>
    /// <exception cref="ArgumentException">Non-positive sizes, heads not dividing dim, or dropout outside [0, 1).</exception>
    public LabelAttention(int dim, int heads, double dropout = 0.0)
        : base(nameof(LabelAttention))
    {
        if (dim < 1 || heads < 1 || dim % heads != 0)
        {
            throw new ArgumentException($"LabelAttention needs dim >= 1 divisible by heads >= 1; got dim {dim}, heads {heads}.");
        }

        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "Dropout must lie in [0, 1).");
        }

        Dim = dim;
        this.heads = heads;
        this.dropout = dropout;
        qProj = nn.Linear(dim, dim);
        kProj = nn.Linear(dim, dim);
        vProj = nn.Linear(dim, dim);
        outProj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    /// <summary>Gets the model dimension d.</summary>
    public int Dim { get; }

    /// <summary>Attends <paramref name="query"/> over <paramref name="key"/> / <paramref name="value"/>.</summary>
    /// <param name="query">Queries [Bq, Lq, d].</param>
    /// <param name="key">Keys [B, Lk, d].</param>
    /// <param name="value">Values [B, Lk, d].</param>
    /// <returns>[B, Lq, d].</returns>
    /// <exception cref="ArgumentException">Shapes that do not fit.</exception>
    public override Tensor forward(Tensor query, Tensor key, Tensor value)
    {
        var (bq, lq, b, lk) = Check(query, key, value);
        using var scope = NewDisposeScope();
        var q = SplitHeads(qProj.call(query), bq, lq);
        if (bq != b)
        {
            q = Broadcast(q, b / bq);
        }

        var k = SplitHeads(kProj.call(key), b, lk);
        var v = SplitHeads(vProj.call(value), b, lk);
        var o = nn.functional.scaled_dot_product_attention(q, k, v, p: training ? dropout : 0.0);
        return outProj.call(o.transpose(1, 2).reshape(b, lq, Dim)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same attention with an explicit softmax(Q K^T / sqrt(d_h)) V and no dropout: an
    /// independent path for tests and references (slower, materialises the weights).
    /// </summary>
    /// <param name="query">Queries [Bq, Lq, d].</param>
    /// <param name="key">Keys [B, Lk, d].</param>
    /// <param name="value">Values [B, Lk, d].</param>
    /// <returns>[B, Lq, d].</returns>
    public Tensor ForwardExplicit(Tensor query, Tensor key, Tensor value)
    {
        var (bq, lq, b, lk) = Check(query, key, value);
        using var scope = NewDisposeScope();
        var q = SplitHeads(qProj.call(query), bq, lq);
        if (bq != b)
        {
            q = Broadcast(q, b / bq);
        }

        var k = SplitHeads(kProj.call(key), b, lk);
        var v = SplitHeads(vProj.call(value), b, lk);
        var weights = q.matmul(k.transpose(-2, -1)).div(Math.Sqrt(Dim / heads)).softmax(-1);
        return outProj.call(weights.matmul(v).transpose(1, 2).reshape(b, lq, Dim)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            qProj.Dispose();
            kProj.Dispose();
            vProj.Dispose();
            outProj.Dispose();
        }

        base.Dispose(disposing);
    }

    private (long Bq, long Lq, long B, long Lk) Check(Tensor query, Tensor key, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (query.dim() != 3 || key.dim() != 3 || value.dim() != 3 || query.shape[2] != Dim || key.shape[2] != Dim || value.shape[2] != Dim)
        {
            throw new ArgumentException($"LabelAttention expects query [Bq, Lq, {Dim}], key and value [B, Lk, {Dim}]; got [{string.Join(", ", query.shape)}], [{string.Join(", ", key.shape)}], [{string.Join(", ", value.shape)}].");
        }

        if (!key.shape.SequenceEqual(value.shape))
        {
            throw new ArgumentException($"Key [{string.Join(", ", key.shape)}] and value [{string.Join(", ", value.shape)}] must have the same shape.", nameof(value));
        }

        var bq = query.shape[0];
        var b = key.shape[0];
        if (bq < 1 || b % bq != 0 || key.shape[1] < 1 || query.shape[1] < 1)
        {
            throw new ArgumentException($"The query batch ({bq}) must divide the key batch ({b}), and both sequences must be non-empty.", nameof(query));
        }

        return (bq, query.shape[1], b, key.shape[1]);
    }

    private Tensor SplitHeads(Tensor x, long batch, long length) =>
        x.view(batch, length, heads, Dim / heads).transpose(1, 2);

    // [Bq, h, L, dh] -> [Bq * r, h, L, dh], each query row repeated r times consecutively.
    // Bq = 1 (shared label queries) stays a zero-copy expanded view.
    private static Tensor Broadcast(Tensor q, long r) => q.shape[0] == 1
        ? q.expand(r, q.shape[1], q.shape[2], q.shape[3])
        : q.unsqueeze(1).expand(q.shape[0], r, q.shape[1], q.shape[2], q.shape[3]).reshape(q.shape[0] * r, q.shape[1], q.shape[2], q.shape[3]);
}
