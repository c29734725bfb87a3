namespace CausalVision.Imaging.Transforms;

/// <summary>
/// Crops the centre <c>height x width</c> region; the offset is <c>round((H - h) / 2)</c> (as
/// torchvision). Where the image is smaller than the crop, the missing pixels are 0 (torchvision
/// pads with zeros too).
/// </summary>
/// <remarks>Shapes: <c>[C, H, W] -> [C, height, width]</c>.</remarks>
public sealed class CenterCrop : IImageTransform
{
    private readonly int height;
    private readonly int width;

    /// <summary>Initializes a new instance of the <see cref="CenterCrop"/> class with a square crop.</summary>
    /// <param name="size">The crop side (at least 1).</param>
    public CenterCrop(int size)
        : this(size, size)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CenterCrop"/> class.</summary>
    /// <param name="height">The crop height (at least 1).</param>
    /// <param name="width">The crop width (at least 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public CenterCrop(int height, int width)
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
        var top = (int)Math.Round((image.Height - height) / 2.0, MidpointRounding.ToEven);
        var left = (int)Math.Round((image.Width - width) / 2.0, MidpointRounding.ToEven);
        return ImageOps.Crop(image, top, left, height, width);
    }
}
