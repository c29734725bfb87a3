namespace CausalVision.Imaging.Transforms;

/// <summary>
/// Crops a <c>height x width</c> region at a uniformly random position, after optional zero
/// padding of <c>padding</c> pixels on every side (torchvision's <c>RandomCrop</c>).
/// </summary>
/// <remarks>Shapes: <c>[C, H, W] -> [C, height, width]</c>. An image smaller than the padded crop gives an <see cref="ArgumentException"/>.</remarks>
public sealed class RandomCrop : IImageTransform
{
    private readonly int height;
    private readonly int width;
    private readonly int padding;

    /// <summary>Initializes a new instance of the <see cref="RandomCrop"/> class.</summary>
    /// <param name="height">The crop height (at least 1).</param>
    /// <param name="width">The crop width (at least 1).</param>
    /// <param name="padding">Zero padding on each side. <value>0</value>.</param>
    public RandomCrop(int height, int width, int padding = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        this.height = height;
        this.width = width;
        this.padding = padding;
    }

    /// <inheritdoc />
    public ImageBuffer Apply(ImageBuffer image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        var h = image.Height + (2 * padding);
        var w = image.Width + (2 * padding);
        if (h < height || w < width)
        {
            throw new ArgumentException($"RandomCrop {height}x{width} is larger than the (padded) image {h}x{w}.", nameof(image));
        }

        var top = random.Next(h - height + 1) - padding;
        var left = random.Next(w - width + 1) - padding;
        return ImageOps.Crop(image, top, left, height, width);
    }
}
