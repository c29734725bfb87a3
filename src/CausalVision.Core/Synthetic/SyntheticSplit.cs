// One split of the synthetic benchmark as an in-memory IImageDataset, rendered lazily by index.
using System.Globalization;
using CausalVision.Data;
using CausalVision.Metrics;
using TorchSharp;

namespace CausalVision.Synthetic;

/// <summary>
/// One split (train, test_iid, test_ood or val) of a <see cref="SyntheticBenchmark"/>. Nothing is
/// stored per sample: sample <c>i</c> is described from a seed derived from (benchmark seed,
/// split, i) and rendered on demand, so any index gives the same image on any thread, in any order.
/// </summary>
/// <remarks>
/// Shapes: <see cref="Get(int)"/> returns an image <c>[3, S, S]</c> float32 in [0, 1] (S =
/// <see cref="SyntheticBenchmarkOptions.ImageSize"/>), no normalisation applied.
/// </remarks>
public sealed class SyntheticSplit : IImageDataset
{
    private readonly SyntheticBenchmark owner;
    private readonly int digits;

    internal SyntheticSplit(SyntheticBenchmark owner, SyntheticSplitKind kind, int count)
    {
        this.owner = owner;
        Kind = kind;
        Count = count;
        digits = Math.Max(6, count.ToString(CultureInfo.InvariantCulture).Length);
    }

    /// <summary>Gets the split kind.</summary>
    public SyntheticSplitKind Kind { get; }

    /// <summary>Gets the split name used in the manifest: "train", "test_iid", "test_ood" or "val".</summary>
    public string Name => NameOf(Kind);

    /// <inheritdoc />
    public DatasetInfo Info => owner.Info;

    /// <inheritdoc />
    public int Count { get; }

    /// <summary>Gets the number of floats of one rendered image (3 * S * S).</summary>
    public int ImageLength => 3 * owner.Options.ImageSize * owner.Options.ImageSize;

    /// <summary>Gets the manifest name of a split kind.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>"train", "test_iid", "test_ood" or "val".</returns>
    public static string NameOf(SyntheticSplitKind kind) => kind switch
    {
        SyntheticSplitKind.Train => "train",
        SyntheticSplitKind.TestIid => "test_iid",
        SyntheticSplitKind.TestOod => "test_ood",
        SyntheticSplitKind.Validation => "val",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown split kind."),
    };

    /// <summary>Gets the stable id of a sample, "split/000123" (the PNG path without extension).</summary>
    /// <param name="index">The sample index.</param>
    /// <returns>The id.</returns>
    public string SampleId(int index)
    {
        CheckIndex(index);
        return $"{Name}/{index.ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)}";
    }

    /// <summary>Describes sample <paramref name="index"/> (class, context, objects, boxes) without rendering it.</summary>
    /// <param name="index">0 &lt;= index &lt; <see cref="Count"/>.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public SyntheticSampleInfo Describe(int index)
    {
        CheckIndex(index);
        return owner.Describe(Kind, index);
    }

    /// <summary>Renders sample <paramref name="index"/> into a caller buffer <c>[3, S, S]</c> (values in [0, 1]).</summary>
    /// <param name="index">0 &lt;= index &lt; <see cref="Count"/>.</param>
    /// <param name="chw">The output, length <see cref="ImageLength"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    /// <exception cref="ArgumentException">The buffer has the wrong length.</exception>
    public void Render(int index, Span<float> chw)
    {
        if (chw.Length != ImageLength)
        {
            throw new ArgumentException($"Render: buffer must hold 3 x {owner.Options.ImageSize} x {owner.Options.ImageSize} = {ImageLength} floats, got {chw.Length}.", nameof(chw));
        }

        owner.Render(Describe(index), chw);
    }

    /// <summary>Renders sample <paramref name="index"/> into a new array <c>[3, S, S]</c>.</summary>
    /// <param name="index">0 &lt;= index &lt; <see cref="Count"/>.</param>
    /// <returns>The pixels.</returns>
    public float[] Render(int index)
    {
        var buffer = new float[ImageLength];
        Render(index, buffer);
        return buffer;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public ImageSample Get(int index)
    {
        var info = Describe(index);
        var buffer = new float[ImageLength];
        owner.Render(info, buffer);
        var size = owner.Options.ImageSize;
        var image = torch.tensor(buffer, [3L, size, size]);
        return new ImageSample(SampleId(index), image, info.Label, info.Labels, info.Tags);
    }

    /// <summary>
    /// Indices of the "exclusive" samples of a biased pair: images that contain b but not c
    /// (paper-B protocol, as princetonvisualai/ContextualBias defines it).
    /// </summary>
    /// <param name="pair">The pair (any pair of object ids; usually one of <see cref="SyntheticBenchmark.BiasedPairs"/>).</param>
    /// <returns>The ascending indices.</returns>
    public int[] ExclusiveIndices(BiasedPair pair) => Select(pair, withC: false);

    /// <summary>Indices of the "co-occur" samples of a biased pair: images that contain both b and c.</summary>
    /// <param name="pair">The pair.</param>
    /// <returns>The ascending indices.</returns>
    public int[] CooccurIndices(BiasedPair pair) => Select(pair, withC: true);

    private int[] Select(BiasedPair pair, bool withC)
    {
        ArgumentNullException.ThrowIfNull(pair);
        var n = owner.Objects.Count;
        if (pair.Biased < 0 || pair.Biased >= n || pair.Context < 0 || pair.Context >= n || pair.Biased == pair.Context)
        {
            throw new ArgumentException($"Biased pair ({pair.Biased}, {pair.Context}) must name two different object ids in [0, {n}).", nameof(pair));
        }

        var result = new List<int>();
        for (var i = 0; i < Count; i++)
        {
            var objects = owner.Describe(Kind, i).ObjectIds;
            if (Contains(objects, pair.Biased) && Contains(objects, pair.Context) == withC)
            {
                result.Add(i);
            }
        }

        return [.. result];
    }

    private static bool Contains(IReadOnlyList<int> sorted, int value)
    {
        for (var i = 0; i < sorted.Count; i++)
        {
            if (sorted[i] == value)
            {
                return true;
            }
        }

        return false;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Synthetic split '{Name}' has {Count} samples; index must be in [0, {Count}).");
        }
    }
}
