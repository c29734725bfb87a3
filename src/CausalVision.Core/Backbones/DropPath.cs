// Stochastic depth (Huang et al. 2016, "Deep Networks with Stochastic Depth"), per sample, as timm's DropPath.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// In training, zeroes a whole residual branch per sample with probability p and scales the
/// survivors by 1/(1-p); identity in eval mode or when p = 0.
/// </summary>
/// <remarks>Shapes: any [B, ...] in, same shape out.</remarks>
internal sealed class DropPath : nn.Module<Tensor, Tensor>
{
    private readonly double p;

    public DropPath(double p)
        : base(nameof(DropPath))
    {
        if (p is < 0 or >= 1 || double.IsNaN(p))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Drop-path probability must be in [0, 1).");
        }

        this.p = p;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!training || p == 0)
        {
            return x.alias();
        }

        using var scope = NewDisposeScope();
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = x.shape[0];
        var keep = torch.empty(shape, dtype: x.dtype, device: x.device).bernoulli_(1 - p).div_(1 - p);
        return (x * keep).MoveToOuterDisposeScope();
    }
}
