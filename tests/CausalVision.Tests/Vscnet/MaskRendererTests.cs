using CausalVision.Vscnet;
using SkiaSharp;

namespace CausalVision.Tests.Vscnet;

public sealed class MaskRendererTests
{
    private static VscNetExplanation Explain(VscNetAblation ablation, out IReadOnlyList<string> tagNames)
    {
        using var model = VscNetTestKit.Builder(ablation).Build();
        tagNames = model.TagNames;
        if (ablation.HasFlag(VscNetAblation.Knowledge))
        {
            using var hierarchy = VscNetTestKit.Hierarchy(model);
            model.SetHierarchy(hierarchy);
            model.SetStage(VscNetStage.Classification);
            using var images = VscNetTestKit.Images(1);
            return model.Explain(images)[0];
        }

        model.SetStage(VscNetStage.Classification);
        using var x = VscNetTestKit.Images(1);
        return model.Explain(x)[0];
    }

    [Fact]
    public void RenderPng_FullModel_DrawsOneRowAndColumnPerRealNode()
    {
        var why = Explain(VscNetAblation.Full, out var tagNames);
        var labels = MaskRenderer.NodeLabels(why, tagNames);
        Assert.Equal(Enumerable.Range(1, VscNetTestKit.Regions).Select(j => $"R{j}"), labels.Take(VscNetTestKit.Regions).Select(l => l.Label));
        Assert.Contains(labels, l => tagNames.Contains(l.Label));
        Assert.Contains(labels, l => l.Label.StartsWith('P'));

        using var bitmap = SKBitmap.Decode(MaskRenderer.RenderPng(why, tagNames));
        Assert.Equal(150 + 26 + 12 + (labels.Count * 26) + 12, bitmap.Width);
        Assert.Equal(44 + (labels.Count * 26) + 12, bitmap.Height);

        // The first node's mask cell is coloured by its value (viridis: blue at 0, yellow at 1), not left white.
        Assert.NotEqual(SKColors.White, bitmap.GetPixel(150 + 13, 44 + 13));
    }

    [Fact]
    public void RenderPng_WithoutCim_Throws()
    {
        var why = Explain(VscNetAblation.Locating | VscNetAblation.Knowledge | VscNetAblation.Graph, out _);
        Assert.Null(why.NodeMask);
        Assert.Throws<InvalidOperationException>(() => MaskRenderer.RenderPng(why));
    }
}
