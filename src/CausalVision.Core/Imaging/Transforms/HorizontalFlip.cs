namespace CausalVision.Imaging.Transforms;

/// <summary>Mirrors the image left-right with probability <c>p</c> (one draw per call).</summary>
/// <remarks>Shapes: <c>[C, H, W] -> [C, H, W]</c>.</remarks>
public sealed class HorizontalFlip : IImageTransform
{
    /// <summary>Initializes a new instance of the <see cref="HorizontalFlip"/> class.</summary>
    /// <param name="probability">The flip probability in [0, 1]. <value>0.5</value>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The probability is outside [0, 1] or NaN.</exception>
    public HorizontalFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Flip probability must be in [0, 1].");
        }

        Probability = probability;
    }

    /// <summary>Gets the flip probability.</summary>
    public double Probability { get; }

    /// <inheritdoc />
    public ImageBuffer Apply(ImageBuffer image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        if (random.NextDouble() >= Probability)
        {
            return image.Clone();
        }

        return Flip(image);
    }

    /// <summary>Mirrors an image left-right (deterministic).</summary>
    /// <param name="image">The image.</param>
    /// <returns>The mirrored copy.</returns>
    public static ImageBuffer Flip(ImageBuffer image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var output = new ImageBuffer(image.Channels, image.Height, image.Width);
        var w = image.Width;
        for (var row = 0; row < image.Channels * image.Height; row++)
        {
            var b = row * w;
            for (var x = 0; x < w; x++)
            {
                output.Data[b + x] = image.Data[b + w - 1 - x];
            }
        }

        return output;
    }
}
