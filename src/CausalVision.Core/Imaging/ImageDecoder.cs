// Image decoding and encoding with SkiaSharp (the codec TorchSharp's own image helpers use).
using SkiaSharp;
using TorchSharp;

namespace CausalVision.Imaging;

/// <summary>
/// Decodes JPEG/PNG (and the other formats SkiaSharp reads: BMP, GIF, WebP) into float32 CHW
/// images in [0, 1], and encodes PNG/JPEG for fixtures, renderers and dataset writers.
/// </summary>
/// <remarks>
/// Colour: 8-bit RGB channels divided by 255 (alpha is dropped, not composited). Grayscale:
/// the ITU-R 601-2 luma <c>L = 0.299 R + 0.587 G + 0.114 B</c> (what PIL's <c>convert("L")</c>
/// and torchvision's <c>rgb_to_grayscale</c> use), computed in float without rounding to 8 bits.
/// A file that is corrupt, truncated or in an unsupported format gives
/// <see cref="InvalidDataException"/> naming the file. Pixel budget: an image whose header declares
/// more than <c>maxPixels</c> pixels (default <see cref="DefaultMaxPixels"/>) is refused before any
/// pixel memory is allocated (a 420 KB PNG can declare 12000x12000). Thread-safe.
/// </remarks>
public static class ImageDecoder
{
    /// <summary>The default pixel budget: 64 megapixels (e.g. 8000x8000), 1 GB of decoded float RGB.</summary>
    public const long DefaultMaxPixels = 64_000_000;

    /// <summary>The luma weights used for grayscale (R, G, B).</summary>
    internal const float LumaR = 0.299f;

    /// <summary>The green luma weight.</summary>
    internal const float LumaG = 0.587f;

    /// <summary>The blue luma weight.</summary>
    internal const float LumaB = 0.114f;

    /// <summary>Decodes an image file.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="grayscale">True for one luma channel; false (default) for RGB.</param>
    /// <returns>The image, <c>[3 or 1, H, W]</c> in [0, 1].</returns>
    /// <exception cref="InvalidDataException">The file is missing, corrupt or not a supported image.</exception>
    public static ImageBuffer DecodeFile(string path, bool grayscale = false) => DecodeFile(path, grayscale, DefaultMaxPixels);

    /// <summary>Decodes an image file within a pixel budget.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="grayscale">True for one luma channel; false for RGB.</param>
    /// <param name="maxPixels">The largest width x height accepted, checked from the header before decoding.</param>
    /// <returns>The image, <c>[3 or 1, H, W]</c> in [0, 1].</returns>
    /// <exception cref="InvalidDataException">The file is missing, corrupt, not a supported image, or larger than <paramref name="maxPixels"/>.</exception>
    public static ImageBuffer DecodeFile(string path, bool grayscale, long maxPixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Image file '{path}' cannot be read: {ex.Message}", ex);
        }

