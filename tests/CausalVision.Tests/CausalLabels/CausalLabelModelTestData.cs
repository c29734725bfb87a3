using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.Synthetic;
using TorchSharp.Modules;
using TorchSharp.Utils;

namespace CausalVision.Tests.CausalLabels;

/// <summary>A 4x4-stride conv backbone with batch norm (fast; has running statistics to check eval mode).</summary>
internal sealed class TinyBackbone : Backbone
{
    [ComponentName(Name = "conv")]
    private readonly Conv2d conv;

    [ComponentName(Name = "bn")]
    private readonly BatchNorm2d bn;

    public TinyBackbone(int dim = 8)
        : base("tiny", dim, 3, 0)
    {
        conv = nn.Conv2d(3, dim, 4, stride: 4);
        bn = nn.BatchNorm2d(dim);
        RegisterComponents();
    }

    public override int FeatureStride => 4;

    public override Tensor ForwardHead(Tensor pooled) => throw new InvalidOperationException("no head");

    public override BackboneFeatures forward(Tensor images)
    {
        ValidateImages(images, 8);
        using var scope = NewDisposeScope();
        var map = nn.functional.relu(bn.call(conv.call(images)));
        var pooled = map.mean([2L, 3L]);
        var tokens = map.flatten(2).transpose(1, 2);
        return new BackboneFeatures(pooled, map, tokens).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv.Dispose();
            bn.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Tiny models and data for the model / trainer tests.</summary>
internal static class CausalLabelModelTestData
{
    public const int Labels = 4;
    public const int K = 3;

    /// <summary>Multi-label synthetic benchmark: 2 shapes x 2 colours = 4 labels, 32x32 images, one biased pair.</summary>
    public static SyntheticBenchmark Bench(int train = 8, int test = 8) => SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
    {
        Name = "tiny-multilabel",
        MultiLabel = true,
        ImageSize = 32,
        ShapeCount = 2,
        ColorCount = 2,
        MaxObjectsPerImage = 3,
        BiasedPairCount = 1,
        TrainSize = train,
        TestIidSize = test,
        TestOodSize = test,
        Seed = 3,
    });

    public static CausalLabelModel Model(CausalLabelVariant variant = CausalLabelVariant.Causal, long seed = 1, int k = K)
    {
        manual_seed(seed); // the backbone instance is created before the builder seeds the head
        return new CausalLabelModelBuilder()
        .WithBackbone(new TinyBackbone())
        .WithLabels(Labels)
        .WithConfounders(k)
        .WithModelDim(8)
        .WithHeads(2)
        .WithDecoderLayers(1)
        .Configure(o => o.FeedForwardDim = 16)
        .WithVariant(variant)
        .WithSeed(seed)
        .Build();
    }

    public static CausalLabelTrainerOptions TrainerOptions(int stage1 = 1, int causal = 1, string? dir = null) => new()
    {
        Stage1Epochs = stage1,
        CausalEpochs = causal,
        BatchSize = 4,
        LearningRate = 1e-2,
        Seed = 5,
        CheckpointDirectory = dir,
    };

    public static Dictionary<string, Tensor> Snapshot(nn.Module module, string prefix) =>
        module.named_parameters().Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.name, p => p.parameter.detach().clone());

    public static bool Changed(nn.Module module, Dictionary<string, Tensor> before)
    {
        var now = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return before.Any(kv => !kv.Value.allclose(now[kv.Key], 0, 0));
    }

    public static void Release(Dictionary<string, Tensor> snapshot)
    {
        foreach (var t in snapshot.Values)
        {
            t.Dispose();
        }
    }
}
