namespace CausalVision.Synthetic;

/// <summary>
/// A family of procedural background textures: the "context" of a synthetic image. Each context
/// of the benchmark is one family with its own palette and frequency (see
/// <see cref="SyntheticContext"/>); every image jitters phase, angle and period a little.
/// </summary>
public enum TextureFamily
{
    /// <summary>Straight two-tone stripes.</summary>
    Stripes,

    /// <summary>A checkerboard.</summary>
    Checks,

    /// <summary>A grid of round dots on a plain ground.</summary>
    Dots,

    /// <summary>Smooth value noise (bilinear interpolation of a hashed lattice).</summary>
    Noise,

    /// <summary>A linear gradient between two colours.</summary>
    Gradient,

    /// <summary>Sinusoidally warped, soft stripes.</summary>
    Waves,
}
