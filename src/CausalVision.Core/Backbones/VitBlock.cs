// Pre-norm transformer encoder block (ViT Eq. 2-3), timm's Block key layout.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// x = x + DropPath(attn(norm1(x))); x = x + DropPath(mlp(norm2(x))). LayerNorm eps 1e-6 as timm.
/// Keys: norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2 (timm's ls1/ls2 are identities without weights).
/// </summary>
/// <remarks>Shapes: [B, N, D] -> [B, N, D].</remarks>
internal sealed class VitBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly VitAttention attn;
    private readonly LayerNorm norm2;
    private readonly VitMlp mlp;
    private readonly DropPath drop_path;

    public VitBlock(long dim, long heads, double mlpRatio, double drop, double attnDrop, double dropPath)
        : base(nameof(VitBlock))
    {
        norm1 = nn.LayerNorm(dim, eps: 1e-6);
        attn = new VitAttention(dim, heads, attnDrop, drop);
        norm2 = nn.LayerNorm(dim, eps: 1e-6);
        mlp = new VitMlp(dim, (long)(dim * mlpRatio), drop);
        drop_path = new DropPath(dropPath);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = ScalarSafe.Add(x, drop_path.call(attn.call(norm1.call(x))));
        y = ScalarSafe.Add(y, drop_path.call(mlp.call(norm2.call(y))));
        return y.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            norm1.Dispose();
            attn.Dispose();
            norm2.Dispose();
            mlp.Dispose();
            drop_path.Dispose();
        }

        base.Dispose(disposing);
    }
}
