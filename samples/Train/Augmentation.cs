// The --augment choice of samples/Train: one training recipe for every model, with defaults that
// never cut labelled content out of multi-label or tagged images.
using System.Globalization;
using CausalVision.Data;
using CausalVision.Imaging.Transforms;

namespace CausalVision.Samples.Train;

/// <summary>Builds the training transform from <c>--augment</c> and <c>--crop-scale</c>.</summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>none</c>: the evaluation transform (resize, centre crop for photos, normalise).</item>
/// <item><c>flip</c>: the evaluation transform plus a horizontal flip with probability 0.5.</item>
/// <item><c>crop+flip</c>: <see cref="RandomResizedCrop"/> with area scale in [min, max] (default
/// [0.5, 1]) and aspect ratio in [3/4, 4/3], then the flip.</item>
/// <item><c>imagenet</c>: the ImageNet recipe, a random resized crop of scale [0.08, 1] (or
/// <c>--crop-scale</c>) and the flip.</item>
/// </list>
/// Default (<c>auto</c>): <c>flip</c> for fixed-size data and for multi-label or tagged data,
/// whose labels (and tags) name objects that a random crop down to 8 % of the area would cut out
/// while keeping their labels; <c>imagenet</c> for single-label photos without tags (as before).
/// Every model of a run gets the same training transform.
/// </remarks>
public static class Augmentation
{
    /// <summary>The accepted names.</summary>
    public static readonly string[] Names = ["auto", "none", "flip", "crop+flip", "imagenet"];

    /// <summary>Resolves <c>auto</c> for a dataset.</summary>
    /// <param name="name">The requested name.</param>
    /// <param name="info">The training data's description.</param>
    /// <param name="fixedSize">Whether all images already share one size.</param>
    /// <returns>The concrete name.</returns>
    public static string Resolve(string name, DatasetInfo info, bool fixedSize)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (name != "auto")
        {
            return name;
        }

        return fixedSize || info.MultiLabel || info.TagCount > 0 ? "flip" : "imagenet";
    }

    /// <summary>Builds the training transform.</summary>
    /// <param name="name">A concrete name (not <c>auto</c>).</param>
    /// <param name="size">The image side.</param>
    /// <param name="fixedSize">Whether the images share one size (resize only, no centre crop, for none / flip).</param>
    /// <param name="scale">Crop area bounds, or null for the name's default.</param>
    /// <returns>The transform and a one-line description for the report.</returns>
    /// <exception cref="UsageException">An unknown name.</exception>
    public static (IImageTransform Transform, string Description) Build(string name, int size, bool fixedSize, (double Min, double Max)? scale)
    {
        IImageTransform[] Eval() => fixedSize
            ? [new Resize(size, size)]
            : [new Resize((int)Math.Round(size * 256.0 / 224.0)), new CenterCrop(size)];
        string S(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        switch (name)
        {
            case "none":
                return (new TransformPipeline([.. Eval(), new Normalize()]), "none (evaluation transform)");
            case "flip":
                return (new TransformPipeline([.. Eval(), new HorizontalFlip(0.5), new Normalize()]), "flip (p 0.5), no crop");
            case "crop+flip":
            case "imagenet":
                var (lo, hi) = scale ?? (name == "imagenet" ? (0.08, 1.0) : (0.5, 1.0));
                return (new TransformPipeline(new RandomResizedCrop(size, lo, hi), new HorizontalFlip(0.5), new Normalize()),
                    $"{name}: random resized crop, area scale [{S(lo)}, {S(hi)}], ratio [3/4, 4/3], flip (p 0.5)");
            default:
                throw new UsageException($"--augment must be one of {string.Join(", ", Names)}; got '{name}'.");
        }
    }

    /// <summary>Parses <c>--crop-scale MIN,MAX</c> (0 &lt; MIN &lt;= MAX &lt;= 1).</summary>
    /// <param name="text">The option value, or null.</param>
    /// <returns>The bounds, or null.</returns>
    /// <exception cref="UsageException">Malformed or out-of-range bounds.</exception>
    public static (double Min, double Max)? ParseScale(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split(',');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lo)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var hi)
            && lo > 0 && lo <= hi && hi <= 1)
        {
            return (lo, hi);
        }

        throw new UsageException($"--crop-scale must be MIN,MAX with 0 < MIN <= MAX <= 1, e.g. 0.5,1; got '{text}'.");
    }
}
