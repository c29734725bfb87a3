namespace CausalVision.Imaging.Transforms;

/// <summary>
/// One image transform on a CHW float buffer. Implementations are immutable and thread-safe:
/// all randomness comes from the <see cref="Random"/> passed per call, never from shared state.
/// </summary>
public interface IImageTransform
{
    /// <summary>Applies the transform; never mutates <paramref name="image"/>.</summary>
    /// <param name="image">The input image <c>[C, H, W]</c>.</param>
    /// <param name="random">The per-sample random source (unused by deterministic transforms).</param>
    /// <returns>A new image.</returns>
    ImageBuffer Apply(ImageBuffer image, Random random);
}
