using CausalVision.Imaging;
using CausalVision.Imaging.Transforms;

namespace CausalVision.Tests.Imaging.Transforms;

public sealed class TransformTests
{
    private static readonly Random Unused = new(0);

    private static ImageBuffer Ramp(int c, int h, int w) => new(c, h, w, Enumerable.Range(0, c * h * w).Select(i => (float)i).ToArray());

    [Fact]
    public void Resize_2x2To4x4_MatchesHandComputedBilinear()
    {
        var input = new ImageBuffer(1, 2, 2, [0, 1, 2, 3]);
        var output = new Resize(4, 4).Apply(input, Unused);
        float[] expected =
        [
            0, 0.25f, 0.75f, 1,
            0.5f, 0.75f, 1.25f, 1.5f,
            1.5f, 1.75f, 2.25f, 2.5f,
            2, 2.25f, 2.75f, 3,
        ];
        Assert.Equal(expected, output.Data);
    }

    [Theory]
    [InlineData(5, 7, 3, 4)]
    [InlineData(5, 7, 11, 9)]
    [InlineData(4, 4, 4, 6)]
    public void Resize_Exact_MatchesTorchInterpolateBilinear(int h, int w, int oh, int ow)
    {
        var rng = new Random(h * 31 + ow);
        var input = new ImageBuffer(2, h, w, Enumerable.Range(0, 2 * h * w).Select(_ => (float)rng.NextDouble()).ToArray());
        var output = new Resize(oh, ow).Apply(input, Unused);
        using var x = input.ToTensor().unsqueeze(0);
        using var reference = nn.functional.interpolate(x, size: [oh, ow], mode: InterpolationMode.Bilinear, align_corners: false);
        TensorAssert.Values(reference.data<float>().ToArray(), output.ToTensor(), 1e-5);
    }

    [Fact]
    public void Resize_ShorterSide_KeepsAspectWithFloor()
    {
        var wide = new Resize(2).Apply(Ramp(1, 4, 9), Unused);
        Assert.Equal((2, 4), (wide.Height, wide.Width)); // floor(2 * 9 / 4) = 4
        var tall = new Resize(3).Apply(Ramp(3, 10, 6), Unused);
        Assert.Equal((5, 3), (tall.Height, tall.Width));
    }

    [Fact]
    public void CenterCrop_EvenMargin_TakesMiddle()
    {
        var output = new CenterCrop(2).Apply(Ramp(1, 4, 4), Unused);
        Assert.Equal([5f, 6, 9, 10], output.Data);
    }

    [Fact]
    public void CenterCrop_OddMargin_RoundsHalfToEvenLikeTorchvision()
    {
        // (5 - 2) / 2 = 1.5 -> Python round -> 2.
        var output = new CenterCrop(2).Apply(Ramp(1, 5, 5), Unused);
        Assert.Equal([12f, 13, 17, 18], output.Data);
    }

    [Fact]
    public void CenterCrop_LargerThanImage_PadsWithZeros()
    {
        var output = new CenterCrop(4).Apply(new ImageBuffer(1, 2, 2, [1, 2, 3, 4]), Unused);
        Assert.Equal([0f, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0], output.Data);
    }

    [Fact]
    public void HorizontalFlip_ProbabilityOne_MirrorsEveryRow()
    {
        var output = new HorizontalFlip(1).Apply(Ramp(2, 2, 3), new Random(1));
        Assert.Equal([2f, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9], output.Data);
    }

    [Fact]
    public void HorizontalFlip_ProbabilityZero_Identity()
    {
        var input = Ramp(1, 2, 3);
        Assert.Equal(input.Data, new HorizontalFlip(0).Apply(input, new Random(1)).Data);
    }

    [Fact]
    public void RandomCrop_SameSeed_SameWindowInsideImage()
    {
        var input = Ramp(1, 6, 6);
        var a = new RandomCrop(3, 3).Apply(input, new Random(42));
        var b = new RandomCrop(3, 3).Apply(input, new Random(42));
        Assert.Equal(a.Data, b.Data);
        var top = (int)a.Data[0] / 6;
        var left = (int)a.Data[0] % 6;
        Assert.Equal(new CenterCrop(3).Apply(ImageOpsWindow(input, top, left), Unused).Data, a.Data);
    }

