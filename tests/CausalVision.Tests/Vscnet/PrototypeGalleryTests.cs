using CausalVision.Testing;
using CausalVision.Vscnet;
using SkiaSharp;

namespace CausalVision.Tests.Vscnet;

public sealed class PrototypeGalleryTests
{
    private const int Size = 16;

    // Image i: red = x / (W - 1) * s_i, green = y / (H - 1) * s_i, blue = 0, with s_i in (0.5, 1]: linear in x and y, so a
    // bilinear sample at any point inside the image is exact, and the per-image [min, max] scaling maps red back to x / (W - 1).
    private static Tensor Gradients(int count)
    {
        var data = new float[count * 3 * Size * Size];
        for (var i = 0; i < count; i++)
        {
            var s = 1f - (i * 0.05f);
            for (var y = 0; y < Size; y++)
            {
                for (var x = 0; x < Size; x++)
                {
                    data[(((i * 3) + 0) * Size * Size) + (y * Size) + x] = s * x / (Size - 1f);
                    data[(((i * 3) + 1) * Size * Size) + (y * Size) + x] = s * y / (Size - 1f);
                }
            }
        }

        return tensor(data, [count, 3, Size, Size]);
    }

    private static (VscNet Model, Clustering.Hierarchy.ExemplarHierarchy Hierarchy) Model()
    {
        var model = VscNetTestKit.Builder().Build();
        var hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        return (model, hierarchy);
    }

    [Fact]
    public void Collect_KeepsTheMostSimilarRegionsPerPrototype_AsExplainMatchedThem()
    {
        var (model, hierarchy) = Model();
        using var _ = model;
        using var __ = hierarchy;
        using var images = Gradients(10);
        var gallery = PrototypeGallery.Collect(model, images, new PrototypeGalleryOptions { PerPrototype = 2, CropSize = 8, BatchSize = 3 });

        // The reference: every region of every image, matched by Explain on the whole batch at once.
        var why = model.Explain(images);
        var all = why.SelectMany((e, i) => e.Regions.Select((r, j) => (Image: i, Region: j, r.Prototype, r.PrototypeSimilarity))).ToList();
        Assert.Equal(all.Select(a => a.Prototype).Distinct().Order(), gallery.Prototypes);
        foreach (var p in gallery.Prototypes)
        {
            var expected = all.Where(a => a.Prototype == p).OrderByDescending(a => a.PrototypeSimilarity).ThenBy(a => a.Image).Take(2).ToList();
            var got = gallery.Examples(p);
            Assert.Equal(expected.Count, got.Count);
            for (var k = 0; k < got.Count; k++)
            {
                Assert.Equal(expected[k].PrototypeSimilarity, got[k].Similarity, 5);
                Assert.Equal(8 * 8 * 3, got[k].Crop.Length);
            }
        }

        Assert.Empty(gallery.Examples(-1));
    }

    [Fact]
    public void Crop_SamplesTheRegionsAffineBox()
    {
        var (model, hierarchy) = Model();
        using var _ = model;
        using var __ = hierarchy;
        using var images = Gradients(6);
        var gallery = PrototypeGallery.Collect(model, images, new PrototypeGalleryOptions { PerPrototype = 64, CropSize = 8 });
        var checkedCrops = 0;
        foreach (var example in gallery.Prototypes.SelectMany(gallery.Examples))
        {
            // The centre of the output grid maps to (t13, t23); the mean of the four middle pixels of an even-sized crop
            // is the sample there (the image is linear). Red encodes the pixel column x / (W - 1).
            var (cx, cy) = (example.Theta[2], example.Theta[5]);
            var px = (((cx + 1) * Size) - 1) / 2;
            var py = (((cy + 1) * Size) - 1) / 2;
            if (px < 0.5 || px > Size - 1.5 || py < 0.5 || py > Size - 1.5 || Math.Abs(example.Theta[0]) > 1 || Math.Abs(example.Theta[4]) > 1)
            {
                continue; // near the border, zero padding enters the sample
            }

            double Red(int x, int y) => example.Crop[((y * 8) + x) * 3];
            var centre = (Red(3, 3) + Red(4, 3) + Red(3, 4) + Red(4, 4)) / 4 / 255;
            Assert.Equal(px / (Size - 1), centre, 0.02);
            Assert.All(Enumerable.Range(0, 64), i => Assert.Equal(0, example.Crop[(i * 3) + 2]));
            checkedCrops++;
        }

        Assert.True(checkedCrops > 0, "no region centred inside the image to check");
    }

    [Fact]
    public void RenderPng_OneRowPerPrototype_CropsDrawn()
    {
        var (model, hierarchy) = Model();
        using var _ = model;
        using var __ = hierarchy;
        using var images = Gradients(8);
        var options = new PrototypeGalleryOptions { PerPrototype = 3, CropSize = 8, CellSize = 24 };
        var gallery = PrototypeGallery.Collect(model, images, options);
        var rows = gallery.Prototypes.Take(2).ToArray();
        using var bitmap = SKBitmap.Decode(gallery.RenderPng(rows));
        Assert.Equal(190 + (3 * (24 + 6)) + 6, bitmap.Width);
        Assert.Equal((rows.Length * (24 + 6 + 14)) + 6, bitmap.Height);
        // The first crop's cell is the crop (blue is 0 in every crop), not the white background.
        var pixel = bitmap.GetPixel(190 + 12, 6 + 12);
        Assert.Equal(0, pixel.Blue);

        Assert.Throws<ArgumentException>(() => gallery.RenderPng([hierarchy.Count]));
        Assert.Throws<ArgumentException>(() => gallery.RenderPng([]));
    }

    [Fact]
    public void Collect_WithoutHierarchyOrWithBadInput_Throws()
    {
        using var model = VscNetTestKit.Builder(VscNetAblation.Locating).Build();
        using var images = Gradients(2);
        Assert.Throws<InvalidOperationException>(() => PrototypeGallery.Collect(model, images));
        Assert.ThrowsAny<ArgumentException>(() => PrototypeGallery.Collect(model, images, new PrototypeGalleryOptions { PerPrototype = 0 }));
        Assert.ThrowsAny<ArgumentException>(() => PrototypeGallery.Collect(model, images, new PrototypeGalleryOptions { CropSize = 2 }));
        using var flat = zeros(3, Size, Size);
        Assert.Throws<ArgumentException>(() => PrototypeGallery.Collect(model, flat));
        using var nan = full(new long[] { 1, 3, Size, Size }, float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => PrototypeGallery.Collect(model, nan)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Collect_LeaksNoTensors()
    {
        var (model, hierarchy) = Model();
        using var _ = model;
        using var __ = hierarchy;
        using var images = Gradients(4);
        TensorLeaks.AssertNone(() => PrototypeGallery.Collect(model, images, new PrototypeGalleryOptions { CropSize = 8 }));
    }
}
