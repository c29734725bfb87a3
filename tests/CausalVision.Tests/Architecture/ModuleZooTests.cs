using System.Reflection;
using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.Graph.Cim;
using CausalVision.Graph.Conv;
using CausalVision.Graph.Hetero;
using CausalVision.Graph.Masks;
using CausalVision.Graph.Readout;
using CausalVision.Onnx;
using CausalVision.Tests.Vscnet;
using CausalVision.Vscnet;
using CausalVision.Vscnet.Fusion;
using CausalVision.Vscnet.Fva;
using TorchSharp.Modules;

namespace CausalVision.Tests.Architecture;

/// <summary>
/// The module zoo (timm style): every public <c>nn.Module</c> type of the library assemblies has an entry with a small
/// configuration and an example input, and every entry passes the same contract: construction, a finite forward of the
/// documented shape, no leaked tensors, a state-dict round trip through safetensors that reproduces the outputs, and a
/// float64 move. A new public module fails <see cref="Zoo_CoversEveryPublicModuleType"/> until it is added here.
/// </summary>
public sealed class ModuleZooTests
{
    /// <summary>An entry: builds the module (under a fixed seed) and runs it on an example input, returning one output tensor.</summary>
    private sealed record Entry(Func<nn.Module> Create, Func<nn.Module, ScalarType, Tensor> Forward, long[] Shape);

    // Modules the zoo does not instantiate, with the reason and where they are covered.
    private static readonly Dictionary<Type, string> Excluded = new()
    {
        [typeof(ImageNetResNet18)] = "needs the ImageNet ONNX file of its NuGet package; ImageNetResNet18Tests cover it",
        [typeof(OnnxModule)] = "built from an ONNX graph only (internal constructor); the ONNX importer tests cover it",
    };

    private static Tensor Rand(ScalarType dtype, params long[] shape) => randn(shape, dtype: dtype);

    private static HeteroGraphBatch Graph(ScalarType dtype)
    {
        // Two graphs of 4 nodes with 6 features; the second has 3 real nodes (padding is all zero).
        var mask = tensor(new[] { true, true, true, true, true, true, true, false }, [2, 4]);
        var real = mask.to(dtype);
        var x = Rand(dtype, 2, 4, 6) * real.unsqueeze(-1);
        var a = rand(new long[] { 2, 4, 4 }, dtype: dtype);
        var adj = (a + a.transpose(1, 2)) / 2 * real.unsqueeze(-1) * real.unsqueeze(1);
        return new HeteroGraphBatch(x, zeros([2, 4], ScalarType.Int64), adj, mask, requireSymmetric: true);
    }

