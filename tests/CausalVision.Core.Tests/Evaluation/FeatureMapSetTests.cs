using CausalVision.Backbones;
using CausalVision.Evaluation;
using CausalVision.Synthetic;
using CausalVision.Training;

namespace CausalVision.Tests.Evaluation;

/// <summary>Cached feature maps: pooling, standardisation, batches, the dataset view, and extraction from a backbone.</summary>
public sealed class FeatureMapSetTests
{
    private static readonly Lazy<SyntheticBenchmark> Bench = new(() =>
    {
        var o = SyntheticBenchmarkOptions.Robustness();
        o.ImageSize = 32;
        o.TrainSize = 6;
        o.ValidationSize = 2;
        o.TestIidSize = 2;
        o.TestOodSize = 2;
        return SyntheticBenchmark.Generate(o);
    });

    /// <summary>Two images, D = 2, 1 x 2 maps: image 0 = [[1, 3], [5, 7]], image 1 = [[3, 5], [9, 11]].</summary>
    private static FeatureMapSet Hand()
    {
        var b = Bench.Value;
        var samples = new[] { b.Train.Describe(0), b.Train.Describe(1) };
        return new FeatureMapSet([1, 3, 5, 7, 3, 5, 9, 11], 2, 1, 2, samples, b.Info, b.TiedContexts(), b.Contexts.Count, 32);
    }

    [Fact]
    public void Pooled_IsTheMeanOverCells_WithTheSamplesLabelsAndContexts()
    {
        var set = Hand();
        var pooled = set.Pooled();
        Assert.Equal([2f, 6f, 4f, 10f], pooled.Features);
        Assert.Equal(set.Labels, pooled.Labels);
        Assert.Equal(Bench.Value.Train.Describe(1).ContextId, pooled.Contexts[1]);
    }

    [Fact]
    public void ChannelStatistics_AndStandardize_MatchHandValues()
    {
        var set = Hand();
        var (mean, std) = set.ChannelStatistics();
        // Channel 0: 1, 3, 3, 5 -> mean 3, population std sqrt(2); channel 1: 5, 7, 9, 11 -> mean 8, std sqrt(5).
        Assert.Equal(3f, mean[0], 5);
        Assert.Equal(8f, mean[1], 5);
        Assert.Equal((float)Math.Sqrt(2), std[0], 5);
        Assert.Equal((float)Math.Sqrt(5), std[1], 5);
        set.Standardize(mean, std);
        Assert.Equal((float)(-2 / Math.Sqrt(2)), set.Maps[0], 5);
        Assert.Equal((float)(3 / Math.Sqrt(5)), set.Maps[7], 5);
        Assert.Throws<ArgumentException>(() => set.Standardize([0f], [1f]));
    }

    [Fact]
    public void Batch_AndDataset_ServeTheMapsAsImages()
    {
        var set = Hand();
        using var batch = set.Batch([1, 0]);
        Assert.Equal([2L, 2, 1, 2], batch.shape);
        Assert.Equal(3f, batch[0, 0, 0, 0].item<float>());
        Assert.Equal(7f, batch[1, 1, 0, 1].item<float>());
        var data = set.AsDataset();
        Assert.Equal(2, data.Count);
        using var sample = data.Get(1);
        Assert.Equal([2L, 1, 2], sample.Image.shape);
        Assert.Equal(set.Labels[1], sample.Label);
        Assert.Equal(set.Samples[1].Tags, sample.Tags);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Get(2));
    }

    [Fact]
    public void Ctor_RejectsMapsOfTheWrongLength()
    {
        var b = Bench.Value;
        Assert.Throws<ArgumentException>(() => new FeatureMapSet(new float[7], 2, 1, 2, [b.Train.Describe(0), b.Train.Describe(1)], b.Info, b.TiedContexts(), b.Contexts.Count, 32));
    }

    [Fact]
    public void MapsFromBackbone_PooledEqualsFromBackbone_AndResizesTheInput()
    {
        var b = Bench.Value;
        using var backbone = Backbone.Create("resnet18", new BackboneOptions { ImageSize = 32, Seed = 3 });
        var maps = SyntheticFeatures.MapsFromBackbone(backbone, b, b.Train);
        var pooled = SyntheticFeatures.FromBackbone(backbone, b, b.Train);
        Assert.Equal(1, maps.Height);
        var mine = maps.Pooled().Features;
        for (var i = 0; i < mine.Length; i++)
        {
            Assert.Equal(pooled.Features[i], mine[i], 4);
        }

        var large = SyntheticFeatures.MapsFromBackbone(backbone, b, b.Train, inputSize: 64);
        Assert.Equal((2, 2), (large.Height, large.Width));
        Assert.Equal(b.Train.Count, large.Count);
        Assert.Equal(32, large.ImageSize);
    }

    [Fact]
    public void MapsFromDataset_OfAMultiLabelSplit_EqualsTheSplitsOwnRendering()
    {
        var ml = MultiLabelBenchmark.Generate(new MultiLabelBenchmarkOptions { TrainSize = 4, ValidationSize = 2, TestSize = 2, ImageSize = 32, RadiusMin = 4, RadiusMax = 5, Seed = 2 });
        using var backbone = Backbone.Create("resnet18", new BackboneOptions { ImageSize = 32, Seed = 3 });
        var samples = Enumerable.Range(0, ml.Train.Count).Select(ml.Train.Describe).ToArray();
        var maps = SyntheticFeatures.MapsFromDataset(backbone, ml.Train, samples, inputSize: 64);
        Assert.Equal((512, 2, 2), (maps.Dim, maps.Height, maps.Width));
        Assert.Equal(samples[1].Labels, maps.AsDataset().Get(1).Labels);

        // The same image, normalised by hand and passed through the backbone, gives the same map.
        using var scope = NewDisposeScope();
        using var sample = ml.Train.Get(1);
        var mean = tensor(CausalVision.Imaging.Transforms.Normalize.ImageNetMean.ToArray()).reshape(3, 1, 1);
        var std = tensor(CausalVision.Imaging.Transforms.Normalize.ImageNetStd.ToArray()).reshape(3, 1, 1);
        var x = nn.functional.interpolate(((sample.Image - mean) / std).unsqueeze(0), [64, 64], mode: InterpolationMode.Bilinear, align_corners: false);
        backbone.eval();
        using var noGrad = no_grad();
        using var f = backbone.call(x);
        TensorAssert.Close(f.Map[0], maps.Batch([1])[0], 1e-4);
        Assert.Throws<ArgumentException>(() => SyntheticFeatures.MapsFromDataset(backbone, ml.Train, samples[..2]));
    }

    [Fact]
    public void EpochOrder_IsAPermutationFixedBySeedAndEpoch()
    {
        var a = FeatureHeadTrainer.EpochOrder(50, 7, 3);
        Assert.Equal(a, FeatureHeadTrainer.EpochOrder(50, 7, 3));
        Assert.NotEqual(a, FeatureHeadTrainer.EpochOrder(50, 7, 4));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), a.Order());
    }
}
