namespace CausalVision.Imaging.Transforms;

/// <summary>
/// torchvision's <c>RandomResizedCrop</c>: up to 10 tries draw an area fraction
/// <c>s ~ U(scale)</c> and a log-uniform aspect ratio <c>r ~ exp(U(log ratio))</c>, giving
/// <c>w = round(sqrt(s A r))</c>, <c>h = round(sqrt(s A / r))</c>; the first crop that fits is
/// taken at a uniform position; otherwise a centre crop clamped to the ratio range. The crop is
/// then resized bilinearly to <c>height x width</c>.
/// </summary>
/// <remarks>Shapes: <c>[C, H, W] -> [C, height, width]</c>.</remarks>
public sealed class RandomResizedCrop : IImageTransform
{
    private readonly int height;
    private readonly int width;
    private readonly double scaleMin;
    private readonly double scaleMax;
    private readonly double logRatioMin;
    private readonly double logRatioMax;
    private readonly double ratioMin;
    private readonly double ratioMax;

    /// <summary>Initializes a new instance of the <see cref="RandomResizedCrop"/> class.</summary>
    /// <param name="size">The square output side (at least 1).</param>
    /// <param name="scaleMin">Smallest area fraction. <value>0.08</value>.</param>
    /// <param name="scaleMax">Largest area fraction. <value>1.0</value>.</param>
    /// <param name="ratioMin">Smallest aspect ratio w/h. <value>3/4</value>.</param>
    /// <param name="ratioMax">Largest aspect ratio w/h. <value>4/3</value>.</param>
    public RandomResizedCrop(int size, double scaleMin = 0.08, double scaleMax = 1.0, double ratioMin = 3.0 / 4.0, double ratioMax = 4.0 / 3.0)
        : this(size, size, scaleMin, scaleMax, ratioMin, ratioMax)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RandomResizedCrop"/> class.</summary>
    /// <param name="height">The output height (at least 1).</param>
    /// <param name="width">The output width (at least 1).</param>
    /// <param name="scaleMin">Smallest area fraction, in (0, scaleMax].</param>
    /// <param name="scaleMax">Largest area fraction, in [scaleMin, 1].</param>
    /// <param name="ratioMin">Smallest aspect ratio, in (0, ratioMax].</param>
    /// <param name="ratioMax">Largest aspect ratio.</param>
    /// <exception cref="ArgumentException">A range is empty or out of bounds.</exception>
    public RandomResizedCrop(int height, int width, double scaleMin, double scaleMax, double ratioMin, double ratioMax)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1))
        {
            throw new ArgumentException($"Scale range must satisfy 0 < min <= max <= 1, got [{scaleMin}, {scaleMax}].");
        }

        if (!(ratioMin > 0 && ratioMin <= ratioMax && double.IsFinite(ratioMax)))
        {
            throw new ArgumentException($"Ratio range must satisfy 0 < min <= max < inf, got [{ratioMin}, {ratioMax}].");
        }

        this.height = height;
        this.width = width;
        this.scaleMin = scaleMin;
        this.scaleMax = scaleMax;
        this.ratioMin = ratioMin;
        this.ratioMax = ratioMax;
        logRatioMin = Math.Log(ratioMin);
        logRatioMax = Math.Log(ratioMax);
    }

    /// <inheritdoc />
    public ImageBuffer Apply(ImageBuffer image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        var (top, left, h, w) = SampleBox(image.Height, image.Width, random);
        // The box always lies inside the image: resample it in place (the same values as crop, then resize).
        return ImageOps.ResizeBilinearWindow(image, top, left, h, w, height, width);
    }

    /// <summary>Draws the crop box (top, left, height, width) for an image of the given size.</summary>
    /// <param name="imageHeight">The image height.</param>
    /// <param name="imageWidth">The image width.</param>
    /// <param name="random">The random source.</param>
    /// <returns>The box, always inside the image.</returns>
    public (int Top, int Left, int Height, int Width) SampleBox(int imageHeight, int imageWidth, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var area = (double)imageHeight * imageWidth;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * (scaleMin + (random.NextDouble() * (scaleMax - scaleMin)));
            var aspect = Math.Exp(logRatioMin + (random.NextDouble() * (logRatioMax - logRatioMin)));
            var w = (int)Math.Round(Math.Sqrt(target * aspect));
            var h = (int)Math.Round(Math.Sqrt(target / aspect));
            if (w > 0 && h > 0 && w <= imageWidth && h <= imageHeight)
            {
                return (random.Next(imageHeight - h + 1), random.Next(imageWidth - w + 1), h, w);
            }
        }

        var inRatio = (double)imageWidth / imageHeight;
        int fh, fw;
        if (inRatio < ratioMin)
        {
            fw = imageWidth;
            fh = Math.Max(1, (int)Math.Round(fw / ratioMin));
        }
        else if (inRatio > ratioMax)
        {
            fh = imageHeight;
            fw = Math.Max(1, (int)Math.Round(fh * ratioMax));
        }
        else
        {
            fw = imageWidth;
            fh = imageHeight;
        }

        return ((imageHeight - fh) / 2, (imageWidth - fw) / 2, fh, fw);
    }
}
