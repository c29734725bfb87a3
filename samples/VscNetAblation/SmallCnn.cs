// The small CNN backbone of the VSCNet samples (samples/VscNetAblation and samples/VscNetCausalPath compile
// this one file), so their CPU-sized runs share one definition.
using CausalVision.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;

/// <summary>A small 3-block CNN backbone (32 px -> 8 x 8 map of 64 channels) so the VSCNet samples fit on a CPU.</summary>
internal sealed class SmallCnn : Backbone
{
    private readonly Sequential body;

    public SmallCnn(int inChannels)
        : base("smallcnn", 64, inChannels, 0)
    {
        body = nn.Sequential(
            nn.Conv2d(inChannels, 32, 3, padding: 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride: 2, padding: 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride: 2, padding: 1), nn.BatchNorm2d(64), nn.ReLU());
        RegisterComponents();
    }

    public override int FeatureStride => 4;

    public override Tensor ForwardHead(Tensor pooled) => pooled.alias();

    public override BackboneFeatures forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return BackboneFeatures.FromMap(body.call(input)).MoveToOuterDisposeScope();
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
