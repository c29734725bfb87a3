using CausalVision.Imaging;
using CausalVision.Imaging.Transforms;

namespace CausalVision.Data;

/// <summary>
/// Applies a per-sample transform to another dataset, so trainers that take plain datasets (VSCNet's,
/// the causal-label trainer) can use datasets whose images differ in size. Randomness is fixed per index
/// (<see cref="TransformPipeline.SampleSeed"/> with epoch 0), so a sample renders the same on every call and
/// thread; for per-epoch augmentation give the transform to a <see cref="DataLoader"/> instead.
/// </summary>
public sealed class TransformedImageDataset : IImageDataset
{
    private readonly IImageDataset inner;
    private readonly IImageTransform transform;
    private readonly int seed;

    /// <summary>Initializes a new instance of the <see cref="TransformedImageDataset"/> class.</summary>
    /// <param name="inner">The dataset to transform (not owned).</param>
    /// <param name="transform">The transform, e.g. <c>TransformPipeline.ImageNetEval(64)</c>.</param>
    /// <param name="seed">The seed of the per-sample randomness.</param>
    public TransformedImageDataset(IImageDataset inner, IImageTransform transform, int seed = 0)
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        this.transform = transform ?? throw new ArgumentNullException(nameof(transform));
        this.seed = seed;
    }

    /// <inheritdoc />
    public DatasetInfo Info => inner.Info;

    /// <inheritdoc />
    public int Count => inner.Count;

    /// <inheritdoc />
    public ImageSample Get(int index)
    {
        using var sample = inner.Get(index);
        var buffer = ImageBuffer.FromTensor(sample.Image);
        var transformed = transform.Apply(buffer, new Random(TransformPipeline.SampleSeed(seed, 0, index)));
        return new ImageSample(sample.Id, transformed.ToTensor(), sample.Label, sample.Labels, sample.Tags);
    }
}