    private static readonly Dictionary<Type, Entry> Zoo = new()
    {
        [typeof(ResNet)] = new(
            () => ResNet.ResNet18(new BackboneOptions { ImageSize = 32, Seed = 0 }),
            (m, t) => ((ResNet)m).call(Rand(t, 2, 3, 32, 32)).Pooled, [2, 512]),
        [typeof(VisionTransformer)] = new(
            () => VisionTransformer.VitTiny(new BackboneOptions { ImageSize = 32, Seed = 0 }),
            (m, t) => ((VisionTransformer)m).call(Rand(t, 2, 3, 32, 32)).Pooled, [2, 192]),
        [typeof(PrecomputedBackbone)] = new(
            () => new PrecomputedBackbone(8),
            (m, t) => ((PrecomputedBackbone)m).call(Rand(t, 2, 8, 3, 3)).Pooled, [2, 8]),
        [typeof(BackboneClassifier)] = new(
            () => new BackboneClassifier(new PrecomputedBackbone(8), 5),
            (m, t) => ((BackboneClassifier)m).call(Rand(t, 2, 8, 3, 3)), [2, 5]),
        [typeof(CascadedSpatialNet)] = new(
            () => new CascadedSpatialNet(8, 5, new FvaOptions { Steps = 3 }),
            (m, t) => ((CascadedSpatialNet)m).call(Rand(t, 2, 8), Rand(t, 2, 8, 4, 4)).TagLogits, [2, 3, 5]),
        [typeof(MultiViewFusion)] = new(
            () => new MultiViewFusion(new FusionOptions { CausalFeatures = 4, VisualFeatures = 3, FusedFeatures = 6, Classes = 2 }),
            (m, t) => ((MultiViewFusion)m).call(Rand(t, 2, 4), Rand(t, 2, 3), null).Probabilities, [2, 2]),
        [typeof(VscNet)] = new(
            () => VscNetTestKit.Builder(VscNetAblation.Full).Build(),
            (m, t) => ((VscNet)m).call(VscNetTestKit.Images(2).to(t)).Probabilities, [2, VscNetTestKit.Classes]),
        [typeof(GcnConv)] = new(
            () => new GcnConv(6, 5),
            (m, t) =>
            {
                var g = Graph(t);
                return ((GcnConv)m).call(g.X, g.Adjacency, g.Mask);
            },
            [2, 4, 5]),
        [typeof(GcnEncoder)] = new(
            () => new GcnEncoder(new GcnEncoderOptions { InFeatures = 6, HiddenFeatures = 5 }),
            (m, t) =>
            {
                var g = Graph(t);
                return ((GcnEncoder)m).call(g.X, g.Adjacency, g.Mask);
            },
            [2, 5]),
        [typeof(GraphReadout)] = new(
            () => new GraphReadout(ReadoutKind.Attention, features: 6, attentionHidden: 4),
            (m, t) => ((GraphReadout)m).call(Rand(t, 2, 4, 6), null), [2, 6]),
        [typeof(GatedAttentionReadout)] = new(
            () => new GatedAttentionReadout(6, hidden: 4),
            (m, t) => ((GatedAttentionReadout)m).call(Rand(t, 2, 4, 6), null), [2, 6]),
        [typeof(NodeMask)] = new(
            () => new NodeMask(6),
            (m, t) => ((NodeMask)m).call(Rand(t, 2, 4, 6), null), [2, 4, 2]),
        [typeof(EdgeMask)] = new(
            () => new EdgeMask(6),
            (m, t) => ((EdgeMask)m).call(Rand(t, 2, 4, 6), null), [2, 4, 4, 2]),
        [typeof(CausalGraphSplit)] = new(
            () => new CausalGraphSplit(6),
            (m, t) => ((CausalGraphSplit)m).call(Graph(t)).Causal.X, [2, 4, 6]),
        [typeof(CimModule)] = new(
            () => new CimModule(new CimOptions { InFeatures = 6, Classes = 3, HiddenFeatures = 5 }),
            (m, t) => ((CimModule)m).call(Graph(t)).CausalLogits, [2, 3]),
        [typeof(GroupWiseLinear)] = new(
            () => new GroupWiseLinear(4, 6),
            (m, t) => ((GroupWiseLinear)m).call(Rand(t, 2, 4, 6)), [2, 4]),
        [typeof(LabelAttention)] = new(
            () => new LabelAttention(8, 2),
            (m, t) =>
            {
                var kv = Rand(t, 2, 5, 8);
                return ((LabelAttention)m).call(Rand(t, 2, 4, 8), kv, kv);
            },
            [2, 4, 8]),
        [typeof(LabelDecoderLayer)] = new(
            () => new LabelDecoderLayer(8, 2, 16),
            (m, t) => ((LabelDecoderLayer)m).call(Rand(t, 2, 4, 8), Rand(t, 2, 5, 8)), [2, 4, 8]),
        [typeof(LabelQueryDecoder)] = new(
            () => new LabelQueryDecoder(4, 6, dim: 8, heads: 2, layers: 1, feedForwardDim: 16),
            (m, t) => ((LabelQueryDecoder)m).call(Rand(t, 2, 5, 6)), [2, 4, 8]),
        [typeof(ConfounderIntervention)] = new(
            () => new ConfounderIntervention(4, 8, heads: 2, numConfounders: 3),
            (m, t) => ((ConfounderIntervention)m).call(Rand(t, 2, 4, 8), Rand(t, 2, 4, 8)), [2, 4]),
        [typeof(CausalLabelHead)] = new(
            () => new CausalLabelHead(new CausalLabelOptions { NumLabels = 4, InputDim = 6, ModelDim = 8, Heads = 2, DecoderLayers = 1, FeedForwardDim = 16 }),
            (m, t) => ((CausalLabelHead)m).call(Rand(t, 2, 5, 6)), [2, 4]),
        [typeof(CausalLabelModel)] = new(
            () => new CausalLabelModel(new PrecomputedBackbone(6), new CausalLabelOptions { NumLabels = 4, InputDim = 6, ModelDim = 8, Heads = 2, DecoderLayers = 1, FeedForwardDim = 16 }, CausalLabelVariant.Decouple),
            (m, t) => ((CausalLabelModel)m).call(Rand(t, 2, 6, 3, 3)), [2, 4]),
    };

