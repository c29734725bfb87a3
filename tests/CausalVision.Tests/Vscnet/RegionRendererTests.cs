using CausalVision.Vscnet;
using SkiaSharp;

namespace CausalVision.Tests.Vscnet;

public sealed class RegionRendererTests
{
    [Fact]
    public void Corners_Identity_CoversWholeImage()
    {
        var c = RegionRenderer.Corners(new float[] { 1, 0, 0, 0, 1, 0 }, 10, 20);
        Assert.Equal((-0.5f, -0.5f), c[0]);
        Assert.Equal((9.5f, -0.5f), c[1]);
        Assert.Equal((9.5f, 19.5f), c[2]);
        Assert.Equal((-0.5f, 19.5f), c[3]);
    }

    [Fact]
    public void Corners_HalfScaleShiftedRight_KnownBox()
    {
        // x_n in [0, 1] (scale 0.5, shift 0.5): pixels ((0 + 1) * 8 - 1) / 2 = 3.5 .. ((1 + 1) * 8 - 1) / 2 = 7.5.
        var c = RegionRenderer.Corners(new float[] { 0.5f, 0, 0.5f, 0, 0.5f, 0 }, 8, 8);
        Assert.Equal((3.5f, 1.5f), c[0]);
        Assert.Equal((7.5f, 5.5f), c[2]);
    }

    [Fact]
    public void Corners_NonFiniteTheta_ThrowsArgument()
    {
        Assert.Throws<ArgumentException>(() => RegionRenderer.Corners(new[] { 1f, 0, float.NaN, 0, 1, 0 }, 8, 8));
    }

    [Fact]
    public void Save_ExplainedImage_WritesPngOfScaledSize()
    {
        using var model = VscNetTestKit.Builder().Build();
        using var hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        using var x = VscNetTestKit.Images(2);
        var explanations = model.Explain(x, topTags: 2);
        Assert.Equal(2, explanations.Count);
        var e = explanations[0];
        Assert.Equal(VscNetTestKit.Regions, e.Regions.Count);
        Assert.All(e.Regions, r => Assert.Equal(2, r.TagsAfter.Count));
        Assert.All(e.Regions, r => Assert.InRange(r.Prototype, 0, hierarchy.Count - 1));
        Assert.Equal(1.0, e.ClassProbabilities.Sum(), 5);
        Assert.NotNull(e.NodeMask);
        Assert.Equal(e.NodeMask!.Length, e.EdgeMask!.GetLength(0));
        Assert.True(model.training); // Explain restores the mode

        var path = Path.Combine(Path.GetTempPath(), $"vscnet-regions-{Guid.NewGuid():N}.png");
        try
        {
            using var image = x[0];
            RegionRenderer.Save(image, e, path, new RegionRendererOptions { Scale = 4 });
            using var bitmap = SKBitmap.Decode(path);
            Assert.Equal(64, bitmap.Width);
            Assert.Equal(64, bitmap.Height);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RenderPng_WrongImageRank_ThrowsArgument()
    {
        var e = new VscNetExplanation { Regions = Array.Empty<RegionExplanation>(), ClassProbabilities = new[] { 1.0 } };
        using var image = zeros(2, 3, 8, 8);
        Assert.Throws<ArgumentException>(() => RegionRenderer.RenderPng(image, e));
    }
}
