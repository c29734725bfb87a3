using System.IO.Compression;
using CausalVision.Data;
using CausalVision.Data.Layouts;

namespace CausalVision.Tests.Data.Layouts;

public sealed class MnistDatasetTests : IDisposable
{
    private readonly LayoutFixture f = new();

    public void Dispose() => f.Dispose();

    private static byte[] Be(params int[] values) => [.. values.SelectMany(v => new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v })];

    private void Write(string split, byte[] labels, int rows = 2, int cols = 3, int magicImages = 2051, bool gzip = false)
    {
        var pixels = Enumerable.Range(0, labels.Length * rows * cols).Select(i => (byte)(i * 10 % 256)).ToArray();
        byte[] images = [.. Be(magicImages, labels.Length, rows, cols), .. pixels];
        byte[] labelFile = [.. Be(2049, labels.Length), .. labels];
        if (gzip)
        {
            f.Bytes($"{split}-images-idx3-ubyte.gz", Gzip(images));
            f.Bytes($"{split}-labels-idx1-ubyte.gz", Gzip(labelFile));
        }
        else
        {
            f.Bytes($"{split}-images-idx3-ubyte", images);
            f.Bytes($"{split}-labels-idx1-ubyte", labelFile);
        }
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return ms.ToArray();
    }

    [Fact]
    public void Load_TinyIdx_PixelsLabelsIds()
    {
        Write("train", [7, 2]);
        var ds = MnistDataset.Load(f.Root, train: true);
        Assert.Equal(2, ds.Count);
        Assert.Equal(10, ds.Info.ClassCount);
        var s = ds.GetRaw(1);
        Assert.Equal(("train/1", 2), (s.Id, s.Label));
        Assert.Equal((1, 2, 3), (s.Image.Channels, s.Image.Height, s.Image.Width));
        Assert.Equal([60 / 255f, 70 / 255f, 80 / 255f, 90 / 255f, 100 / 255f, 110 / 255f], s.Image.Data);
    }

    [Fact]
    public void Load_GzipAndThreeChannels_ReplicatesGray()
    {
        Write("t10k", [3], gzip: true);
        var ds = MnistDataset.Load(f.Root, train: false, new MnistOptions { Channels = 3 });
        var s = ds.GetRaw(0);
        Assert.Equal(3, s.Image.Channels);
        Assert.Equal(s.Image.Data[..6], s.Image.Data[12..]);
        using var sample = ds.Get(0);
        TensorAssert.Shape(sample.Image, 3, 2, 3);
    }

    [Fact]
    public void Load_WrongMagic_Throws()
    {
        Write("train", [1], magicImages: 2049);
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(f.Root, train: true));
        Assert.Contains("2051", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Truncated_Throws()
    {
        Write("train", [1, 2]);
        var path = f.PathOf("train-images-idx3-ubyte");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^1]);
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(f.Root, train: true));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LabelOutOfRange_ThrowsOrSkipsAndReports()
    {
        Write("train", [1, 12, 3]);
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(f.Root, train: true));
        Assert.Contains("train-labels-idx1-ubyte:2", ex.Message, StringComparison.Ordinal);
        var ds = MnistDataset.Load(f.Root, train: true, new MnistOptions { ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(["train/0", "train/2"], Enumerable.Range(0, ds.Count).Select(ds.GetId));
        Assert.Equal(1, ds.Report.SkippedCount);
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingIt()
    {
        var ex = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(f.Root, train: true));
        Assert.Contains("train-images-idx3-ubyte", ex.Message, StringComparison.Ordinal);
    }
}
