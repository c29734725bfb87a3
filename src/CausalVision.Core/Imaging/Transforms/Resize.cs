namespace CausalVision.Imaging.Transforms;

/// <summary>
/// Bilinear resize, either of the shorter side to <c>size</c> (aspect ratio kept, as
/// torchvision's <c>Resize(int)</c>: the longer side is <c>floor(size * long / short)</c>) or
/// to an exact <c>height x width</c>. Uses PyTorch's <c>align_corners=False</c> sampling without
/// antialiasing (torchvision's tensor path with <c>antialias=False</c>).
/// </summary>
/// <remarks>Shapes: <c>[C, H, W] -> [C, H', W']</c>.</remarks>
public sealed class Resize : IImageTransform
{
    private readonly int? shorterSide;
    private readonly int height;
    private readonly int width;

    /// <summary>Initializes a new instance of the <see cref="Resize"/> class that resizes the shorter side.</summary>
    /// <param name="shorterSide">The target length of the shorter side (at least 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is below 1.</exception>
    public Resize(int shorterSide)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shorterSide, 1);
        this.shorterSide = shorterSide;
    }

    /// <summary>Initializes a new instance of the <see cref="Resize"/> class that resizes to an exact size.</summary>
    /// <param name="height">The target height (at least 1).</param>
    /// <param name="width">The target width (at least 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public Resize(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        this.height = height;
        this.width = width;
    }

    /// <inheritdoc />
    public ImageBuffer Apply(ImageBuffer image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (shorterSide is not { } s)
        {
            return ImageOps.ResizeBilinear(image, height, width);
        }

        if (image.Height <= image.Width)
        {
            return ImageOps.ResizeBilinear(image, s, Math.Max(1, (int)((long)s * image.Width / image.Height)));
        }

        return ImageOps.ResizeBilinear(image, Math.Max(1, (int)((long)s * image.Height / image.Width)), s);
    }
}
