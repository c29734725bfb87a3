using CausalVision.Backbones;
using CausalVision.Weights;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Tests.Backbones;

public sealed class VisionTransformerTests
{
    [Theory]
    [InlineData("vit_tiny_patch16", 192, 5_717_416)]
    [InlineData("vit_small_patch16", 384, 22_050_664)]
    [InlineData("vit_base_patch16", 768, 86_567_656)]
    public void StateDict_At224With1000Classes_MatchesTimmKeysAndCount(string name, long dim, long parameters)
    {
        using var m = CausalVision.Backbones.BackboneRegistry.Create(name, new BackboneOptions { NumClasses = 1000 });
        Assert.Equal(parameters, ModuleContract.ParameterCount(m));
        Assert.Equal(152, m.state_dict().Count); // 4 + 12 blocks x 12 + norm 2 + head 2.
        ModuleContract.AssertKeys(m, new Dictionary<string, long[]?>
        {
            ["cls_token"] = [1, 1, dim],
            ["pos_embed"] = [1, 197, dim],
            ["patch_embed.proj.weight"] = [dim, 3, 16, 16],
            ["patch_embed.proj.bias"] = [dim],
            ["blocks.0.norm1.weight"] = [dim],
            ["blocks.0.norm1.bias"] = [dim],
            ["blocks.0.attn.qkv.weight"] = [3 * dim, dim],
            ["blocks.0.attn.qkv.bias"] = [3 * dim],
            ["blocks.5.attn.proj.weight"] = [dim, dim],
            ["blocks.5.attn.proj.bias"] = [dim],
            ["blocks.11.norm2.weight"] = [dim],
            ["blocks.11.mlp.fc1.weight"] = [4 * dim, dim],
            ["blocks.11.mlp.fc1.bias"] = [4 * dim],
            ["blocks.11.mlp.fc2.weight"] = [dim, 4 * dim],
            ["norm.weight"] = [dim],
            ["norm.bias"] = [dim],
            ["head.weight"] = [1000, dim],
            ["head.bias"] = [1000],
        });
        Assert.Equal(dim, m.FeatureDim);
        Assert.Equal(16, m.FeatureStride);
    }

    [Fact]
    public void Forward_RandomizedWeights_MatchesExplicitAttentionReference()
    {
        using var m = VisionTransformer.VitTiny(new BackboneOptions { ImageSize = 48, NumClasses = 4, Seed = 5 });
        RandomizeNorms(m);
        m.eval();
        manual_seed(6);
        using var x = randn(2, 3, 48, 48);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var sd = m.state_dict();
        var reference = Reference(sd, x, heads: 3);
        var f = m.call(x);
        TensorAssert.Close(reference.select(1, 0), f.Pooled, atol: 1e-4, rtol: 1e-4);
        var tokens = reference.narrow(1, 1, 9);
        TensorAssert.Close(tokens, f.Tokens, atol: 1e-4, rtol: 1e-4);

        // map[b, :, i, j] is the token of grid cell (i, j), row-major.
        TensorAssert.Shape(f.Map, 2, 192, 3, 3);
        TensorAssert.Close(tokens[.., 5, ..], f.Map[.., .., 1, 2], atol: 1e-4, rtol: 1e-4);
        TensorAssert.Close(F.linear(reference.select(1, 0), sd["head.weight"], sd["head.bias"]), m.ForwardHead(f.Pooled), atol: 1e-4, rtol: 1e-4);
    }

    [Fact]
    public void ResamplePositionEmbedding_SameGrid_ReturnsSameValues()
    {
        manual_seed(1);
        using var pos = randn(1, 1 + 16, 8);
        using var same = VisionTransformer.ResamplePositionEmbedding(pos, 4, 4);
        TensorAssert.Close(pos, same, atol: 0, rtol: 0);
    }

