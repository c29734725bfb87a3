// Transformer MLP (ViT Eq. 3: two layers with a GELU), timm's Mlp key layout.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>fc2(drop(GELU(fc1(x)))) followed by dropout. Keys: fc1, fc2.</summary>
/// <remarks>Shapes: [B, N, D] -> [B, N, D]; hidden width 4D.</remarks>
internal sealed class VitMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly double drop;

    public VitMlp(long dim, long hidden, double drop)
        : base(nameof(VitMlp))
    {
        this.drop = drop;
        fc1 = VisionTransformer.UninitializedLinear(dim, hidden);
        fc2 = VisionTransformer.UninitializedLinear(hidden, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.dropout(nn.functional.gelu(fc1.call(x)), drop, training);
        return nn.functional.dropout(fc2.call(h), drop, training).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            fc1.Dispose();
            fc2.Dispose();
        }

        base.Dispose(disposing);
    }
}
