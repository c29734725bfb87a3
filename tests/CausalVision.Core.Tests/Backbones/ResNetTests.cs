using CausalVision.Backbones;
using CausalVision.Weights;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Tests.Backbones;

public sealed class ResNetTests
{
    [Fact]
    public void StateDict_ResNet18With1000Classes_MatchesTorchvisionKeysAndCount()
    {
        using var m = ResNet.ResNet18(new BackboneOptions { NumClasses = 1000 });
        Assert.Equal(11_689_512, ModuleContract.ParameterCount(m));
        Assert.Equal(122, m.state_dict().Count); // 62 parameters + 20 BNs x 3 buffers.
        ModuleContract.AssertKeys(m, new Dictionary<string, long[]?>
        {
            ["conv1.weight"] = [64, 3, 7, 7],
            ["bn1.weight"] = [64],
            ["bn1.bias"] = [64],
            ["bn1.running_mean"] = [64],
            ["bn1.running_var"] = [64],
            ["bn1.num_batches_tracked"] = [],
            ["layer1.0.conv1.weight"] = [64, 64, 3, 3],
            ["layer1.0.bn1.weight"] = [64],
            ["layer1.1.conv2.weight"] = [64, 64, 3, 3],
            ["layer2.0.conv1.weight"] = [128, 64, 3, 3],
            ["layer2.0.downsample.0.weight"] = [128, 64, 1, 1],
            ["layer2.0.downsample.1.running_var"] = [128],
            ["layer3.1.bn2.bias"] = [256],
            ["layer4.0.downsample.0.weight"] = [512, 256, 1, 1],
            ["layer4.1.conv2.weight"] = [512, 512, 3, 3],
            ["fc.weight"] = [1000, 512],
            ["fc.bias"] = [1000],
        });
        Assert.DoesNotContain("layer1.0.downsample.0.weight", m.state_dict().Keys);
        Assert.Equal(512, m.FeatureDim);
        Assert.Equal(32, m.FeatureStride);
    }

    [Fact]
    public void StateDict_ResNet50With1000Classes_MatchesTorchvisionKeysAndCount()
    {
        using var m = ResNet.ResNet50(new BackboneOptions { NumClasses = 1000 });
        Assert.Equal(25_557_032, ModuleContract.ParameterCount(m));
        Assert.Equal(320, m.state_dict().Count); // 161 parameters + 53 BNs x 3 buffers.
        ModuleContract.AssertKeys(m, new Dictionary<string, long[]?>
        {
            ["conv1.weight"] = [64, 3, 7, 7],
            ["layer1.0.conv1.weight"] = [64, 64, 1, 1],
            ["layer1.0.conv3.weight"] = [256, 64, 1, 1],
            ["layer1.0.bn3.weight"] = [256],
            ["layer1.0.downsample.0.weight"] = [256, 64, 1, 1],
            ["layer1.0.downsample.1.num_batches_tracked"] = [],
            ["layer2.0.conv2.weight"] = [128, 128, 3, 3],
            ["layer2.3.conv1.weight"] = [128, 512, 1, 1],
            ["layer3.5.bn3.weight"] = [1024],
            ["layer4.2.conv3.weight"] = [2048, 512, 1, 1],
            ["fc.weight"] = [1000, 2048],
        });
        Assert.Equal(2048, m.FeatureDim);
    }

    [Fact]
    public void Ctor_NoClasses_HasNoFcAndHeadThrows()
    {
        using var m = ResNet.ResNet18();
        Assert.DoesNotContain(m.state_dict().Keys, k => k.StartsWith("fc.", StringComparison.Ordinal));
        Assert.Equal(11_689_512 - 513_000, ModuleContract.ParameterCount(m));
        using var pooled = zeros(1, 512);
        Assert.Throws<InvalidOperationException>(() => m.ForwardHead(pooled));
    }

    [Fact]
    public void Forward_SmallInputStem_UsesThreeByThreeStemAndStrideEight()
    {
        using var m = ResNet.ResNet18(new BackboneOptions { SmallInputStem = true });
        ModuleContract.AssertKeys(m, new Dictionary<string, long[]?> { ["conv1.weight"] = [64, 3, 3, 3] });
        Assert.Equal(8, m.FeatureStride);
        m.eval();
        using var x = rand(2, 3, 64, 64);
        using var _ = no_grad();
        using var f = m.call(x);
        TensorAssert.Shape(f.Map, 2, 512, 8, 8);
        using var d = ResNet.ResNet18();
        d.eval();
        using var g = d.call(x);
        TensorAssert.Shape(g.Map, 2, 512, 2, 2);
    }

