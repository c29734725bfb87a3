namespace CausalVision.Imaging.Transforms;

/// <summary>
/// Per-channel standardisation <c>(x - mean_c) / std_c</c>; defaults are the ImageNet statistics
/// torchvision's pretrained weights expect.
/// </summary>
/// <remarks>Shapes: <c>[C, H, W] -> [C, H, W]</c>; C must equal the number of means.</remarks>
public sealed class Normalize : IImageTransform
{
    /// <summary>The ImageNet channel means (R, G, B).</summary>
    public static readonly IReadOnlyList<float> ImageNetMean = [0.485f, 0.456f, 0.406f];

    /// <summary>The ImageNet channel standard deviations (R, G, B).</summary>
    public static readonly IReadOnlyList<float> ImageNetStd = [0.229f, 0.224f, 0.225f];

    private readonly float[] mean;
    private readonly float[] std;

    /// <summary>Initializes a new instance of the <see cref="Normalize"/> class.</summary>
    /// <param name="mean">Per-channel means. <value>ImageNet: 0.485, 0.456, 0.406</value>.</param>
    /// <param name="std">Per-channel standard deviations, all &gt; 0. <value>ImageNet: 0.229, 0.224, 0.225</value>.</param>
    /// <exception cref="ArgumentException">Lengths differ, are zero, or a value is not finite or std &lt;= 0.</exception>
    public Normalize(IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        this.mean = [.. mean ?? ImageNetMean];
        this.std = [.. std ?? ImageNetStd];
        if (this.mean.Length == 0 || this.mean.Length != this.std.Length)
        {
            throw new ArgumentException($"Mean and std must be non-empty and of equal length, got {this.mean.Length} and {this.std.Length}.");
        }

        if (this.mean.Any(m => !float.IsFinite(m)) || this.std.Any(s => !(s > 0) || !float.IsFinite(s)))
        {
            throw new ArgumentException("Mean values must be finite and std values finite and > 0.");
        }
    }

    /// <summary>Gets the per-channel means.</summary>
    public IReadOnlyList<float> Mean => mean;

    /// <summary>Gets the per-channel standard deviations.</summary>
    public IReadOnlyList<float> Std => std;

    /// <inheritdoc />
    public ImageBuffer Apply(ImageBuffer image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels != mean.Length)
        {
            throw new ArgumentException($"Normalize has {mean.Length} channel statistics but the image has {image.Channels} channels.", nameof(image));
        }

        var output = new ImageBuffer(image.Channels, image.Height, image.Width);
        var plane = image.Height * image.Width;
        for (var c = 0; c < image.Channels; c++)
        {
            var m = mean[c];
            var inv = 1f / std[c];
            var source = image.Data.AsSpan(c * plane, plane);
            var target = output.Data.AsSpan(c * plane, plane);

            // (x - m) * inv lane by lane: the same IEEE operations as the scalar loop, so the same bits.
            var i = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                var mv = new System.Numerics.Vector<float>(m);
                var iv = new System.Numerics.Vector<float>(inv);
                var lanes = System.Numerics.Vector<float>.Count;
                for (; i <= plane - lanes; i += lanes)
                {
                    ((new System.Numerics.Vector<float>(source[i..]) - mv) * iv).CopyTo(target[i..]);
                }
            }

            for (; i < plane; i++)
            {
                target[i] = (source[i] - m) * inv;
            }
        }

        return output;
    }
}
