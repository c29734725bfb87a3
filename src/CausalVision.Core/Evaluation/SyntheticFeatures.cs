// Feature sets of the built-in benchmark for the linear-head reference rows: frozen backbone
// features (computed once per seed and cached) and the tags -> class oracle's tag vectors.
using CausalVision.Backbones;
using CausalVision.Data;
using CausalVision.Imaging.Transforms;
using CausalVision.Synthetic;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Evaluation;

/// <summary>Builds <see cref="FeatureSet"/>s from a single-label <see cref="SyntheticBenchmark"/> split.</summary>
public static class SyntheticFeatures
{
    /// <summary>
    /// Frozen backbone features: every image is rendered, normalised with the ImageNet mean and
    /// standard deviation (no augmentation) and passed through <paramref name="backbone"/> in
    /// evaluation mode without gradients; the pooled feature F_v [D] is kept.
    /// </summary>
    /// <param name="backbone">The backbone (not owned; left in evaluation mode).</param>
    /// <param name="benchmark">The benchmark (single-label).</param>
    /// <param name="split">One of its splits.</param>
    /// <param name="batchSize">Images per forward pass; default 128.</param>
    /// <returns>The features with labels and contexts.</returns>
    /// <exception cref="ArgumentException">The benchmark is multi-label or the split is empty.</exception>
    public static FeatureSet FromBackbone(Backbone backbone, SyntheticBenchmark benchmark, SyntheticSplit split, int batchSize = 128)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var (labels, contexts) = Targets(benchmark, split);
        var d = (int)backbone.FeatureDim;
        var features = new float[split.Count * d];
        Extract(backbone, benchmark, split, batchSize, 0, (f, start, count) =>
            f.Pooled.to(ScalarType.Float32).cpu().data<float>().CopyTo(features.AsSpan(start * d, count * d)));
        return new FeatureSet(features, d, labels, contexts, benchmark.TiedContexts(), benchmark.Contexts.Count);
    }

    /// <summary>
    /// Frozen backbone feature maps: like <see cref="FromBackbone"/> but keeps the spatial map
    /// [D, h, w] of every image, optionally computed on the image resized to <paramref name="inputSize"/>
    /// (bilinear) so that a stride-32 backbone gives a map with more than 2 x 2 cells on 64 px images.
    /// </summary>
    /// <param name="backbone">The backbone (not owned; left in evaluation mode).</param>
    /// <param name="benchmark">The benchmark (single-label).</param>
    /// <param name="split">One of its splits.</param>
    /// <param name="inputSize">The side the images are resized to before the backbone; 0 keeps the benchmark's size.</param>
    /// <param name="batchSize">Images per forward pass; default 64.</param>
    /// <returns>The maps with each image's description.</returns>
    /// <exception cref="ArgumentException">The benchmark is multi-label or the split is empty.</exception>
    public static FeatureMapSet MapsFromBackbone(Backbone backbone, SyntheticBenchmark benchmark, SyntheticSplit split, int inputSize = 0, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        _ = Targets(benchmark, split);
        ArgumentOutOfRangeException.ThrowIfNegative(inputSize);
        float[]? maps = null;
        int d = 0, h = 0, w = 0;
        Extract(backbone, benchmark, split, batchSize, inputSize, (f, start, count) =>
        {
            if (maps is null)
            {
                (d, h, w) = ((int)f.Map.shape[1], (int)f.Map.shape[2], (int)f.Map.shape[3]);
                maps = new float[(long)split.Count * d * h * w];
            }

            var length = d * h * w;
            f.Map.to(ScalarType.Float32).contiguous().cpu().data<float>().CopyTo(maps.AsSpan(start * length, count * length));
        });
        var samples = Enumerable.Range(0, split.Count).Select(split.Describe).ToArray();
        return new FeatureMapSet(maps!, d, h, w, samples, benchmark.Info, benchmark.TiedContexts(), benchmark.Contexts.Count, benchmark.Options.ImageSize);
    }

    /// <summary>
    /// Frozen backbone feature maps of any benchmark split served as an <see cref="IImageDataset"/> of RGB images in
    /// [0, 1] (e.g. a <see cref="MultiLabelBenchmarkSplit"/>): normalised with the ImageNet mean and standard deviation,
    /// optionally resized to <paramref name="inputSize"/>, passed through <paramref name="backbone"/>; the map is kept.
    /// </summary>
    /// <param name="backbone">The backbone (not owned; left in evaluation mode).</param>
    /// <param name="data">The images (3 x size x size each).</param>
    /// <param name="samples">The benchmark's description of each image (labels, tags, boxes), one per image.</param>
    /// <param name="inputSize">The side the images are resized to before the backbone; 0 keeps their size.</param>
    /// <param name="batchSize">Images per forward pass; default 64.</param>
    /// <returns>The maps with each image's description (<see cref="FeatureMapSet.TiedContexts"/> is empty).</returns>
    /// <exception cref="ArgumentException">The dataset is empty, its images are not square RGB, or the descriptions do not match it.</exception>
    public static FeatureMapSet MapsFromDataset(Backbone backbone, IImageDataset data, IReadOnlyList<SyntheticSampleInfo> samples, int inputSize = 0, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfNegative(inputSize);
        if (data.Count == 0 || samples.Count != data.Count)
        {
            throw new ArgumentException($"MapsFromDataset needs a non-empty dataset and one description per image; got {data.Count} images and {samples.Count} descriptions.", nameof(samples));
        }

        int size;
        using (var first = data.Get(0))
        {
            size = (int)first.Image.shape[^1];
            if (first.Image.dim() != 3 || first.Image.shape[0] != 3 || first.Image.shape[1] != size)
            {
                throw new ArgumentException($"MapsFromDataset needs square RGB images [3, S, S]; got [{string.Join(", ", first.Image.shape)}].", nameof(data));
            }
        }

        float[]? maps = null;
        int d = 0, h = 0, w = 0;
        Extract(backbone, data.Count, size, (i, chw) =>
        {
            using var sample = data.Get(i);
            sample.Image.to(ScalarType.Float32).contiguous().data<float>().CopyTo(chw);
        }, batchSize, inputSize, (f, start, count) =>
        {
            if (maps is null)
            {
                (d, h, w) = ((int)f.Map.shape[1], (int)f.Map.shape[2], (int)f.Map.shape[3]);
                maps = new float[(long)data.Count * d * h * w];
            }

            var length = d * h * w;
            f.Map.to(ScalarType.Float32).contiguous().cpu().data<float>().CopyTo(maps.AsSpan(start * length, count * length));
        });
        return new FeatureMapSet(maps!, d, h, w, samples, data.Info, [], 1, size);
    }

    private static void Extract(Backbone backbone, SyntheticBenchmark benchmark, SyntheticSplit split, int batchSize, int inputSize, Action<BackboneFeatures, int, int> consume) =>
        Extract(backbone, split.Count, benchmark.Options.ImageSize, split.Render, batchSize, inputSize, consume);

    private static void Extract(Backbone backbone, int imageCount, int size, RenderInto render, int batchSize, int inputSize, Action<BackboneFeatures, int, int> consume)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var imageLength = 3 * size * size;
        var device = backbone.parameters().FirstOrDefault()?.device ?? CPU;
        backbone.eval();
        using var noGrad = no_grad();
        var mean = Normalize.ImageNetMean;
        var std = Normalize.ImageNetStd;
        var plane = size * size;
        for (var start = 0; start < imageCount; start += batchSize)
        {
            var count = Math.Min(batchSize, imageCount - start);
            var pixels = new float[count * imageLength];
            Parallel.For(0, count, i =>
            {
                var chw = pixels.AsSpan(i * imageLength, imageLength);
                render(start + i, chw);
                for (var ch = 0; ch < 3; ch++)
                {
                    var channel = chw.Slice(ch * plane, plane);
                    for (var k = 0; k < plane; k++)
                    {
                        channel[k] = (channel[k] - mean[ch]) / std[ch];
                    }
                }
            });

            using var scope = NewDisposeScope();
            var x = tensor(pixels, [count, 3L, size, size]).to(device);
            if (inputSize > 0 && inputSize != size)
            {
                x = nn.functional.interpolate(x, [inputSize, inputSize], mode: InterpolationMode.Bilinear, align_corners: false);
            }

            using var f = backbone.call(x);
            consume(f, start, count);
        }
    }

    /// <summary>
    /// The tags -> class oracle's input: one multi-hot vector per image over the object vocabulary
    /// (the tags are exactly the objects drawn). The oracle reads privileged annotations, not
    /// pixels: it bounds what the objects alone determine.
    /// </summary>
    /// <param name="benchmark">The benchmark (single-label).</param>
    /// <param name="split">One of its splits.</param>
    /// <returns>The tag vectors with labels and contexts.</returns>
    /// <exception cref="ArgumentException">The benchmark is multi-label or the split is empty.</exception>
    public static FeatureSet FromTags(SyntheticBenchmark benchmark, SyntheticSplit split)
    {
        var (labels, contexts) = Targets(benchmark, split);
        var d = benchmark.Objects.Count;
        var features = new float[split.Count * d];
        for (var i = 0; i < split.Count; i++)
        {
            foreach (var tag in split.Describe(i).Tags)
            {
                features[(i * d) + tag] = 1f;
            }
        }

        return new FeatureSet(features, d, labels, contexts, benchmark.TiedContexts(), benchmark.Contexts.Count);
    }

    private static (int[] Labels, int[] Contexts) Targets(SyntheticBenchmark benchmark, SyntheticSplit split)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        ArgumentNullException.ThrowIfNull(split);
        if (benchmark.Options.MultiLabel)
        {
            throw new ArgumentException("Feature sets with (class, context) groups need the single-label benchmark.", nameof(benchmark));
        }

        if (split.Count == 0)
        {
            throw new ArgumentException($"Split '{split.Name}' is empty.", nameof(split));
        }

        var labels = new int[split.Count];
        var contexts = new int[split.Count];
        for (var i = 0; i < split.Count; i++)
        {
            var info = split.Describe(i);
            labels[i] = info.Label;
            contexts[i] = info.ContextId;
        }

        return (labels, contexts);
    }

    private delegate void RenderInto(int index, Span<float> chw);
}
