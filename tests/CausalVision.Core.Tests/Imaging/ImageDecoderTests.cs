using CausalVision.Imaging;

namespace CausalVision.Tests.Imaging;

public sealed class ImageDecoderTests : IDisposable
{
    private static readonly byte[] Pixels2x2 = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
    private readonly string dir = Directory.CreateTempSubdirectory("cv-decoder-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Decode_HandWrittenPng2x2_ExactPixels()
    {
        var image = ImageDecoder.Decode(HandPng.Rgb(2, 2, Pixels2x2));
        Assert.Equal((3, 2, 2), (image.Channels, image.Height, image.Width));
        // CHW: R plane, G plane, B plane; pixels (0,0) red, (0,1) green, (1,0) blue, (1,1) (10,20,30).
        float[] expected = [1, 0, 0, 10 / 255f, 0, 1, 0, 20 / 255f, 0, 0, 1, 30 / 255f];
        Assert.Equal(expected, image.Data);
    }

    [Fact]
    public void Decode_Grayscale_UsesItu601Luma()
    {
        var image = ImageDecoder.Decode(HandPng.Rgb(2, 2, Pixels2x2), grayscale: true);
        Assert.Equal(1, image.Channels);
        float[] expected = [0.299f, 0.587f, 0.114f, ((0.299f * 10) + (0.587f * 20) + (0.114f * 30)) / 255f];
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i], image.Data[i], 1e-6f);
        }
    }

    [Fact]
    public void EncodePng_RoundTrip_ExactEightBitValues()
    {
        var rng = new Random(3);
        var data = Enumerable.Range(0, 3 * 5 * 7).Select(_ => rng.Next(256) / 255f).ToArray();
        var image = new ImageBuffer(3, 5, 7, data);
        var decoded = ImageDecoder.Decode(ImageDecoder.EncodePng(image));
        Assert.Equal(data, decoded.Data);
    }

    [Fact]
    public void EncodeJpeg_FlatColour_DecodesClose()
    {
        var image = new ImageBuffer(3, 16, 16);
        Array.Fill(image.Data, 0.25f, 0, 256);
        Array.Fill(image.Data, 0.5f, 256, 256);
        Array.Fill(image.Data, 0.75f, 512, 256);
        var decoded = ImageDecoder.Decode(ImageDecoder.EncodeJpeg(image, 95));
        for (var i = 0; i < image.Data.Length; i++)
        {
            Assert.True(Math.Abs(image.Data[i] - decoded.Data[i]) < 0.03f, $"element {i}: {decoded.Data[i]}");
        }
    }

    [Fact]
    public void DecodeFile_CorruptFile_ThrowsNamingFile()
    {
        var path = Path.Combine(dir, "bad.png");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.DecodeFile(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeFile_TruncatedPng_ThrowsNamingFile()
    {
        var path = Path.Combine(dir, "cut.png");
        var rng = new Random(1);
        var png = ImageDecoder.EncodePng(new ImageBuffer(3, 32, 32, Enumerable.Range(0, 3 * 32 * 32).Select(_ => (float)rng.NextDouble()).ToArray()));
        File.WriteAllBytes(path, png[..(png.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.DecodeFile(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeFile_Missing_ThrowsNamingFile()
    {
        var path = Path.Combine(dir, "none.jpg");
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.DecodeFile(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeFileToTensor_Png_ShapeValuesNoLeak()
    {
        var path = Path.Combine(dir, "ok.png");
        File.WriteAllBytes(path, HandPng.Rgb(2, 2, Pixels2x2));
        using (var t = ImageDecoder.DecodeFileToTensor(path))
        {
            TensorAssert.Shape(t, 3, 2, 2);
            TensorAssert.Values([1, 0, 0, 10 / 255f, 0, 1, 0, 20 / 255f, 0, 0, 1, 30 / 255f], t, 1e-7);
        }

        TensorLeaks.AssertNone(() => ImageDecoder.DecodeFileToTensor(path).Dispose());
    }

    [Fact]
    public void ReadSize_Png_ReturnsHeightWidth()
    {
        var path = Path.Combine(dir, "size.png");
        ImageDecoder.SavePng(new ImageBuffer(3, 5, 9), path);
        Assert.Equal((5, 9), ImageDecoder.ReadSize(path));
    }

    [Fact]
    public void EncodePng_TwoChannels_Throws()
    {
        Assert.Throws<ArgumentException>(() => ImageDecoder.EncodePng(new ImageBuffer(2, 2, 2)));
    }

    [Fact]
    public void ImageBuffer_WrongDataLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ImageBuffer(3, 2, 2, new float[11]));
        Assert.Throws<ArgumentException>(() => new ImageBuffer(0, 2, 2));
    }
}
