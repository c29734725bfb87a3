// Frozen backbone feature maps of a benchmark split, cached once per seed: the input of heads that
// need the spatial map (VSCNet's regions, graphs and masks) through PrecomputedBackbone.
using CausalVision.Backbones;
using CausalVision.Data;
using CausalVision.Synthetic;
using CausalVision.Training;
using TorchSharp;

namespace CausalVision.Evaluation;

/// <summary>
/// N feature maps <c>[D, h, w]</c> (row-major, one block per image) with each image's class, context,
/// tags and the benchmark's description of it (object boxes for the region-in-object rate).
/// </summary>
/// <remarks>
/// <para>Make one with <see cref="SyntheticFeatures.MapsFromBackbone"/>. <see cref="AsDataset"/> serves the maps as
/// "images" to any trainer over a <see cref="PrecomputedBackbone"/>; <see cref="Pooled"/> gives the linear-head
/// rows the same features, averaged over cells (what the backbone's F_v is), so that every row of an experiment reads
/// one set of frozen features.</para>
/// <para>Shapes: <see cref="Maps"/> is <c>N x D x h x w</c> floats.</para>
/// </remarks>
public sealed class FeatureMapSet
{
    /// <summary>Initializes a new instance of the <see cref="FeatureMapSet"/> class.</summary>
    /// <param name="maps">N x D x h x w values, row-major (finite).</param>
    /// <param name="dim">D.</param>
    /// <param name="height">h.</param>
    /// <param name="width">w.</param>
    /// <param name="samples">The benchmark's description of each image (class, context, tags, objects) [N].</param>
    /// <param name="info">What the targets mean (classes and tags of the benchmark).</param>
    /// <param name="tiedContexts">The context tied to each class.</param>
    /// <param name="contextCount">The number of contexts.</param>
    /// <param name="imageSize">The side of the rendered images in pixels (the maps cover the whole image).</param>
    /// <exception cref="ArgumentException">The sizes disagree.</exception>
    public FeatureMapSet(float[] maps, int dim, int height, int width, IReadOnlyList<SyntheticSampleInfo> samples, DatasetInfo info, int[] tiedContexts, int contextCount, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(tiedContexts);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        if (samples.Count == 0 || maps.LongLength != (long)samples.Count * dim * height * width)
        {
            throw new ArgumentException($"A feature-map set needs N x D x h x w values for N >= 1 samples; got {maps.LongLength} values for N = {samples.Count}, D = {dim}, h = {height}, w = {width}.", nameof(maps));
        }

        Maps = maps;
        Dim = dim;
        Height = height;
        Width = width;
        Samples = samples;
        Info = info;
        TiedContexts = tiedContexts;
        ContextCount = contextCount;
        ImageSize = imageSize;
        Labels = [.. samples.Select(s => s.Label)];
        Contexts = [.. samples.Select(s => s.ContextId)];
    }

    /// <summary>Gets the maps, N x D x h x w row-major.</summary>
    public float[] Maps { get; }

    /// <summary>Gets D.</summary>
    public int Dim { get; }

    /// <summary>Gets h.</summary>
    public int Height { get; }

    /// <summary>Gets w.</summary>
    public int Width { get; }

    /// <summary>Gets the number of images N.</summary>
    public int Count => Samples.Count;

    /// <summary>Gets the values per image, D x h x w.</summary>
    public int MapLength => Dim * Height * Width;

    /// <summary>Gets the benchmark's description of each image.</summary>
    public IReadOnlyList<SyntheticSampleInfo> Samples { get; }

    /// <summary>Gets the dataset description (classes, tags).</summary>
    public DatasetInfo Info { get; }

    /// <summary>Gets the class of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Gets the context of each image.</summary>
    public int[] Contexts { get; }

    /// <summary>Gets the context tied to each class.</summary>
    public int[] TiedContexts { get; }

    /// <summary>Gets the number of contexts.</summary>
    public int ContextCount { get; }

    /// <summary>Gets the side of the rendered images in pixels.</summary>
    public int ImageSize { get; }

