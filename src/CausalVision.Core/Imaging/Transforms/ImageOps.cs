// Shared pixel kernels: bilinear resampling (PyTorch's align_corners=False convention) and cropping.
namespace CausalVision.Imaging.Transforms;

/// <summary>Pixel kernels shared by the transforms.</summary>
internal static class ImageOps
{
    /// <summary>
    /// Bilinear resize with PyTorch's <c>interpolate(mode="bilinear", align_corners=False)</c>
    /// source-index rule: <c>src = max(0, (dst + 0.5) * in / out - 0.5)</c>, no antialiasing.
    /// </summary>
    public static ImageBuffer ResizeBilinear(ImageBuffer image, int height, int width)
    {
        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"Resize target must be positive, got {height}x{width}.");
        }

        if (height == image.Height && width == image.Width)
        {
            return image.Clone();
        }

        var (y0, y1, wy) = Indices(image.Height, height);
        var (x0, x1, wx) = Indices(image.Width, width);
        var output = new ImageBuffer(image.Channels, height, width);
        var src = image.Data;
        var dst = output.Data;
        for (var c = 0; c < image.Channels; c++)
        {
            var inBase = c * image.Height * image.Width;
            var outBase = c * height * width;
            for (var y = 0; y < height; y++)
            {
                var row0 = inBase + (y0[y] * image.Width);
                var row1 = inBase + (y1[y] * image.Width);
                var ly = wy[y];
                for (var x = 0; x < width; x++)
                {
                    var lx = wx[x];
                    var top = (src[row0 + x0[x]] * (1f - lx)) + (src[row0 + x1[x]] * lx);
                    var bottom = (src[row1 + x0[x]] * (1f - lx)) + (src[row1 + x1[x]] * lx);
                    dst[outBase + (y * width) + x] = (top * (1f - ly)) + (bottom * ly);
                }
            }
        }

        return output;
    }

    /// <summary>
    /// Resizes the window rows [top, top+height) x columns [left, left+width) of <paramref name="image"/> (which must lie
    /// inside it) to <paramref name="outHeight"/> x <paramref name="outWidth"/>: bit for bit
    /// <c>ResizeBilinear(Crop(image, top, left, height, width), outHeight, outWidth)</c>, without the intermediate crop.
    /// </summary>
    public static ImageBuffer ResizeBilinearWindow(ImageBuffer image, int top, int left, int height, int width, int outHeight, int outWidth)
    {
        if (outHeight < 1 || outWidth < 1)
        {
            throw new ArgumentException($"Resize target must be positive, got {outHeight}x{outWidth}.");
        }

        if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > image.Height || left + width > image.Width)
        {
            throw new ArgumentException($"The window {height}x{width} at ({top}, {left}) must lie inside the {image.Height}x{image.Width} image.");
        }

        if (height == outHeight && width == outWidth)
        {
            return Crop(image, top, left, height, width);
        }

        var (y0, y1, wy) = Indices(height, outHeight);
        var (x0, x1, wx) = Indices(width, outWidth);
        var output = new ImageBuffer(image.Channels, outHeight, outWidth);
        var src = image.Data;
        var dst = output.Data;
        for (var c = 0; c < image.Channels; c++)
        {
            var inBase = (c * image.Height * image.Width) + left;
            var outBase = c * outHeight * outWidth;
            for (var y = 0; y < outHeight; y++)
            {
                // The same expressions as ResizeBilinear, reading the window in place.
                var row0 = inBase + ((top + y0[y]) * image.Width);
                var row1 = inBase + ((top + y1[y]) * image.Width);
                var ly = wy[y];
                for (var x = 0; x < outWidth; x++)
                {
                    var lx = wx[x];
                    var upper = (src[row0 + x0[x]] * (1f - lx)) + (src[row0 + x1[x]] * lx);
                    var lower = (src[row1 + x0[x]] * (1f - lx)) + (src[row1 + x1[x]] * lx);
                    dst[outBase + (y * outWidth) + x] = (upper * (1f - ly)) + (lower * ly);
                }
            }
        }

        return output;
    }

    /// <summary>Crops rows [top, top+height) and columns [left, left+width); pixels outside the image are 0.</summary>
    public static ImageBuffer Crop(ImageBuffer image, int top, int left, int height, int width)
    {
        var output = new ImageBuffer(image.Channels, height, width);
        for (var c = 0; c < image.Channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                var sy = top + y;
                if (sy < 0 || sy >= image.Height)
                {
                    continue;
                }

                for (var x = 0; x < width; x++)
                {
                    var sx = left + x;
                    if (sx >= 0 && sx < image.Width)
                    {
                        output[c, y, x] = image[c, sy, sx];
                    }
                }
            }
        }

        return output;
    }

    /// <summary>Grayscale plane (ITU-R 601-2 luma) of a 3-channel image; the channel itself for 1 channel.</summary>
    public static float[] Luma(ImageBuffer image)
    {
        var plane = image.Height * image.Width;
        var gray = new float[plane];
        if (image.Channels < 3)
        {
            Array.Copy(image.Data, gray, plane);
            return gray;
        }

        for (var i = 0; i < plane; i++)
        {
            gray[i] = (ImageDecoder.LumaR * image.Data[i]) + (ImageDecoder.LumaG * image.Data[plane + i]) + (ImageDecoder.LumaB * image.Data[(2 * plane) + i]);
        }

        return gray;
    }

    private static (int[] Lo, int[] Hi, float[] Weight) Indices(int inSize, int outSize)
    {
        var lo = new int[outSize];
        var hi = new int[outSize];
        var weight = new float[outSize];
        var scale = (double)inSize / outSize;
        for (var i = 0; i < outSize; i++)
        {
            var src = Math.Max(0.0, ((i + 0.5) * scale) - 0.5);
            var i0 = Math.Min((int)src, inSize - 1);
            lo[i] = i0;
            hi[i] = i0 < inSize - 1 ? i0 + 1 : i0;
            weight[i] = (float)(src - i0);
        }

        return (lo, hi, weight);
    }
}
