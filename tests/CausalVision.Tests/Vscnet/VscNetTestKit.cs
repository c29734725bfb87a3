using CausalVision.Backbones;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Vscnet;
using TorchSharp.Modules;

namespace CausalVision.Tests.Vscnet;

/// <summary>Tiny VSCNet pieces for fast tests: a one-conv backbone, a configured builder and a hierarchy.</summary>
internal static class VscNetTestKit
{
    public const int Tags = 6;
    public const int Classes = 3;
    public const int Regions = 3;

    public const string TinyBackboneName = "vscnet-test-tiny";

    private static readonly object Gate = new();

    /// <summary>Registers <see cref="TinyBackbone"/> under <see cref="TinyBackboneName"/> (once per process).</summary>
    public static void RegisterTinyBackbone()
    {
        lock (Gate)
        {
            if (!CausalVision.Backbones.BackboneRegistry.Contains(TinyBackboneName))
            {
                CausalVision.Backbones.BackboneRegistry.Register(TinyBackboneName, o => new TinyBackbone((int)(o.Seed ?? 0)));
            }
        }
    }

    public static readonly string[] TagNames = Enumerable.Range(0, Tags).Select(i => $"tag{i}").ToArray();

    public static VscNetBuilder Builder(VscNetAblation ablation = VscNetAblation.Full, int seed = 0) => new VscNetBuilder()
        .WithBackbone(new TinyBackbone(seed))
        .WithRegions(Regions)
        .WithTagVocabulary(TagNames)
        .WithClasses(Classes)
        .WithAblation(ablation)
        .WithSeed(seed)
        .Configure(o =>
        {
            o.Fva.ZeroInitThetaWeight = false; // every theta parameter gets a gradient on the first step
            o.NodeFeatures = 8;
            o.GraphEncoder.HiddenFeatures = 8;
            o.Cim.HiddenFeatures = 8;
            o.Graph.TopTags = 4;
            o.Graph.RegionTopTags = 2;
            o.Fusion.FusedFeatures = 8;
            o.CandidateTags = 3;
            o.Training.Seed = seed;
        });

    public static Tensor Images(int batch = 4, int seed = 1)
    {
        using var g = new Generator((ulong)seed);
        return rand(new long[] { batch, 3, 16, 16 }, generator: g);
    }

    /// <summary>Step targets [batch, J]: image i has tags {i % M, (i + 2) % M}.</summary>
    public static Tensor StepTargets(int batch = 4)
    {
        var ids = Enumerable.Range(0, batch).Select(i => (IReadOnlyList<int>)new[] { i % Tags, (i + 2) % Tags }).ToArray();
        return CausalVision.Vscnet.Fva.FvaLoss.SelectStepTargets(ids, Regions, Tags);
    }

    public static Tensor Labels(int batch = 4) => tensor(Enumerable.Range(0, batch).Select(i => (long)(i % Classes)).ToArray());

    /// <summary>A hierarchy clustered from the model's own hidden states on random images, every cluster kept.</summary>
    public static ExemplarHierarchy Hierarchy(VscNet model, int images = 8)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var wasTraining = model.training;
        model.eval();
        using var x = Images(images, seed: 7);
        using var output = model.call(x);
        model.train(wasTraining);
        var hidden = output.Fva!.HiddenStates.reshape(-1, output.Fva.HiddenStates.shape[2]);
        var n = (int)hidden.shape[0];
        var tags = Enumerable.Range(0, n).Select(i => (long)(i % Tags)).ToArray();
        var classes = Enumerable.Range(0, n).Select(i => (long)((i / Regions) % Classes)).ToArray();
        var options = new HierarchyOptions { MinMembers = 1, PurityThreshold = 0 };
        return ExemplarHierarchy.Build(hidden, tags, classes, Tags, Classes, options);
    }

    /// <summary>A one-convolution backbone: 16 x 16 images -> 4 x 4 maps of 8 channels.</summary>
    public sealed class TinyBackbone : Backbone
    {
        private readonly Conv2d conv;

        public TinyBackbone(int seed = 0)
            : base(TinyBackboneName, 8, 3, 0)
        {
            manual_seed(seed);
            conv = nn.Conv2d(3, 8, 4, stride: 4);
            RegisterComponents();
        }

        public override int FeatureStride => 4;

        public override Tensor ForwardHead(Tensor pooled) => pooled.alias();

        public override BackboneFeatures forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var map = nn.functional.relu(conv.call(input));
            var pooled = map.mean(new long[] { 2, 3 });
            var tokens = map.flatten(2).transpose(1, 2);
            return new BackboneFeatures(pooled, map, tokens).MoveToOuterDisposeScope();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                conv.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