    /// <summary>The maps averaged over cells (F_v of the backbone that made them), as a linear head's input.</summary>
    /// <returns>A new feature set of N x D values.</returns>
    public FeatureSet Pooled()
    {
        var cells = Height * Width;
        var pooled = new float[Count * Dim];
        Parallel.For(0, Count, i =>
        {
            var map = Maps.AsSpan(i * MapLength, MapLength);
            for (var d = 0; d < Dim; d++)
            {
                double sum = 0;
                foreach (var v in map.Slice(d * cells, cells))
                {
                    sum += v;
                }

                pooled[(i * Dim) + d] = (float)(sum / cells);
            }
        });
        return new FeatureSet(pooled, Dim, Labels, Contexts, TiedContexts, ContextCount);
    }

    /// <summary>Serves the maps as a dataset whose "images" are the maps <c>[D, h, w]</c> (for a <see cref="PrecomputedBackbone"/>).</summary>
    /// <returns>A thread-safe dataset view (no copy of the maps).</returns>
    public IImageDataset AsDataset() => new MapDataset(this);

    /// <summary>The maps of some images as one tensor.</summary>
    /// <param name="indices">Image indices.</param>
    /// <returns>A new tensor <c>[indices, D, h, w]</c> the caller owns.</returns>
    public torch.Tensor Batch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var values = new float[(long)indices.Count * MapLength];
        for (var k = 0; k < indices.Count; k++)
        {
            Array.Copy(Maps, (long)indices[k] * MapLength, values, (long)k * MapLength, MapLength);
        }

        return torch.tensor(values, [indices.Count, Dim, Height, Width]);
    }

    /// <summary>Per-channel mean and standard deviation over every image and cell (fit on a training set).</summary>
    /// <returns>Mean [D] and standard deviation [D] (at least 1e-6).</returns>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        var cells = Height * Width;
        var mean = new float[Dim];
        var std = new float[Dim];
        Parallel.For(0, Dim, d =>
        {
            double sum = 0, sq = 0;
            for (var i = 0; i < Count; i++)
            {
                foreach (var v in Maps.AsSpan((i * MapLength) + (d * cells), cells))
                {
                    sum += v;
                    sq += (double)v * v;
                }
            }

            var n = (double)Count * cells;
            var m = sum / n;
            mean[d] = (float)m;
            std[d] = (float)Math.Max(1e-6, Math.Sqrt(Math.Max(0, (sq / n) - (m * m))));
        });
        return (mean, std);
    }

    /// <summary>Standardises every channel in place: <c>(x - mean[d]) / std[d]</c>.</summary>
    /// <param name="mean">Per-channel mean [D] (e.g. of the training set).</param>
    /// <param name="std">Per-channel standard deviation [D].</param>
    /// <exception cref="ArgumentException">A vector does not have D values.</exception>
    public void Standardize(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length != Dim || std.Length != Dim)
        {
            throw new ArgumentException($"Standardize needs {Dim} means and standard deviations; got {mean.Length} and {std.Length}.", nameof(mean));
        }

        var cells = Height * Width;
        Parallel.For(0, Count, i =>
        {
            for (var d = 0; d < Dim; d++)
            {
                var block = Maps.AsSpan((i * MapLength) + (d * cells), cells);
                var m = mean[d];
                var s = 1f / std[d];
                for (var k = 0; k < block.Length; k++)
                {
                    block[k] = (block[k] - m) * s;
                }
            }
        });
    }

    private sealed class MapDataset(FeatureMapSet set) : IImageDataset
    {
        public DatasetInfo Info => set.Info;

        public int Count => set.Count;

        public ImageSample Get(int index)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, set.Count);
            var values = set.Maps.AsSpan(index * set.MapLength, set.MapLength).ToArray();
            var info = set.Samples[index];
            return new ImageSample($"{info.Split}/{info.Index}", torch.tensor(values, [set.Dim, set.Height, set.Width]), info.Label, info.Labels, info.Tags);
        }
    }
}
