// Draws VSCNet's located regions on the image (Meng et al., AAAI 2025, Figure 5): each region is the affine image of
// the sampling grid, i.e. of the square [-1, 1]^2 under theta_j (eq. 2), mapped from normalised coordinates to pixels
// with the align_corners = false convention of affine_grid/grid_sample; the region's top tag labels it. PNG output
// through SkiaSharp.
using SkiaSharp;
using static TorchSharp.torch;

namespace CausalVision.Vscnet;

/// <summary>Options of <see cref="RegionRenderer"/>.</summary>
public sealed class RegionRendererOptions
{
    /// <summary>Gets or sets the output scale factor (nearest-neighbour upscaling of small images).</summary>
    /// <value>Default 1.</value>
    public int Scale { get; set; } = 1;

    /// <summary>Gets or sets the outline width in output pixels.</summary>
    /// <value>Default 2.</value>
    public float StrokeWidth { get; set; } = 2;

    /// <summary>Gets or sets the label text size in output pixels.</summary>
    /// <value>Default 12.</value>
    public float TextSize { get; set; } = 12;

    /// <summary>Gets or sets a value indicating whether the label uses the refined tag (t_f) when available.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool PreferRefinedTags { get; set; } = true;
}

/// <summary>Renders the regions of a <see cref="VscNetExplanation"/> on its image and writes PNG.</summary>
public static class RegionRenderer
{
    private static readonly SKColor[] Palette =
    {
        new(230, 25, 75), new(60, 180, 75), new(255, 225, 25), new(0, 130, 200), new(245, 130, 48),
        new(145, 30, 180), new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212),
    };

    /// <summary>Maps a region's affine matrix to the four corners of the sampled area in pixel coordinates of an image
    /// of <paramref name="width"/> x <paramref name="height"/>: corner (x_o, y_o) in {-1, 1}^2 goes to
    /// <c>x_n = t11 x_o + t12 y_o + t13</c>, <c>y_n = t21 x_o + t22 y_o + t23</c>, then <c>px = ((x_n + 1) W - 1) / 2</c>
    /// (align_corners = false), to pixel centres. The identity maps to the whole image, <c>(-0.5, -0.5)</c> to
    /// <c>(W - 0.5, H - 0.5)</c>.</summary>
    /// <param name="theta">Six values <c>[t11, t12, t13, t21, t22, t23]</c>.</param>
    /// <param name="width">Image width W.</param>
    /// <param name="height">Image height H.</param>
    /// <returns>Corners in order top-left, top-right, bottom-right, bottom-left (of the output grid).</returns>
    /// <exception cref="ArgumentException">theta does not have 6 finite values, or a size is not positive.</exception>
    public static (float X, float Y)[] Corners(IReadOnlyList<float> theta, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(theta);
        if (theta.Count != 6 || theta.Any(v => !float.IsFinite(v)))
        {
            throw new ArgumentException("theta must hold 6 finite values [t11, t12, t13, t21, t22, t23].", nameof(theta));
        }

        if (width <= 0 || height <= 0)
        {
            throw new ArgumentException($"The image size must be positive but is {width} x {height}.", nameof(width));
        }

        var result = new (float X, float Y)[4];
        var corners = new (float X, float Y)[] { (-1, -1), (1, -1), (1, 1), (-1, 1) };
        for (var i = 0; i < 4; i++)
        {
            var (xo, yo) = corners[i];
            var xn = (theta[0] * xo) + (theta[1] * yo) + theta[2];
            var yn = (theta[3] * xo) + (theta[4] * yo) + theta[5];
            result[i] = ((((xn + 1) * width) - 1) / 2, (((yn + 1) * height) - 1) / 2);
        }

        return result;
    }

    /// <summary>Renders the regions on the image and returns PNG bytes of size <c>(W * Scale) x (H * Scale)</c>.</summary>
    /// <param name="image">The image <c>[3, H, W]</c> or <c>[1, H, W]</c>, any range (scaled to [0, 1] by its min and max).</param>
    /// <param name="explanation">The image's explanation from <see cref="VscNet.Explain"/>.</param>
    /// <param name="options">Options; <see langword="null"/> means the defaults.</param>
    /// <returns>PNG bytes.</returns>
    /// <exception cref="ArgumentException">The image is not <c>[C, H, W]</c> with 1 or 3 channels, or options are invalid.</exception>
    public static byte[] RenderPng(Tensor image, VscNetExplanation explanation, RegionRendererOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(explanation);
        options ??= new RegionRendererOptions();
        if (options.Scale < 1 || options.Scale > 64 || !(options.StrokeWidth > 0) || !(options.TextSize > 0))
        {
            throw new ArgumentException("RegionRendererOptions: Scale must lie in [1, 64], StrokeWidth and TextSize must be positive.", nameof(options));
        }

        if (image.dim() != 3 || (image.shape[0] != 1 && image.shape[0] != 3))
        {
            throw new ArgumentException($"image must be [3, H, W] or [1, H, W] but has shape [{string.Join(", ", image.shape)}].", nameof(image));
        }

        var h = (int)image.shape[1];
        var w = (int)image.shape[2];
        float[] pixels;
        using (var scope = NewDisposeScope())
        {
            var x = image.to(ScalarType.Float32).cpu().expand(3, h, w);
            var lo = x.min();
            var range = (x.max() - lo).clamp_min(1e-12);
            pixels = ((x - lo) / range).nan_to_num().contiguous().data<float>().ToArray();
        }

        var s = options.Scale;
        using var bitmap = new SKBitmap(w * s, h * s, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (var yy = 0; yy < h * s; yy++)
        {
            for (var xx = 0; xx < w * s; xx++)
            {
                var i = ((yy / s) * w) + (xx / s);
                byte C(int c) => (byte)Math.Clamp((int)MathF.Round(pixels[(c * h * w) + i] * 255), 0, 255);
                bitmap.SetPixel(xx, yy, new SKColor(C(0), C(1), C(2)));
            }
        }

        using (var canvas = new SKCanvas(bitmap))
        {
            for (var j = 0; j < explanation.Regions.Count; j++)
            {
                var region = explanation.Regions[j];
                var color = Palette[j % Palette.Length];
                using var stroke = new SKPaint { Color = color, Style = SKPaintStyle.Stroke, StrokeWidth = options.StrokeWidth, IsAntialias = true };
                var corners = Corners(region.Theta, w, h);
                using var path = new SKPath();
                path.MoveTo((corners[0].X + 0.5f) * s, (corners[0].Y + 0.5f) * s);
                for (var c = 1; c < 4; c++)
                {
                    path.LineTo((corners[c].X + 0.5f) * s, (corners[c].Y + 0.5f) * s);
                }

                path.Close();
                canvas.DrawPath(path, stroke);
                var tags = options.PreferRefinedTags && region.TagsAfter.Count > 0 ? region.TagsAfter : region.TagsBefore;
                if (tags.Count > 0)
                {
                    using var text = new SKPaint { Color = color, IsAntialias = true };
                    using var font = new SKFont { Size = options.TextSize };
                    var label = $"{j + 1}: {tags[0].Name} {tags[0].Probability:0.00}";
                    canvas.DrawText(label, (corners[0].X + 0.5f) * s + 2, ((corners[0].Y + 0.5f) * s) + options.TextSize, SKTextAlign.Left, font, text);
                }
            }
        }

        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>Renders the regions on the image and writes a PNG file (atomically: temporary file, then rename).</summary>
    /// <param name="image">The image <c>[3, H, W]</c> or <c>[1, H, W]</c>.</param>
    /// <param name="explanation">The image's explanation.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="options">Options; <see langword="null"/> means the defaults.</param>
    /// <exception cref="ArgumentException">Bad image, options or path.</exception>
    public static void Save(Tensor image, VscNetExplanation explanation, string path, RegionRendererOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        WriteAtomically(path, RenderPng(image, explanation, options));
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> through a temporary file and a rename, creating the folder.</summary>
    internal static void WriteAtomically(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, full, overwrite: true);
    }
}
