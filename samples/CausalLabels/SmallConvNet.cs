// A CPU-sized backbone for the sample: three conv-BN-ReLU blocks with stride 2 each (stride 8),
// so a 32x32 image gives a 4x4 grid of 128-d spatial features (16 tokens per image).
using CausalVision.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Samples.CausalLabels;

/// <summary>Three strided conv blocks (32, 64, 128 channels); features [B, 128, H/8, W/8].</summary>
public sealed class SmallConvNet : Backbone
{
    private readonly Sequential body;

    public SmallConvNet()
        : base("small_convnet", 128, 3, 0)
    {
        body = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride: 1, padding: 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride: 2, padding: 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride: 2, padding: 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 128, 3, stride: 2, padding: 1), nn.BatchNorm2d(128), nn.ReLU());
        RegisterComponents();
    }

    public override int FeatureStride => 8;

    public override Tensor ForwardHead(Tensor pooled) => throw new InvalidOperationException("SmallConvNet has no classifier head.");

    public override BackboneFeatures forward(Tensor images)
    {
        ValidateImages(images, 8);
        using var scope = NewDisposeScope();
        var map = body.call(images);
        var pooled = map.mean([2L, 3L]);
        var tokens = map.flatten(2).transpose(1, 2);
        return new BackboneFeatures(pooled, map, tokens).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
        }

        base.Dispose(disposing);
    }
}
