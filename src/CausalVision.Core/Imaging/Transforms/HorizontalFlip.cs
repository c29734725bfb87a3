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
        var source = image.Data;
        var target = output.Data;
        for (var row = 0; row < image.Channels * image.Height; row++)
        {
            // Copy the row, then reverse it in place (vectorised by the runtime).
            var line = target.AsSpan(row * w, w);
            source.AsSpan(row * w, w).CopyTo(line);
            line.Reverse();
        }

        return output;
    }
}
