// ViT patch embedding (Dosovitskiy et al. 2021, Eq. 1: x_p E), timm's PatchEmbed key layout.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>A P x P stride-P convolution turning images into a grid of patch embeddings. Key: <c>proj</c>.</summary>
/// <remarks>Shapes: images [B, C, H, W] (H, W multiples of P) -> [B, D, H/P, W/P].</remarks>
internal sealed class VitPatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    public VitPatchEmbed(int inChannels, long dim, int patchSize)
        : base(nameof(VitPatchEmbed))
    {
        proj = nn.Conv2d(inChannels, dim, patchSize, stride: patchSize, bias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor images) => proj.call(images);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            proj.Dispose();
        }

        base.Dispose(disposing);
    }
}