    [Fact]
    public void ResamplePositionEmbedding_ConstantGrid_StaysConstantAndKeepsClassEntry()
    {
        using var scope = NewDisposeScope();
        var cls = full(1, 1, 3, -7f);
        var grid = full(1, 16, 3, 0.5f);
        var pos = cat([cls, grid], 1);
        var up = VisionTransformer.ResamplePositionEmbedding(pos, 6, 2);
        TensorAssert.Shape(up, 1, 13, 3);
        TensorAssert.Close(cls, up.narrow(1, 0, 1), atol: 0, rtol: 0);
        TensorAssert.Close(full(1, 12, 3, 0.5f), up.narrow(1, 1, 12), atol: 1e-6, rtol: 0);
        var down = VisionTransformer.ResamplePositionEmbedding(pos, 2, 2);
        TensorAssert.Close(full(1, 4, 3, 0.5f), down.narrow(1, 1, 4), atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void ResamplePositionEmbedding_NonSquareSource_Throws()
    {
        using var pos = zeros(1, 1 + 15, 8);
        Assert.Throws<ArgumentException>(() => VisionTransformer.ResamplePositionEmbedding(pos, 2, 2));
    }

    [Fact]
    public void Forward_OtherGrid_InterpolatesLikeAnAdaptedStateDict()
    {
        // A model trained at 64 px run on 32 px must equal a 32 px model whose weights were adapted from it.
        using var big = VisionTransformer.VitTiny(new BackboneOptions { ImageSize = 64, Seed = 7 });
        using var small = VisionTransformer.VitTiny(new BackboneOptions { ImageSize = 32, Seed = 8 });
        using var scope = NewDisposeScope();
        var source = big.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        small.AdaptStateDict(source);
        TensorAssert.Shape(source["pos_embed"], 1, 5, 192);
        Assert.True(StateDictLoader.Load(small, source).IsExact);
        big.eval();
        small.eval();
        using var _ = no_grad();
        var x = rand(2, 3, 32, 32);
        TensorAssert.Close(big.call(x).Pooled, small.call(x).Pooled, atol: 1e-5, rtol: 1e-5);
        var wide = rand(1, 3, 32, 80);
        TensorAssert.Shape(big.call(wide).Map, 1, 192, 2, 5);
    }

    [Fact]
    public void Backward_OtherGrid_ReachesPositionEmbeddingThroughInterpolation()
    {
        using var m = VisionTransformer.VitTiny(new BackboneOptions { ImageSize = 64, Seed = 9 });
        using var x = rand(2, 3, 32, 32);
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            m.zero_grad();
            m.call(x).Map.pow(2).mean().backward();
        });
        ModuleContract.AssertGradientsReachAllParameters(m);
    }

    [Fact]
    public void Forward_BadInput_ThrowsArgumentException()
    {
        using var m = VisionTransformer.VitTiny(new BackboneOptions { ImageSize = 32 });
        using var odd = zeros(1, 3, 40, 32);
        using var inf = full(1, 3, 32, 32, float.PositiveInfinity);
        Assert.Contains("multiples of 16", Assert.Throws<ArgumentException>(() => m.call(odd)).Message, StringComparison.Ordinal);
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() => m.call(inf)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => VisionTransformer.VitTiny(new BackboneOptions { ImageSize = 40 }));
    }

    [Fact]
    public void Forward_DropPathInTraining_IsStochasticAndEvalIsDeterministic()
    {
        using var m = VisionTransformer.VitTiny(new BackboneOptions { ImageSize = 32, DropPathRate = 0.5, DropRate = 0.1, Seed = 3 });
        using var scope = NewDisposeScope();
        var x = rand(2, 3, 32, 32);
        m.train();
        manual_seed(1);
        var a = m.call(x).Pooled;
        manual_seed(2);
        var b = m.call(x).Pooled;
        Assert.False(a.allclose(b));
        m.eval();
        TensorAssert.Close(m.call(x).Pooled, m.call(x).Pooled, atol: 0, rtol: 0);
    }

    private static void RandomizeNorms(nn.Module m)
    {
        using var scope = NewDisposeScope();
        var source = new Dictionary<string, Tensor>();
        foreach (var (key, value) in m.state_dict())
        {
            if (key.Contains("norm", StringComparison.Ordinal) && key.EndsWith("weight", StringComparison.Ordinal))
            {
                source[key] = rand(value.shape) + 0.5;
            }
            else if (key.EndsWith("bias", StringComparison.Ordinal) || key == "cls_token")
            {
                source[key] = randn(value.shape) * 0.1;
            }
        }

        Assert.Empty(StateDictLoader.Load(m, source, new StateDictLoadOptions { Strict = false }).Unexpected);
    }

    // An independent ViT forward driven by timm's key names, with attention written out.
    private static Tensor Reference(Dictionary<string, Tensor> sd, Tensor x, int heads)
    {
        var d = sd["cls_token"].shape[2];
        var b = x.shape[0];
        Tensor Ln(Tensor t, string p) => F.layer_norm(t, [d], sd[p + ".weight"], sd[p + ".bias"], 1e-6);
        Tensor Lin(Tensor t, string p) => F.linear(t, sd[p + ".weight"], sd[p + ".bias"]);

        var h = F.conv2d(x, sd["patch_embed.proj.weight"], sd["patch_embed.proj.bias"], [16, 16]).flatten(2).transpose(1, 2);
        h = cat([sd["cls_token"].expand(b, 1, d), h], 1) + sd["pos_embed"];
        var n = h.shape[1];
        var hd = d / heads;
        for (var i = 0; i < 12; i++)
        {
            var p = $"blocks.{i}.";
            var qkv = Lin(Ln(h, p + "norm1"), p + "attn.qkv");
            Tensor Heads(int part) => qkv.narrow(2, part * d, d).reshape(b, n, heads, hd).transpose(1, 2);
            var att = F.softmax(Heads(0).matmul(Heads(1).transpose(2, 3)) / Math.Sqrt(hd), -1);
            var o = att.matmul(Heads(2)).transpose(1, 2).reshape(b, n, d);
            h = h + Lin(o, p + "attn.proj");
            h = h + Lin(F.gelu(Lin(Ln(h, p + "norm2"), p + "mlp.fc1")), p + "mlp.fc2");
        }

        return Ln(h, "norm");
    }
}
