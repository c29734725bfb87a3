using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using CausalVision.Synthetic;

namespace CausalVision.Tests.Synthetic;

public sealed class PngWriterTests
{
    [Fact]
    public void Crc32_CheckValue_MatchesStandard()
    {
        // The CRC-32 check value of "123456789" (ISO 3309 / zlib crc32).
        Assert.Equal(0xCBF43926u, PngWriter.Crc32("123456789"u8));
        Assert.Equal(0u, PngWriter.Crc32([]));
    }

    [Fact]
    public void Encode_KnownPixels_ValidPngThatDecodesBack()
    {
        const int width = 3, height = 2;
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90];
        var png = PngWriter.Encode(rgb, width, height);
        var decoded = Decode(png, out var w, out var h);
        Assert.Equal(width, w);
        Assert.Equal(height, h);
        Assert.Equal(rgb, decoded);
    }

    [Fact]
    public void EncodeChw_Floats_RoundedClampedAndInterleaved()
    {
        // [3, 1, 2]: R = (0, 0.5), G = (1.2, 0.25), B = (-0.1, 1).
        float[] chw = [0f, 0.5f, 1.2f, 0.25f, -0.1f, 1f];
        var decoded = Decode(PngWriter.EncodeChw(chw, 2, 1), out _, out _);
        Assert.Equal(new byte[] { 0, 255, 0, 128, 64, 255 }, decoded);
    }

    [Fact]
    public void EncodeChw_RenderedSample_DecodesToQuantisedPixels()
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { TrainSize = 1, ImageSize = 32 });
        var chw = bench.Train.Render(0);
        var decoded = Decode(PngWriter.EncodeChw(chw, 32, 32), out _, out _);
        for (var p = 0; p < 1024; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal((byte)Math.Round(chw[(c * 1024) + p] * 255, MidpointRounding.AwayFromZero), decoded[(3 * p) + c]);
            }
        }
    }

    [Fact]
    public void Encode_BadInput_Throws()
    {
        Assert.Contains("expected 6 RGB bytes", Assert.Throws<ArgumentException>(() => PngWriter.Encode(new byte[5], 2, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("must be positive", Assert.Throws<ArgumentException>(() => PngWriter.Encode([], 0, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("expected 6 floats", Assert.Throws<ArgumentException>(() => PngWriter.EncodeChw(new float[3], 2, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => PngWriter.EncodeChw([float.NaN, 0, 0], 1, 1)).Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// An independent reader: checks the signature, chunk order, every CRC (bitwise, not the
    /// writer's table), IHDR fields and filter bytes; inflates IDAT and returns RGB bytes.
    /// </summary>
    internal static byte[] Decode(byte[] png, out int width, out int height)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        var pos = 8;
        var types = new List<string>();
        using var idat = new MemoryStream();
        width = height = 0;
        while (pos < png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(BitwiseCrc(png.AsSpan(pos + 4, 4 + length)), crc);
            types.Add(type);
            if (type == "IHDR")
            {
                Assert.Equal(13, length);
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, data[8..].ToArray());
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            pos += 12 + length;
        }

        Assert.Equal(png.Length, pos);
        Assert.Equal(["IHDR", "IDAT", "IEND"], types);
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }

        var raw = inflated.ToArray();
        var stride = 3 * width;
        Assert.Equal((stride + 1) * height, raw.Length);
        var rgb = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            Assert.Equal(0, raw[y * (stride + 1)]);
            Array.Copy(raw, (y * (stride + 1)) + 1, rgb, y * stride, stride);
        }

        return rgb;
    }

    private static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
            }
        }

        return ~crc;
    }
}
