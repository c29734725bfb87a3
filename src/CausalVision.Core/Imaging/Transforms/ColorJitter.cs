namespace CausalVision.Imaging.Transforms;

/// <summary>
/// torchvision's <c>ColorJitter</c> without hue: brightness, contrast and saturation factors are
/// drawn uniformly from <c>[max(0, 1 - v), 1 + v]</c> and applied in a random order:
/// brightness <c>x f</c>; contrast <c>f x + (1 - f) mean(gray(x))</c>; saturation
/// <c>f x + (1 - f) gray(x)</c>; each result clamped to [0, 1]. Gray is the ITU-R 601-2 luma.
/// A zero strength is skipped (no draw). Saturation is a no-op on 1-channel images.
/// </summary>
/// <remarks>Shapes: <c>[C, H, W] -> [C, H, W]</c>; expects values in [0, 1] (apply before <see cref="Normalize"/>).</remarks>
public sealed class ColorJitter : IImageTransform
{
    /// <summary>Initializes a new instance of the <see cref="ColorJitter"/> class.</summary>
    /// <param name="brightness">Brightness strength, &gt;= 0. <value>0</value>.</param>
    /// <param name="contrast">Contrast strength, &gt;= 0. <value>0</value>.</param>
    /// <param name="saturation">Saturation strength, &gt;= 0. <value>0</value>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A strength is negative or not finite.</exception>
    public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0)
    {
        Check(brightness, nameof(brightness));
        Check(contrast, nameof(contrast));
        Check(saturation, nameof(saturation));
        Brightness = brightness;
        Contrast = contrast;
        Saturation = saturation;
    }

    /// <summary>Gets the brightness strength.</summary>
    public double Brightness { get; }

    /// <summary>Gets the contrast strength.</summary>
    public double Contrast { get; }

    /// <summary>Gets the saturation strength.</summary>
    public double Saturation { get; }

    /// <inheritdoc />
    public ImageBuffer Apply(ImageBuffer image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        int[] order = [0, 1, 2];
        random.Shuffle(order);
        var output = image.Clone();
        foreach (var op in order)
        {
            var strength = op switch { 0 => Brightness, 1 => Contrast, _ => Saturation };
            if (strength <= 0)
            {
                continue;
            }

            var low = Math.Max(0, 1 - strength);
            var factor = (float)(low + (random.NextDouble() * (1 + strength - low)));
            switch (op)
            {
                case 0:
                    AdjustBrightness(output, factor);
                    break;
                case 1:
                    AdjustContrast(output, factor);
                    break;
                default:
                    AdjustSaturation(output, factor);
                    break;
            }
        }

        return output;
    }

    /// <summary>Multiplies by <paramref name="factor"/> and clamps to [0, 1], in place.</summary>
    /// <param name="image">The image.</param>
    /// <param name="factor">The factor (&gt;= 0).</param>
    public static void AdjustBrightness(ImageBuffer image, float factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        var d = image.Data;
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = Math.Clamp(d[i] * factor, 0f, 1f);
        }
    }

    /// <summary>Blends with the mean luma: <c>f x + (1 - f) m</c>, clamped, in place.</summary>
    /// <param name="image">The image.</param>
    /// <param name="factor">The factor (&gt;= 0).</param>
    public static void AdjustContrast(ImageBuffer image, float factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        var gray = ImageOps.Luma(image);
        double sum = 0;
        foreach (var g in gray)
        {
            sum += g;
        }

        var mean = (float)(sum / gray.Length);
        var d = image.Data;
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = Math.Clamp((factor * d[i]) + ((1f - factor) * mean), 0f, 1f);
        }
    }

    /// <summary>Blends each pixel with its luma: <c>f x + (1 - f) gray</c>, clamped, in place (3-channel only).</summary>
    /// <param name="image">The image.</param>
    /// <param name="factor">The factor (&gt;= 0).</param>
    public static void AdjustSaturation(ImageBuffer image, float factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels < 3)
        {
            return;
        }

        var gray = ImageOps.Luma(image);
        var plane = gray.Length;
        var d = image.Data;
        for (var c = 0; c < image.Channels; c++)
        {
            for (var i = 0; i < plane; i++)
            {
                var k = (c * plane) + i;
                d[k] = Math.Clamp((factor * d[k]) + ((1f - factor) * gray[i]), 0f, 1f);
            }
        }
    }

    private static void Check(double value, string name)
    {
        if (!(value >= 0) || !double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "Jitter strength must be finite and >= 0.");
        }
    }
}
