using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.Vscnet.Fva;
using CausalVision.Graph.Conv;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Testing.Devices;

/// <summary>The modules compared across devices by the CUDA tests and by the GPU script (<c>CausalVision.Compare
/// parity</c>): the backbone, FVA's cascaded spatial net, a GCN layer and the paper-B head. Small shapes: the point is
/// equal numerics, not speed.</summary>
public static class DeviceParityCases
{
    /// <summary>Gets every case, by name.</summary>
    public static IReadOnlyList<ParityCase> All { get; } =
    [
        new ParityCase(
            "resnet18-train",
            () => BackboneClassifier.Create("resnet18", 10),
            () => [randn(4, 3, 64, 64)],
            (m, x) => ((BackboneClassifier)m).call(x[0]))
        {
            Train = true,
        },
        new ParityCase(
            "cascaded-spatial-net",
            () => new CascadedSpatialNet(64, 12),
            () => [randn(3, 64), randn(3, 64, 4, 4)],
            (m, x) =>
            {
                using var o = ((CascadedSpatialNet)m).call(x[0], x[1]);
                return cat([o.RegionFeatures.flatten(1), o.TagLogits.flatten(1)], 1);
            }),
        new ParityCase(
            "gcn-dense",
            () => new GcnConv(16, 24, propagation: GcnPropagation.Dense),
            () =>
            {
                var upper = rand(2, 6, 6).lt(0.4).to(float32).triu(1);
                return [randn(2, 6, 16), upper + upper.transpose(1, 2), ones(new long[] { 2, 6 }, ScalarType.Bool)];
            },
            (m, x) => ((GcnConv)m).call(x[0], x[1], x[2])),
        new ParityCase(
            "causal-label-head",
            () => new CausalLabelHead(new CausalLabelOptions { NumLabels = 5, InputDim = 32, ModelDim = 32, Heads = 4, DecoderLayers = 1, FeedForwardDim = 64, NumConfounders = 4 }),
            () => [randn(2, 9, 32)],
            (m, x) =>
            {
                using var parts = ((CausalLabelHead)m).ForwardParts(x[0], intervene: false);
                return parts.Logits.alias();
            }),
    ];
}
