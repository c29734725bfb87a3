// The synthetic generator's own PNG writer (PNG spec, W3C 2003: signature, IHDR, IDAT, IEND;
// CRC-32 of ISO 3309; zlib stream of RFC 1950 via System.IO.Compression.ZLibStream), so that
// writing the benchmark to disk needs no SkiaSharp. It writes 8-bit RGB, non-interlaced, with
// filter type 0 (None) on every scanline: simple and exact, not the smallest possible files.
using System.Buffers.Binary;
using System.IO.Compression;

namespace CausalVision.Synthetic;

/// <summary>
/// A minimal PNG encoder for 8-bit RGB images, used by <see cref="SyntheticBenchmark.WriteToDisk(string)"/>.
/// Decoding is the image pipeline's job (SkiaSharp); this writer only produces standard files.
/// </summary>
public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Encodes interleaved 8-bit RGB pixels (row-major, <c>[H, W, 3]</c>) as a PNG file.</summary>
    /// <param name="rgb">The pixels, length <c>3 * width * height</c>.</param>
    /// <param name="width">The width in pixels (positive).</param>
    /// <param name="height">The height in pixels (positive).</param>
    /// <returns>The PNG file bytes.</returns>
    /// <exception cref="ArgumentException">A size is not positive or the buffer has the wrong length.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height)
    {
        CheckSize(width, height);
        if (rgb.Length != 3L * width * height)
        {
            throw new ArgumentException($"PNG: expected {3L * width * height} RGB bytes for {width}x{height}, got {rgb.Length}.", nameof(rgb));
        }

        // Raw scanlines: one filter byte (0 = None) then the row's bytes.
        var stride = 3 * width;
        var raw = new byte[(stride + 1) * height];
        for (var y = 0; y < height; y++)
        {
            raw[y * (stride + 1)] = 0;
            rgb.Slice(y * stride, stride).CopyTo(raw.AsSpan((y * (stride + 1)) + 1, stride));
        }

        byte[] compressed;
        using (var buffer = new MemoryStream())
        {
            using (var z = new ZLibStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            {
                z.Write(raw);
            }

            compressed = buffer.ToArray();
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type: truecolour RGB
        header[10] = 0; // compression: deflate
        header[11] = 0; // filter method 0
        header[12] = 0; // no interlace

        using var png = new MemoryStream(compressed.Length + 64);
        png.Write(Signature);
        WriteChunk(png, "IHDR"u8, header);
        WriteChunk(png, "IDAT"u8, compressed);
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>
    /// Encodes a planar float image (<c>[3, H, W]</c>, values in [0, 1], as rendered by
    /// <see cref="SyntheticSplit.Render(int, Span{float})"/>) as a PNG file; values are clamped and
    /// rounded to the nearest of 256 levels.
    /// </summary>
    /// <param name="chw">The planar pixels, length <c>3 * width * height</c>.</param>
    /// <param name="width">The width in pixels.</param>
    /// <param name="height">The height in pixels.</param>
    /// <returns>The PNG file bytes.</returns>
    /// <exception cref="ArgumentException">A size is not positive, the buffer has the wrong length, or a value is NaN.</exception>
    public static byte[] EncodeChw(ReadOnlySpan<float> chw, int width, int height)
    {
        CheckSize(width, height);
        var plane = width * height;
        if (chw.Length != 3L * plane)
        {
            throw new ArgumentException($"PNG: expected {3L * plane} floats for [3, {height}, {width}], got {chw.Length}.", nameof(chw));
        }

        var rgb = new byte[3 * plane];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                rgb[(3 * i) + c] = ToByte(chw[(c * plane) + i]);
            }
        }

        return Encode(rgb, width, height);
    }

    /// <summary>Converts a [0, 1] intensity to the byte the writer stores (clamp, round half away from zero).</summary>
    /// <param name="value">The intensity.</param>
    /// <returns>The byte.</returns>
    /// <exception cref="ArgumentException">The value is NaN.</exception>
    public static byte ToByte(float value)
    {
        if (float.IsNaN(value))
        {
            throw new ArgumentException("PNG: pixel value is NaN.", nameof(value));
        }

        return (byte)MathF.Round(Math.Clamp(value, 0f, 1f) * 255f, MidpointRounding.AwayFromZero);
    }

    /// <summary>Computes the CRC-32 (ISO 3309 / ITU-T V.42, polynomial 0xEDB88320 reflected) that PNG chunks carry.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The CRC.</returns>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static void CheckSize(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentException($"PNG: width and height must be positive, got {width}x{height}.", nameof(width));
        }
    }

    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);

        // The CRC covers the chunk type and the data, not the length.
        var typed = new byte[4 + data.Length];
        type.CopyTo(typed);
        data.CopyTo(typed.AsSpan(4));
        stream.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        stream.Write(word);
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
