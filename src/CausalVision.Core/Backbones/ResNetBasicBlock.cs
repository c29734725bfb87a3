// ResNet BasicBlock (He et al. 2016, "Deep Residual Learning", Fig. 2); torchvision's key names.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// Two 3x3 convolutions with a residual: y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)),
/// shortcut = <c>downsample</c> (1x1 conv + BN) when the stride or width changes, else identity.
/// Keys: conv1, bn1, conv2, bn2, downsample.0, downsample.1 (torchvision).
/// </summary>
/// <remarks>Shapes: input [B, inPlanes, H, W]; output [B, planes, H/stride, W/stride].</remarks>
internal sealed class ResNetBasicBlock : nn.Module<Tensor, Tensor>
{
    /// <summary>The output width multiplier of this block type.</summary>
    public const int Expansion = 1;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    public ResNetBasicBlock(long inPlanes, long planes, long stride)
        : base(nameof(ResNetBasicBlock))
    {
        conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        if (stride != 1 || inPlanes != planes * Expansion)
        {
            downsample = nn.Sequential(nn.Conv2d(inPlanes, planes * Expansion, 1, stride: stride, bias: false), nn.BatchNorm2d(planes * Expansion));
        }

        RegisterComponents();
    }

    /// <summary>Gets the last batch norm (zeroed by zero-init-residual).</summary>
    public BatchNorm2d LastNorm => bn2;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.relu(bn1.call(conv1.call(x)));
        y = bn2.call(conv2.call(y));
        var identity = downsample is null ? x : downsample.call(x);
        return nn.functional.relu(ScalarSafe.Add_(y, identity)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            bn1.Dispose();
            conv2.Dispose();
            bn2.Dispose();
            downsample?.Dispose();
        }

        base.Dispose(disposing);
    }
}
