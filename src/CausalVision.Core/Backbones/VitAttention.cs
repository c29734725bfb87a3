// Multi-head self-attention (Vaswani et al. 2017, Eq. 1; ViT Eq. 2), timm's Attention key layout.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// softmax(Q K^T / sqrt(d_h)) V per head with a fused <c>scaled_dot_product_attention</c>;
/// Q, K, V from one <c>qkv</c> linear (bias on), heads merged by <c>proj</c>. Keys: qkv, proj.
/// </summary>
/// <remarks>Shapes: [B, N, D] -> [B, N, D].</remarks>
internal sealed class VitAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly long heads;
    private readonly double attnDrop;
    private readonly double projDrop;

    public VitAttention(long dim, long heads, double attnDrop, double projDrop)
        : base(nameof(VitAttention))
    {
        if (dim % heads != 0)
        {
            throw new ArgumentException($"Embedding dim {dim} is not divisible by {heads} heads.", nameof(heads));
        }

        this.heads = heads;
        this.attnDrop = attnDrop;
        this.projDrop = projDrop;
        qkv = VisionTransformer.UninitializedLinear(dim, dim * 3);
        proj = VisionTransformer.UninitializedLinear(dim, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (b, n, d) = (x.shape[0], x.shape[1], x.shape[2]);
        var parts = qkv.call(x).reshape(b, n, 3, heads, d / heads).permute(2, 0, 3, 1, 4).unbind(0);
        var o = nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2], p: training ? attnDrop : 0.0);
        var y = proj.call(o.transpose(1, 2).reshape(b, n, d));
        return nn.functional.dropout(y, projDrop, training).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            qkv.Dispose();
            proj.Dispose();
        }

        base.Dispose(disposing);
    }
}