    [Fact]
    public void RandomCrop_CropLargerThanImage_Throws()
    {
        Assert.Throws<ArgumentException>(() => new RandomCrop(5, 5).Apply(Ramp(1, 4, 4), new Random(0)));
    }

    [Fact]
    public void Normalize_Vectorised_EqualsTheScalarFormula_BitForBit()
    {
        // 17 x 13 = 221 values per plane: whole vectors and a scalar tail on every vector width.
        var rng = new Random(8);
        var data = new float[3 * 17 * 13];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)rng.NextDouble();
        }

        var image = new ImageBuffer(3, 17, 13, data);
        var output = new Normalize().Apply(image, new Random(0));
        float[] mean = [0.485f, 0.456f, 0.406f];
        float[] std = [0.229f, 0.224f, 0.225f];
        for (var c = 0; c < 3; c++)
        {
            var inv = 1f / std[c];
            for (var i = 0; i < 17 * 13; i++)
            {
                Assert.Equal((data[(c * 221) + i] - mean[c]) * inv, output.Data[(c * 221) + i]);
            }
        }

        var flipped = HorizontalFlip.Flip(image);
        Assert.Equal(image[2, 16, 0], flipped[2, 16, 12]);
        Assert.Equal(image[0, 3, 5], flipped[0, 3, 7]);
    }

    [Fact]
    public void ResizeBilinearWindow_EqualsCropThenResize_BitForBit()
    {
        var rng = new Random(5);
        var data = new float[3 * 37 * 29];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)rng.NextDouble();
        }

        var image = new ImageBuffer(3, 37, 29, data);
        foreach (var (top, left, h, w, oh, ow) in new[] { (0, 0, 37, 29, 16, 16), (3, 5, 20, 11, 24, 24), (10, 2, 7, 27, 7, 27), (36, 28, 1, 1, 4, 3), (1, 0, 30, 29, 224, 224) })
        {
            var fused = ImageOps.ResizeBilinearWindow(image, top, left, h, w, oh, ow);
            var reference = ImageOps.ResizeBilinear(ImageOps.Crop(image, top, left, h, w), oh, ow);
            Assert.Equal(reference.Data, fused.Data);
        }

        Assert.Throws<ArgumentException>(() => ImageOps.ResizeBilinearWindow(image, 30, 0, 8, 4, 4, 4));
        Assert.Throws<ArgumentException>(() => ImageOps.ResizeBilinearWindow(image, -1, 0, 8, 4, 4, 4));
    }

    [Fact]
    public void RandomResizedCrop_ManySeeds_BoxInsideAndOutputSized()
    {
        var t = new RandomResizedCrop(8);
        for (var seed = 0; seed < 200; seed++)
        {
            var (top, left, h, w) = t.SampleBox(20, 30, new Random(seed));
            Assert.True(top >= 0 && left >= 0 && h >= 1 && w >= 1 && top + h <= 20 && left + w <= 30, $"seed {seed}: {top},{left},{h},{w}");
        }

        var output = t.Apply(Ramp(3, 20, 30), new Random(5));
        Assert.Equal((3, 8, 8), (output.Channels, output.Height, output.Width));
    }

    [Fact]
    public void RandomResizedCrop_ImpossibleRatio_FallsBackToClampedCentre()
    {
        // A 1x100 strip has ratio 100; with ratio <= 4/3 and scale >= 0.9 no try fits, so the
        // fallback is h = 1, w = round(1 * 4/3) = 1 at the centre.
        var box = new RandomResizedCrop(4, 4, 0.9, 1.0, 0.75, 4.0 / 3.0).SampleBox(1, 100, new Random(0));
        Assert.Equal((0, 49, 1, 1), box);
    }

    [Fact]
    public void ColorJitter_Brightness_ScalesAndClamps()
    {
        var img = new ImageBuffer(1, 1, 3, [0.2f, 0.5f, 0.8f]);
        ColorJitter.AdjustBrightness(img, 1.5f);
        Assert.Equal([0.3f, 0.75f, 1f], img.Data);
    }

    [Fact]
    public void ColorJitter_Contrast_BlendsWithMeanLuma()
    {
        // 1 channel: mean = 0.5; factor 0.5 -> 0.5 x + 0.25.
        var img = new ImageBuffer(1, 1, 2, [0.2f, 0.8f]);
        ColorJitter.AdjustContrast(img, 0.5f);
        Assert.Equal(0.35f, img.Data[0], 1e-6f);
        Assert.Equal(0.65f, img.Data[1], 1e-6f);
    }

    [Fact]
    public void ColorJitter_SaturationZero_GivesLumaInEveryChannel()
    {
        var img = new ImageBuffer(3, 1, 1, [1f, 0f, 0f]);
        ColorJitter.AdjustSaturation(img, 0f);
        Assert.All(img.Data, v => Assert.Equal(0.299f, v, 1e-6f));
    }

    [Fact]
    public void ColorJitter_ZeroStrengths_Identity()
    {
        var input = new ImageBuffer(3, 2, 2, Enumerable.Range(0, 12).Select(i => i / 12f).ToArray());
        Assert.Equal(input.Data, new ColorJitter().Apply(input, new Random(3)).Data);
    }

    [Fact]
    public void ColorJitter_NegativeStrength_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ColorJitter(brightness: -0.1));
    }

    [Fact]
    public void Normalize_Defaults_AreImageNetStatistics()
    {
        var n = new Normalize();
        Assert.Equal([0.485f, 0.456f, 0.406f], n.Mean);
        Assert.Equal([0.229f, 0.224f, 0.225f], n.Std);
        var output = n.Apply(new ImageBuffer(3, 1, 1, [0.485f, 0.456f + 0.224f, 0.406f - (2 * 0.225f)]), Unused);
        Assert.Equal(0f, output.Data[0], 1e-6f);
        Assert.Equal(1f, output.Data[1], 1e-5f);
        Assert.Equal(-2f, output.Data[2], 1e-5f);
    }

    [Fact]
    public void Normalize_ChannelMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Normalize().Apply(new ImageBuffer(1, 2, 2), Unused));
        Assert.Throws<ArgumentException>(() => new Normalize([0.5f], [0f]));
    }

    [Fact]
    public void Pipeline_SameSeedEpochIndex_SameOutput_DifferentIndex_Differs()
    {
        var p = new TransformPipeline(new RandomResizedCrop(4), new HorizontalFlip(), new ColorJitter(0.4, 0.4, 0.4));
        var input = new ImageBuffer(3, 9, 9, Enumerable.Range(0, 243).Select(i => (i % 17) / 17f).ToArray());
        var a = p.Apply(input, seed: 7, epoch: 2, index: 5);
        var b = p.Apply(input, seed: 7, epoch: 2, index: 5);
        var c = p.Apply(input, seed: 7, epoch: 2, index: 6);
        Assert.Equal(a.Data, b.Data);
        Assert.NotEqual(a.Data, c.Data);
    }

    [Fact]
    public void SampleSeed_DistinctAcrossEpochAndIndex()
    {
        var seeds = new HashSet<int>();
        for (var e = 0; e < 10; e++)
        {
            for (var i = 0; i < 100; i++)
            {
                seeds.Add(TransformPipeline.SampleSeed(0, e, i));
            }
        }

        Assert.Equal(1000, seeds.Count);
        Assert.Equal(TransformPipeline.SampleSeed(3, 1, 2), TransformPipeline.SampleSeed(3, 1, 2));
    }

    [Fact]
    public void ImageNetEval_224_ResizesTo256ThenCrops()
    {
        var p = TransformPipeline.ImageNetEval();
        Assert.Equal(3, p.Transforms.Count);
        var output = p.Apply(new ImageBuffer(3, 300, 400), new Random(0));
        Assert.Equal((3, 224, 224), (output.Channels, output.Height, output.Width));
    }

    private static ImageBuffer ImageOpsWindow(ImageBuffer image, int top, int left)
    {
        var w = new ImageBuffer(1, 3, 3);
        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < 3; x++)
            {
                w[0, y, x] = image[0, top + y, left + x];
            }
        }

        return w;
    }
}
