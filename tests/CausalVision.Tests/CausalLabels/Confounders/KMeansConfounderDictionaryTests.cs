using CausalVision.CausalLabels;
using CausalVision.CausalLabels.Confounders;
using CausalVision.Clustering.KMeans;

namespace CausalVision.Tests.CausalLabels.Confounders;

public sealed class KMeansConfounderDictionaryTests
{
    [Fact]
    public void Build_UnequalGroups_PriorFromClusterSizesExact()
    {
        using var x = tensor(new float[] { 0, 0, 0, 1, 10, 10, 10, 11, 11, 10, 11, 11 }, new long[] { 6, 2 });
        using var dict = KMeansConfounderDictionary.Build(x, new KMeansOptions { Clusters = 2 });
        Assert.Equal(2, dict.Count);
        Assert.Equal(2, dict.Dim);
        var prior = dict.Prior.data<float>().ToArray();
        var centres = dict.Centres.data<float>().ToArray();
        var small = centres[0] < 5 ? 0 : 1;
        Assert.Equal(2f / 6, prior[small], 6);
        Assert.Equal(4f / 6, prior[1 - small], 6);
        TensorAssert.Values(new[] { 0f, 0.5f }, dict.Centres[small]);
        TensorAssert.Values(new[] { 10.5f, 10.5f }, dict.Centres[1 - small]);
    }

    [Fact]
    public void Build_Stream_PriorSumsToOne()
    {
        manual_seed(0);
        using var x = randn(300, 4);
        var batches = new[] { x.narrow(0, 0, 150), x.narrow(0, 150, 150) };
        using var dict = KMeansConfounderDictionary.Build(batches, new KMeansOptions { Clusters = 5, BatchSize = 50, MiniBatchEpochs = 2 });
        Assert.Equal(1.0, dict.Prior.sum().item<float>(), 5);
        TensorAssert.Shape(dict.Centres, 5, 4);
        foreach (var b in batches)
        {
            b.Dispose();
        }
    }

    [Fact]
    public void Build_KLargerThanFeatureCount_Throws()
    {
        using var x = tensor(new float[] { 0, 0, 2, 0, 0, 4 }, new long[] { 3, 2 });
        var ex = Assert.Throws<ArgumentException>(() => KMeansConfounderDictionary.Build(x, new KMeansOptions { Clusters = 4 }));
        Assert.Contains("K (4) is larger than the number of feature vectors (3)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_SpatialBatches_ClustersEveryCellWithSizePrior()
    {
        // Two images, 3 cells each, D = 2: cells near (0,0) x4 and near (10,10) x2.
        using var tokens = tensor(new float[] { 0, 0, 0, 1, 10, 10, 1, 0, 0, 0, 10, 11 }, new long[] { 2, 3, 2 });
        var builder = new KMeansConfounderDictionaryBuilder(new KMeansOptions { Clusters = 2 });
        Assert.Equal("kmeans", builder.Name);
        using var dict = builder.Build([new ConfounderFeatureBatch(tokens, null)]);
        var centres = dict.Centres.data<float>().ToArray();
        var small = centres[0] < 5 ? 0 : 1;
        TensorAssert.Values(new[] { 0.25f, 0.25f }, dict.Centres[small]);
        TensorAssert.Values(new[] { 10f, 10.5f }, dict.Centres[1 - small]);
        Assert.Equal(4f / 6, dict.Prior.data<float>()[small], 6);
        Assert.Equal(2f / 6, dict.Prior.data<float>()[1 - small], 6);
    }

    [Fact]
    public void Builder_KLargerThanCellCount_ThrowsClearMessage()
    {
        using var tokens = zeros(2, 3, 4);
        var builder = new KMeansConfounderDictionaryBuilder();
        Assert.Equal(80, builder.K);
        var ex = Assert.Throws<ArgumentException>(() => builder.Build([new ConfounderFeatureBatch(tokens, null)]));
        Assert.Contains("K (80) is larger than the number of feature vectors (6)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_EmptyStreamOrMixedDims_Throws()
    {
        var builder = new KMeansConfounderDictionaryBuilder(new KMeansOptions { Clusters = 1 });
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => builder.Build([])).Message, StringComparison.Ordinal);
        using var a = zeros(1, 2, 3);
        using var b = zeros(1, 2, 4);
        Assert.Contains("Inconsistent feature dimension", Assert.Throws<ArgumentException>(() => builder.Build([new(a, null), new(b, null)])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_SubsampledCells_KeepsPerImageCount()
    {
        manual_seed(1);
        using var tokens = randn(4, 9, 3);
        var builder = new KMeansConfounderDictionaryBuilder(new KMeansOptions { Clusters = 2 }, maxFeaturesPerImage: 2);
        using var dict = builder.Build([new ConfounderFeatureBatch(tokens, null)]);
        using var n = dict.Prior * 8; // 4 images x 2 cells: every prior entry is a multiple of 1/8
        TensorAssert.Close(n.round(), n, 1e-5);
    }

    [Fact]
    public void Build_NoTensorLeaks()
    {
        using var x = tensor(new float[] { 0, 0, 2, 0, 0, 4 }, new long[] { 3, 2 });
        using var tokens = randn(2, 3, 2);
        TensorLeaks.AssertNone(() => KMeansConfounderDictionary.Build(x, new KMeansOptions { Clusters = 2 }).Dispose());
        TensorLeaks.AssertNone(() => new KMeansConfounderDictionaryBuilder(new KMeansOptions { Clusters = 2 }).Build([new(tokens, null)]).Dispose());
    }
}