    private static readonly Assembly[] LibraryAssemblies =
    [
        typeof(Backbone).Assembly, typeof(GcnConv).Assembly, typeof(CausalVision.Clustering.KMeans.KMeans).Assembly, typeof(VscNet).Assembly,
    ];

    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var type in Zoo.Keys.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                data.Add(type.Name);
            }

            return data;
        }
    }

    private static Entry Get(string name) => Zoo.Single(kv => kv.Key.Name == name).Value;

    private static nn.Module Create(string name)
    {
        manual_seed(11);
        return Get(name).Create();
    }

    [Fact]
    public void Zoo_CoversEveryPublicModuleType()
    {
        var modules = LibraryAssemblies
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => !t.IsAbstract && typeof(nn.Module).IsAssignableFrom(t))
            .ToArray();
        Assert.NotEmpty(modules);
        var missing = modules.Where(t => !Zoo.ContainsKey(t) && !Excluded.ContainsKey(t)).Select(t => t.FullName).ToArray();
        Assert.True(missing.Length == 0, "Add these modules to the zoo: " + string.Join(", ", missing));
        Assert.All(Excluded, kv => Assert.False(string.IsNullOrWhiteSpace(kv.Value)));
        Assert.Empty(Zoo.Keys.Intersect(Excluded.Keys));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Module_Forward_HasTheDocumentedShape_IsFinite_AndLeaksNothing(string name)
    {
        var entry = Get(name);
        using var module = Create(name);
        module.eval();
        TensorLeaks.AssertNone(() =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            manual_seed(3);
            var y = entry.Forward(module, ScalarType.Float32);
            Assert.Equal(entry.Shape, y.shape);
            Assert.Equal(ScalarType.Float32, y.dtype);
            Assert.True(y.isfinite().all().item<bool>(), $"{name}: non-finite output");
        });
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Module_StateDict_RoundTripsThroughSafeTensors(string name)
    {
        var entry = Get(name);
        using var source = Create(name);
        manual_seed(12);
        using var target = entry.Create();
        ModuleContract.CopyStateViaSafeTensors(source, target);
        ModuleContract.AssertStateDictsEqual(source, target);
        source.eval();
        target.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(3);
        var a = entry.Forward(source, ScalarType.Float32);
        manual_seed(3);
        var b = entry.Forward(target, ScalarType.Float32);
        TensorAssert.Close(a, b, 0, 0);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Module_MovedToFloat64_ForwardsInFloat64(string name)
    {
        var entry = Get(name);
        using var module = Create(name);
        module.eval();
        module.to(ScalarType.Float64);
        Assert.All(module.parameters(), p => Assert.Equal(ScalarType.Float64, p.dtype));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(3);
        var y = entry.Forward(module, ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, y.dtype);
        Assert.Equal(entry.Shape, y.shape);
    }
}
