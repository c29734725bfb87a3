using CausalVision.Data;
using CausalVision.Imaging;
using CausalVision.Imaging.Transforms;

namespace CausalVision.Tests.Data;

public sealed class TransformedImageDatasetTests
{
    private sealed class Sized(params (int H, int W)[] sizes) : IImageDataset
    {
        public DatasetInfo Info { get; } = new("sized", ["a", "b"], ["t"], false);

        public int Count => sizes.Length;

        public ImageSample Get(int index)
        {
            var (h, w) = sizes[index];
            return new ImageSample($"s{index}", full(new long[] { 3, h, w }, (float)index), index % 2, tags: [0]);
        }
    }

    private sealed class AddNoise : IImageTransform
    {
        public ImageBuffer Apply(ImageBuffer image, Random random)
        {
            var data = image.Data.ToArray();
            data[0] += (float)random.NextDouble();
            return new ImageBuffer(image.Channels, image.Height, image.Width, data);
        }
    }

    [Fact]
    public void Get_DifferentSizes_ResizedToOneShapeKeepingTargets()
    {
        var ds = new TransformedImageDataset(new Sized((10, 20), (7, 7)), new Resize(8, 8));
        TensorLeaks.AssertNone(() =>
        {
            using var s0 = ds.Get(0);
            using var s1 = ds.Get(1);
            TensorAssert.Shape(s0.Image, 3, 8, 8);
            TensorAssert.Shape(s1.Image, 3, 8, 8);
            using var mean = s1.Image.mean();
            Assert.Equal(1f, mean.item<float>(), 5); // a constant image stays constant
            Assert.Equal(1, s1.Label);
            Assert.Equal([0], s1.Tags);
            Assert.Equal("s1", s1.Id);
        });
        Assert.Equal(2, ds.Count);
        Assert.Equal("sized", ds.Info.Name);
    }

    [Fact]
    public void Get_RandomTransform_SameIndexSameResult()
    {
        var ds = new TransformedImageDataset(new Sized((2, 2), (2, 2)), new AddNoise(), seed: 7);
        using var a = ds.Get(0);
        using var b = ds.Get(0);
        TensorAssert.Close(a.Image, b.Image, atol: 0, rtol: 0);
        var first = a.Image[0, 0, 0].item<float>();
        Assert.InRange(first, 1e-6f, 1f); // the base pixel is 0: the transform ran
        Assert.Equal(0f, a.Image[0, 0, 1].item<float>());
    }

    [Fact]
    public void Ctor_Nulls_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new TransformedImageDataset(null!, new AddNoise()));
        Assert.Throws<ArgumentNullException>(() => new TransformedImageDataset(new Sized(), null!));
    }
}