        return Decode(bytes, grayscale, path, maxPixels);
    }

    /// <summary>Decodes an encoded image held in memory.</summary>
    /// <param name="encoded">The PNG/JPEG/... bytes.</param>
    /// <param name="grayscale">True for one luma channel; false (default) for RGB.</param>
    /// <param name="sourceName">A name for error messages (e.g. the file path).</param>
    /// <returns>The image, <c>[3 or 1, H, W]</c> in [0, 1].</returns>
    /// <exception cref="InvalidDataException">The bytes are corrupt or not a supported image.</exception>
    public static ImageBuffer Decode(ReadOnlySpan<byte> encoded, bool grayscale = false, string sourceName = "<memory>") =>
        Decode(encoded, grayscale, sourceName, DefaultMaxPixels);

    /// <summary>Decodes an encoded image held in memory within a pixel budget.</summary>
    /// <param name="encoded">The PNG/JPEG/... bytes.</param>
    /// <param name="grayscale">True for one luma channel; false for RGB.</param>
    /// <param name="sourceName">A name for error messages (e.g. the file path).</param>
    /// <param name="maxPixels">The largest width x height accepted, checked from the header before decoding.</param>
    /// <returns>The image, <c>[3 or 1, H, W]</c> in [0, 1].</returns>
    /// <exception cref="InvalidDataException">The bytes are corrupt, not a supported image, or declare more than <paramref name="maxPixels"/> pixels.</exception>
    public static ImageBuffer Decode(ReadOnlySpan<byte> encoded, bool grayscale, string sourceName, long maxPixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        if (encoded.IsEmpty)
        {
            throw new InvalidDataException($"Image '{sourceName}' is empty (0 bytes).");
        }

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"Image '{sourceName}' is corrupt or not a supported format (JPEG, PNG, BMP, GIF, WebP).");
        var width = codec.Info.Width;
        var height = codec.Info.Height;
        if (width < 1 || height < 1)
        {
            throw new InvalidDataException($"Image '{sourceName}' has an invalid size {width}x{height}.");
        }

        if ((long)width * height > maxPixels)
        {
            throw new InvalidDataException($"Image '{sourceName}' is {width}x{height} = {(long)width * height:N0} pixels, over the budget of {maxPixels:N0} (DatasetLoadOptions.MaxImagePixels); it was not decoded.");
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            throw new InvalidDataException($"Image '{sourceName}' cannot be decoded ({result}): the file is truncated or corrupt.");
        }

        return FromRgba(bitmap.GetPixelSpan(), height, width, grayscale);
    }

    /// <summary>Decodes an image file straight into a tensor <c>[C, H, W]</c>; the caller disposes it.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="grayscale">True for one luma channel.</param>
    /// <returns>The float32 tensor in [0, 1].</returns>
    /// <exception cref="InvalidDataException">The file is missing, corrupt or not a supported image.</exception>
    public static torch.Tensor DecodeFileToTensor(string path, bool grayscale = false) => DecodeFile(path, grayscale).ToTensor();

    /// <summary>Reads an image's size from its header without decoding the pixels.</summary>
    /// <param name="path">The file path.</param>
    /// <returns>(height, width).</returns>
    /// <exception cref="InvalidDataException">The file is missing, or its header is not a supported image.</exception>
    public static (int Height, int Width) ReadSize(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"Image file '{path}' does not exist.");
        }

        using var codec = SKCodec.Create(path)
            ?? throw new InvalidDataException($"Image '{path}' is corrupt or not a supported format (JPEG, PNG, BMP, GIF, WebP).");
        return (codec.Info.Height, codec.Info.Width);
    }

    /// <summary>Encodes an image as PNG (lossless, 8 bits per channel, values clamped to [0, 1] and rounded half away
    /// from zero).</summary>
    /// <param name="image">A 1- or 3-channel image in [0, 1].</param>
    /// <returns>The PNG bytes.</returns>
    /// <exception cref="ArgumentException">The image does not have 1 or 3 channels, or has NaN values.</exception>
    public static byte[] EncodePng(ImageBuffer image) => Encode(image, SKEncodedImageFormat.Png, 100);

    /// <summary>Encodes an image as JPEG.</summary>
    /// <param name="image">A 1- or 3-channel image in [0, 1].</param>
    /// <param name="quality">The JPEG quality, 1..100. <value>95</value>.</param>
    /// <returns>The JPEG bytes.</returns>
    /// <exception cref="ArgumentException">Bad channel count, NaN values, or quality out of range.</exception>
    public static byte[] EncodeJpeg(ImageBuffer image, int quality = 95)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        return Encode(image, SKEncodedImageFormat.Jpeg, quality);
    }

    /// <summary>Writes an image as a PNG file (creating its folder).</summary>
    /// <param name="image">A 1- or 3-channel image in [0, 1].</param>
    /// <param name="path">The destination path.</param>
    public static void SavePng(ImageBuffer image, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = EncodePng(image);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Encodes a <c>[C, H, W]</c> tensor in [0, 1] as PNG.</summary>
    /// <param name="image">The tensor; not disposed.</param>
    /// <returns>The PNG bytes.</returns>
    public static byte[] EncodePng(torch.Tensor image) => EncodePng(ImageBuffer.FromTensor(image));

    /// <summary>The byte an encoder stores for a [0, 1] intensity: clamped to [0, 1], times 255, rounded half away
    /// from zero. Decoding gives back <c>byte / 255f</c>.</summary>
    /// <param name="value">The intensity.</param>
    /// <param name="name">The argument named when the value is NaN.</param>
    /// <returns>The byte.</returns>
    /// <exception cref="ArgumentException">The value is NaN.</exception>
    internal static byte ToByte(float value, string name = "value")
    {
        if (float.IsNaN(value))
        {
            throw new ArgumentException("Image has NaN values; cannot encode.", name);
        }

        return (byte)MathF.Round(Math.Clamp(value, 0f, 1f) * 255f, MidpointRounding.AwayFromZero);
    }

    private static readonly float[] UnitBytes = [.. Enumerable.Range(0, 256).Select(v => v / 255f)];

    private static ImageBuffer FromRgba(ReadOnlySpan<byte> rgba, int height, int width, bool grayscale)
    {
        var plane = height * width;
        if (grayscale)
        {
            var gray = new float[plane];
            for (var i = 0; i < plane; i++)
            {
                var p = i * 4;
                gray[i] = ((LumaR * rgba[p]) + (LumaG * rgba[p + 1]) + (LumaB * rgba[p + 2])) / 255f;
            }

            return new ImageBuffer(1, height, width, gray);
        }

        // A table of the 256 values b / 255f: the same floats as dividing, without a division per channel.
        var unit = UnitBytes;
        var data = new float[3 * plane];
        var r = data.AsSpan(0, plane);
        var g = data.AsSpan(plane, plane);
        var b = data.AsSpan(2 * plane, plane);
        for (var i = 0; i < plane; i++)
        {
            var p = i * 4;
            r[i] = unit[rgba[p]];
            g[i] = unit[rgba[p + 1]];
            b[i] = unit[rgba[p + 2]];
        }

        return new ImageBuffer(3, height, width, data);
    }

    private static byte[] Encode(ImageBuffer image, SKEncodedImageFormat format, int quality)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels is not (1 or 3))
        {
            throw new ArgumentException($"Only 1- or 3-channel images can be encoded, got {image.Channels} channels.", nameof(image));
        }

        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var plane = image.Height * image.Width;
        var pixels = new byte[plane * 4];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                pixels[(i * 4) + c] = ToByte(image.Data[(image.Channels == 1 ? 0 : c * plane) + i], nameof(image));
            }

            pixels[(i * 4) + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var encoded = bitmap.Encode(format, quality)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode {format}.");
        return encoded.ToArray();
    }
}
