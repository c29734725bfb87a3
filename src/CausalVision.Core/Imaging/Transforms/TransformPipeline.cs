namespace CausalVision.Imaging.Transforms;

/// <summary>
/// An ordered list of transforms applied with one per-sample <see cref="Random"/>. Thread-safe:
/// it holds no mutable state, and <see cref="SampleSeed"/> makes each sample's randomness a pure
/// function of (loader seed, epoch, sample index), so results do not depend on which worker
/// thread decodes which sample.
/// </summary>
public sealed class TransformPipeline : IImageTransform
{
    private readonly IImageTransform[] transforms;

    /// <summary>Initializes a new instance of the <see cref="TransformPipeline"/> class.</summary>
    /// <param name="transforms">The transforms, applied in order.</param>
    /// <exception cref="ArgumentException">A transform is null.</exception>
    public TransformPipeline(params IImageTransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        if (transforms.Any(t => t is null))
        {
            throw new ArgumentException("Transforms must not be null.", nameof(transforms));
        }

        this.transforms = [.. transforms];
    }

    /// <summary>Gets the empty pipeline (identity).</summary>
    public static TransformPipeline Identity { get; } = new();

    /// <summary>Gets the transforms in order.</summary>
    public IReadOnlyList<IImageTransform> Transforms => transforms;

    /// <summary>
    /// The usual ImageNet training pipeline: <see cref="RandomResizedCrop"/>(size),
    /// <see cref="HorizontalFlip"/>(0.5), optional <see cref="ColorJitter"/>, <see cref="Normalize"/> (ImageNet).
    /// </summary>
    /// <param name="size">The output side. <value>224</value>.</param>
    /// <param name="jitter">Brightness/contrast/saturation strength; 0 leaves jitter out. <value>0</value>.</param>
    /// <returns>The pipeline.</returns>
    public static TransformPipeline ImageNetTrain(int size = 224, double jitter = 0)
    {
        var list = new List<IImageTransform> { new RandomResizedCrop(size), new HorizontalFlip(0.5) };
        if (jitter > 0)
        {
            list.Add(new ColorJitter(jitter, jitter, jitter));
        }

        list.Add(new Normalize());
        return new TransformPipeline([.. list]);
    }

    /// <summary>
    /// The usual ImageNet evaluation pipeline: <see cref="Resize"/> of the shorter side to
    /// <paramref name="resize"/>, <see cref="CenterCrop"/>(size), <see cref="Normalize"/> (ImageNet).
    /// </summary>
    /// <param name="size">The crop side. <value>224</value>.</param>
    /// <param name="resize">The shorter side before cropping; 0 means <c>size * 256 / 224</c>. <value>0</value>.</param>
    /// <returns>The pipeline.</returns>
    public static TransformPipeline ImageNetEval(int size = 224, int resize = 0) =>
        new(new Resize(resize > 0 ? resize : (int)Math.Round(size * 256.0 / 224.0)), new CenterCrop(size), new Normalize());

    /// <summary>
    /// The seed of sample <paramref name="index"/> in <paramref name="epoch"/> under loader seed
    /// <paramref name="seed"/>: a SplitMix64 hash of the three, so nearby inputs give unrelated seeds.
    /// </summary>
    /// <param name="seed">The loader seed.</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="index">The dataset index of the sample.</param>
    /// <returns>A non-negative 31-bit seed for <see cref="Random(int)"/>.</returns>
    public static int SampleSeed(int seed, int epoch, long index)
    {
        var h = Mix((ulong)(uint)seed);
        h = Mix(h ^ (ulong)(uint)epoch);
        h = Mix(h ^ (ulong)index);
        return (int)(h >> 33);
    }

    /// <inheritdoc />
    public ImageBuffer Apply(ImageBuffer image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        var current = image;
        foreach (var t in transforms)
        {
            current = t.Apply(current, random);
        }

        return ReferenceEquals(current, image) ? image.Clone() : current;
    }

    /// <summary>Applies the pipeline with the sample's deterministic random source.</summary>
    /// <param name="image">The image.</param>
    /// <param name="seed">The loader seed.</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="index">The sample index.</param>
    /// <returns>The transformed copy.</returns>
    public ImageBuffer Apply(ImageBuffer image, int seed, int epoch, long index) => Apply(image, new Random(SampleSeed(seed, epoch, index)));

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
