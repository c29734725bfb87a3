// ResNet-18 / ResNet-50 (He et al. 2016, "Deep Residual Learning for Image Recognition", Table 1),
// laid out like torchvision.models.resnet so that its state dicts load 1:1.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// ResNet backbone: stem (conv1, bn1, ReLU, 3x3/2 max-pool), four stages layer1..layer4 of
/// BasicBlocks (ResNet-18: 2-2-2-2) or Bottlenecks (ResNet-50: 3-4-6-3), global average pool,
/// optional <c>fc</c> head.
/// </summary>
/// <remarks>
/// <para>State-dict keys are torchvision's: <c>conv1.weight</c>, <c>bn1.{weight,bias,running_mean,running_var,num_batches_tracked}</c>,
/// <c>layer1.0.conv1.weight</c>, ..., <c>layer2.0.downsample.0.weight</c>, <c>layer2.0.downsample.1.*</c>, <c>fc.{weight,bias}</c>.
/// Initialisation follows torchvision (Kaiming-normal fan-out for convs, BN weight 1 / bias 0).</para>
/// <para>The small-input stem (<see cref="BackboneOptions.SmallInputStem"/>) replaces conv1 by a 3x3
/// stride-1 convolution (same key, shape [64, C, 3, 3]) and drops the max-pool, the usual CIFAR
/// variant: the map is then input/8 instead of input/32.</para>
/// <para>Shapes: images [B, C, H, W] (H, W &gt;= 32, or &gt;= 8 with the small stem);
/// pooled [B, D]; map [B, D, ceil-ish H/32, W/32]; D = 512 (ResNet-18) or 2048 (ResNet-50).</para>
/// </remarks>
public sealed class ResNet : Backbone
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d? maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear? fc;
    private readonly bool smallInputStem;

    private ResNet(string name, bool bottleneck, int[] blocks, BackboneOptions options)
        : base(name, 512L * (bottleneck ? ResNetBottleneck.Expansion : ResNetBasicBlock.Expansion), options.InChannels, options.NumClasses)
    {
        smallInputStem = options.SmallInputStem;
        conv1 = smallInputStem
            ? nn.Conv2d(options.InChannels, 64, 3, stride: 1, padding: 1, bias: false)
            : nn.Conv2d(options.InChannels, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(64);
        if (!smallInputStem)
        {
            maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        }

        long inPlanes = 64;
        layer1 = MakeStage(bottleneck, ref inPlanes, 64, blocks[0], 1);
        layer2 = MakeStage(bottleneck, ref inPlanes, 128, blocks[1], 2);
        layer3 = MakeStage(bottleneck, ref inPlanes, 256, blocks[2], 2);
        layer4 = MakeStage(bottleneck, ref inPlanes, 512, blocks[3], 2);
        if (options.NumClasses > 0)
        {
            fc = nn.Linear(FeatureDim, options.NumClasses);
        }

        RegisterComponents();
        ResetParameters();
    }

    /// <inheritdoc/>
    public override int FeatureStride => smallInputStem ? 8 : 32;

    /// <inheritdoc/>
    public override string? HeadPrefix => "fc";

    /// <summary>Gets a value indicating whether the CIFAR-style stem is used.</summary>
    public bool SmallInputStem => smallInputStem;

    /// <summary>Builds ResNet-18 (BasicBlock, 2-2-2-2, D = 512; 11,689,512 parameters with a 1000-class fc).</summary>
    /// <param name="options">Options (validated); null for defaults. Weights are not loaded here: use <see cref="BackboneRegistry.Create"/> for <see cref="BackboneOptions.PretrainedPath"/>.</param>
    /// <returns>The backbone.</returns>
    public static ResNet ResNet18(BackboneOptions? options = null) => Build("resnet18", false, [2, 2, 2, 2], options);

    /// <summary>Builds ResNet-50 (Bottleneck v1.5, 3-4-6-3, D = 2048; 25,557,032 parameters with a 1000-class fc).</summary>
    /// <param name="options">Options (validated); null for defaults.</param>
    /// <returns>The backbone.</returns>
    public static ResNet ResNet50(BackboneOptions? options = null) => Build("resnet50", true, [3, 4, 6, 3], options);

    /// <summary>Re-initialises the weights as torchvision does.</summary>
    public void ResetParameters()
    {
        using var noGrad = torch.no_grad();
        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight);
                    nn.init.zeros_(bn.bias);
                    break;
            }
        }

        if (fc is not null)
        {
            // PyTorch's Linear default: Kaiming-uniform(a = sqrt 5) weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) bias.
            nn.init.kaiming_uniform_(fc.weight, a: Math.Sqrt(5));
            var bound = 1.0 / Math.Sqrt(FeatureDim);
            nn.init.uniform_(fc.bias!, -bound, bound);
        }
    }

    /// <inheritdoc/>
    public override BackboneFeatures forward(Tensor images)
    {
        ValidateImages(images, smallInputStem ? 8 : 32);
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.call(conv1.call(images)));
        if (maxpool is not null)
        {
            x = maxpool.call(x);
        }

        x = layer1.call(x);
        x = layer2.call(x);
        x = layer3.call(x);
        return BackboneFeatures.FromMap(layer4.call(x)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor ForwardHead(Tensor pooled)
    {
        ValidateHeadInput(pooled);
        return fc!.call(pooled);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            bn1.Dispose();
            maxpool?.Dispose();
            layer1.Dispose();
            layer2.Dispose();
            layer3.Dispose();
            layer4.Dispose();
            fc?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static ResNet Build(string name, bool bottleneck, int[] blocks, BackboneOptions? options)
    {
        options ??= new BackboneOptions();
        options.Validate();
        if (options.Seed is { } seed)
        {
            torch.manual_seed(seed);
        }

        return new ResNet(name, bottleneck, blocks, options);
    }

    private static Sequential MakeStage(bool bottleneck, ref long inPlanes, long planes, int count, long stride)
    {
        var stage = nn.Sequential();
        for (var i = 0; i < count; i++)
        {
            var s = i == 0 ? stride : 1;
            if (bottleneck)
            {
                stage.append(new ResNetBottleneck(inPlanes, planes, s));
                inPlanes = planes * ResNetBottleneck.Expansion;
            }
            else
            {
                stage.append(new ResNetBasicBlock(inPlanes, planes, s));
                inPlanes = planes * ResNetBasicBlock.Expansion;
            }
        }

        return stage;
    }
}
