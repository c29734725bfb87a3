// ResNet Bottleneck, v1.5 (stride on the 3x3 conv, as torchvision); He et al. 2016, Fig. 5.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// 1x1 reduce, 3x3 (carrying the stride), 1x1 expand (x4), with a residual:
/// y = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)).
/// Keys: conv1, bn1, conv2, bn2, conv3, bn3, downsample.0, downsample.1 (torchvision).
/// </summary>
/// <remarks>Shapes: input [B, inPlanes, H, W]; output [B, 4*planes, H/stride, W/stride].</remarks>
internal sealed class ResNetBottleneck : nn.Module<Tensor, Tensor>
{
    /// <summary>The output width multiplier of this block type.</summary>
    public const int Expansion = 4;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;

    public ResNetBottleneck(long inPlanes, long planes, long stride)
        : base(nameof(ResNetBottleneck))
    {
        conv1 = nn.Conv2d(inPlanes, planes, 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        conv3 = nn.Conv2d(planes, planes * Expansion, 1, bias: false);
        bn3 = nn.BatchNorm2d(planes * Expansion);
        if (stride != 1 || inPlanes != planes * Expansion)
        {
            downsample = nn.Sequential(nn.Conv2d(inPlanes, planes * Expansion, 1, stride: stride, bias: false), nn.BatchNorm2d(planes * Expansion));
        }

        RegisterComponents();
    }

    /// <summary>Gets the last batch norm (zeroed by zero-init-residual).</summary>
    public BatchNorm2d LastNorm => bn3;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.relu(bn1.call(conv1.call(x)));
        y = nn.functional.relu(bn2.call(conv2.call(y)));
        y = bn3.call(conv3.call(y));
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
            conv3.Dispose();
            bn3.Dispose();
            downsample?.Dispose();
        }

        base.Dispose(disposing);
    }
}
