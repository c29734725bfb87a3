// One split of MultiLabelBenchmark as an IImageDataset, rendered lazily by index.
using System.Globalization;
using CausalVision.Data;
using TorchSharp;

namespace CausalVision.Synthetic;

/// <summary>A split of <see cref="MultiLabelBenchmark"/>: images [3, S, S] in [0, 1], labels = objects present.</summary>
public sealed class MultiLabelBenchmarkSplit : IImageDataset
{
    private readonly MultiLabelBenchmark owner;
    private readonly int stream;
    private readonly bool biased;
    private readonly float[]?[]? cache;

    internal MultiLabelBenchmarkSplit(MultiLabelBenchmark owner, string name, int stream, int count, bool biased)
    {
        this.owner = owner;
        this.stream = stream;
        this.biased = biased;
        Name = name;
        Count = count;
        cache = owner.Options.CacheImages ? new float[]?[count] : null;
    }

    /// <summary>Gets the split name: train, validation or test.</summary>
    public string Name { get; }

    /// <summary>Gets a value indicating whether the split follows the biased training distribution.</summary>
    public bool Biased => biased;

    /// <inheritdoc/>
    public DatasetInfo Info => owner.Info;

    /// <inheritdoc/>
    public int Count { get; }

    /// <summary>Describes sample <paramref name="index"/> (labels, objects, context) without rendering it.</summary>
    /// <param name="index">0 &lt;= index &lt; <see cref="Count"/>.</param>
    /// <returns>The sample's metadata.</returns>
    public SyntheticSampleInfo Describe(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in [0, {Count}).");
        }

        return owner.Describe(stream, index, biased);
    }

    /// <summary>The multi-hot labels [N, 24] of the split, from the metadata (no rendering).</summary>
    /// <returns>targets[i, j] = object j is in image i.</returns>
    public bool[,] Targets()
    {
        var targets = new bool[Count, Info.ClassCount];
        for (var i = 0; i < Count; i++)
        {
            foreach (var l in Describe(i).Labels)
            {
                targets[i, l] = true;
            }
        }

        return targets;
    }

    /// <inheritdoc/>
    public ImageSample Get(int index)
    {
        var info = Describe(index);
        var size = owner.Options.ImageSize;
        var buffer = cache?[index]?.ToArray();
        if (buffer is null)
        {
            buffer = new float[3 * size * size];
            owner.Render(info, buffer);
            if (cache is not null)
            {
                // A race renders the same image twice; both copies are identical.
                Volatile.Write(ref cache[index], buffer.ToArray());
            }
        }

        var image = torch.tensor(buffer, [3L, size, size]);
        return new ImageSample($"{Name}/{index.ToString("D6", CultureInfo.InvariantCulture)}", image, -1, info.Labels, info.Tags);
    }
}