    [Theory]
    [InlineData(false, true, 32)]
    [InlineData(true, false, 32)]
    public void Forward_RandomizedWeights_MatchesFunctionalReferenceFromStateDict(bool bottleneck, bool smallStem, int size)
    {
        using var m = bottleneck
            ? ResNet.ResNet50(new BackboneOptions { SmallInputStem = smallStem, NumClasses = 5, Seed = 1 })
            : ResNet.ResNet18(new BackboneOptions { SmallInputStem = smallStem, NumClasses = 5, Seed = 1 });
        RandomizeNorms(m);
        m.eval();
        manual_seed(2);
        using var x = randn(2, 3, size, size);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var sd = m.state_dict();
        var (refMap, refPooled) = Reference(sd, x, bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2], bottleneck, smallStem);
        var f = m.call(x);
        TensorAssert.Close(refMap, f.Map, atol: 1e-4, rtol: 1e-4);
        TensorAssert.Close(refPooled, f.Pooled, atol: 1e-5, rtol: 1e-4);
        var logits = m.ForwardHead(f.Pooled);
        TensorAssert.Close(F.linear(refPooled, sd["fc.weight"], sd["fc.bias"]), logits, atol: 1e-5, rtol: 1e-4);
    }

    [Fact]
    public void Forward_BadInput_ThrowsArgumentException()
    {
        using var m = ResNet.ResNet18();
        using var rank3 = zeros(3, 32, 32);
        using var gray = zeros(1, 1, 32, 32);
        using var tiny = zeros(1, 3, 16, 16);
        using var nan = full(1, 3, 32, 32, float.NaN);
        using var empty = zeros(0, 3, 32, 32);
        Assert.Contains("[B, C, H, W]", Assert.Throws<ArgumentException>(() => m.call(rank3)).Message, StringComparison.Ordinal);
        Assert.Contains("3 input channel", Assert.Throws<ArgumentException>(() => m.call(gray)).Message, StringComparison.Ordinal);
        Assert.Contains("at least 32x32", Assert.Throws<ArgumentException>(() => m.call(tiny)).Message, StringComparison.Ordinal);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => m.call(nan)).Message, StringComparison.Ordinal);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => m.call(empty)).Message, StringComparison.Ordinal);
    }

    internal static void RandomizeNorms(nn.Module m)
    {
        using var scope = NewDisposeScope();
        var source = new Dictionary<string, Tensor>();
        foreach (var (key, value) in m.state_dict())
        {
            if (key.EndsWith("running_var", StringComparison.Ordinal))
            {
                source[key] = rand(value.shape) + 0.5;
            }
            else if (key.EndsWith("running_mean", StringComparison.Ordinal) || (key.Contains("bn", StringComparison.Ordinal) && key.EndsWith("bias", StringComparison.Ordinal)) || key.EndsWith("downsample.1.bias", StringComparison.Ordinal))
            {
                source[key] = randn(value.shape) * 0.1;
            }
            else if ((key.Contains("bn", StringComparison.Ordinal) || key.Contains("downsample.1", StringComparison.Ordinal)) && key.EndsWith("weight", StringComparison.Ordinal))
            {
                source[key] = rand(value.shape) + 0.5;
            }
        }

        var report = StateDictLoader.Load(m, source, new StateDictLoadOptions { Strict = false });
        Assert.Empty(report.Unexpected);
        Assert.Empty(report.Mismatched);
    }

    // An independent functional ResNet driven only by torchvision's key names.
    private static (Tensor Map, Tensor Pooled) Reference(Dictionary<string, Tensor> sd, Tensor x, int[] blocks, bool bottleneck, bool smallStem)
    {
        Tensor Conv(Tensor t, string p, long stride, long pad) => F.conv2d(t, sd[p + ".weight"], null, [stride, stride], [pad, pad]);
        Tensor Bn(Tensor t, string p) => F.batch_norm(t, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"], sd[p + ".bias"], false, 0.1, 1e-5);

        var h = F.relu(Bn(smallStem ? Conv(x, "conv1", 1, 1) : Conv(x, "conv1", 2, 3), "bn1"));
        if (!smallStem)
        {
            h = F.max_pool2d(h, [3, 3], [2, 2], [1, 1]);
        }

        for (var s = 0; s < 4; s++)
        {
            for (var b = 0; b < blocks[s]; b++)
            {
                var p = $"layer{s + 1}.{b}.";
                long stride = b == 0 && s > 0 ? 2 : 1;
                Tensor y;
                if (bottleneck)
                {
                    y = F.relu(Bn(Conv(h, p + "conv1", 1, 0), p + "bn1"));
                    y = F.relu(Bn(Conv(y, p + "conv2", stride, 1), p + "bn2"));
                    y = Bn(Conv(y, p + "conv3", 1, 0), p + "bn3");
                }
                else
                {
                    y = F.relu(Bn(Conv(h, p + "conv1", stride, 1), p + "bn1"));
                    y = Bn(Conv(y, p + "conv2", 1, 1), p + "bn2");
                }

                var shortcut = sd.ContainsKey(p + "downsample.0.weight") ? Bn(Conv(h, p + "downsample.0", stride, 0), p + "downsample.1") : h;
                h = F.relu(y + shortcut);
            }
        }

        return (h, h.mean([2, 3]));
    }
}
