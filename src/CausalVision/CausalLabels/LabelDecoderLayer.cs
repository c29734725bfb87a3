// One transformer decoder layer (Vaswani et al. 2017; DETR / Query2Label layout): self-attention
// among label queries, cross-attention from the queries to the image tokens, feed-forward block.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// A decoder layer. Post-norm: t = LN(t + SA(t)); t = LN(t + CA(t, m)); t = LN(t + FFN(t)).
/// Pre-norm: t = t + SA(LN(t)); t = t + CA(LN(t), m); t = t + FFN(LN(t)).
/// FFN(t) = W2 dropout(ReLU(W1 t)); dropout after each sub-layer.
/// </summary>
/// <remarks>
/// Shapes: target [B, L, d], memory [B, N, d] -&gt; [B, L, d].
/// Keys: <c>self_attn</c>, <c>cross_attn</c>, <c>linear1</c>, <c>linear2</c>, <c>norm1..3</c>.
/// </remarks>
public sealed class LabelDecoderLayer : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "self_attn")]
    private readonly LabelAttention selfAttn;

    [ComponentName(Name = "cross_attn")]
    private readonly LabelAttention crossAttn;

    [ComponentName(Name = "linear1")]
    private readonly Linear linear1;

    [ComponentName(Name = "linear2")]
    private readonly Linear linear2;

    [ComponentName(Name = "norm1")]
    private readonly LayerNorm norm1;

    [ComponentName(Name = "norm2")]
    private readonly LayerNorm norm2;

    [ComponentName(Name = "norm3")]
    private readonly LayerNorm norm3;

    [ComponentName(Name = "dropout")]
    private readonly Dropout dropout;

    private readonly NormPlacement norm;

    /// <summary>Initializes a new instance of the <see cref="LabelDecoderLayer"/> class.</summary>
    /// <param name="dim">Model dimension d.</param>
    /// <param name="heads">Attention heads (divide d).</param>
    /// <param name="feedForwardDim">FFN hidden width.</param>
    /// <param name="dropout">Dropout; default 0.1.</param>
    /// <param name="norm">Norm placement; default post-norm.</param>
    /// <exception cref="ArgumentException">Invalid sizes.</exception>
    public LabelDecoderLayer(int dim, int heads, int feedForwardDim, double dropout = 0.1, NormPlacement norm = NormPlacement.Post)
        : base(nameof(LabelDecoderLayer))
    {
        if (feedForwardDim < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(feedForwardDim), feedForwardDim, "The feed-forward width must be at least 1.");
        }

        selfAttn = new LabelAttention(dim, heads, dropout);
        crossAttn = new LabelAttention(dim, heads, dropout);
        linear1 = nn.Linear(dim, feedForwardDim);
        linear2 = nn.Linear(feedForwardDim, dim);
        norm1 = nn.LayerNorm(dim);
        norm2 = nn.LayerNorm(dim);
        norm3 = nn.LayerNorm(dim);
        this.dropout = nn.Dropout(dropout);
        this.norm = norm;
        RegisterComponents();
    }

    /// <summary>Runs the layer.</summary>
    /// <param name="target">Label queries / features [B, L, d].</param>
    /// <param name="memory">Image tokens [B, N, d].</param>
    /// <returns>[B, L, d].</returns>
    public override Tensor forward(Tensor target, Tensor memory)
    {
        using var scope = NewDisposeScope();
        Tensor t;
        if (norm == NormPlacement.Post)
        {
            t = norm1.call(ScalarSafe.Add(target, dropout.call(selfAttn.call(target, target, target))));
            t = norm2.call(ScalarSafe.Add(t, dropout.call(crossAttn.call(t, memory, memory))));
            t = norm3.call(ScalarSafe.Add(t, dropout.call(Ffn(t))));
        }
        else
        {
            var n = norm1.call(target);
            t = ScalarSafe.Add(target, dropout.call(selfAttn.call(n, n, n)));
            t = ScalarSafe.Add(t, dropout.call(crossAttn.call(norm2.call(t), memory, memory)));
            t = ScalarSafe.Add(t, dropout.call(Ffn(norm3.call(t))));
        }

        return t.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            selfAttn.Dispose();
            crossAttn.Dispose();
            linear1.Dispose();
            linear2.Dispose();
            norm1.Dispose();
            norm2.Dispose();
            norm3.Dispose();
            dropout.Dispose();
        }

        base.Dispose(disposing);
    }

    private Tensor Ffn(Tensor x) => linear2.call(dropout.call(nn.functional.relu(linear1.call(x))));
}
