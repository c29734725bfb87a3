using CausalVision.Clustering.Confounders;
using CausalVision.Clustering.KMeans;

namespace CausalVision.Clustering.Tests.Confounders;

public sealed class ConfounderDictionaryTests
{
    [Fact]
    public void FromKMeans_UnequalGroups_PriorFromClusterSizes()
    {
        using var x = tensor(new float[] { 0, 0, 0, 1, 10, 10, 10, 11, 11, 10, 11, 11 }, new long[] { 6, 2 });
        using var dict = ConfounderDictionary.FromKMeans(x, new KMeansOptions { Clusters = 2 });
        Assert.Equal(2, dict.Size);
        Assert.Equal(2, dict.Dimension);
        var prior = dict.Prior.data<float>().ToArray();
        var centres = dict.Centers.data<float>().ToArray();
        var small = centres[0] < 5 ? 0 : 1;
        Assert.Equal(2f / 6, prior[small], 6);
        Assert.Equal(4f / 6, prior[1 - small], 6);
        TensorAssert.Values(new[] { 0f, 0.5f }, dict.Centers[small]);
        TensorAssert.Values(new[] { 10.5f, 10.5f }, dict.Centers[1 - small]);
    }

    [Fact]
    public void FromKMeansStream_Batches_PriorSumsToOne()
    {
        manual_seed(0);
        using var x = randn(300, 4);
        var batches = new[] { x.narrow(0, 0, 150), x.narrow(0, 150, 150) };
        using var dict = ConfounderDictionary.FromKMeansStream(batches, new KMeansOptions { Clusters = 5, BatchSize = 50, MiniBatchEpochs = 2 });
        Assert.Equal(1.0, dict.Prior.sum().item<float>(), 5);
        TensorAssert.Shape(dict.Centers, 5, 4);
        foreach (var b in batches)
        {
            b.Dispose();
        }
    }

    [Fact]
    public void FromLabels_ClassIds_ClassMeansAndFrequencies()
    {
        using var x = tensor(new float[] { 0, 0, 2, 0, 0, 4 }, new long[] { 3, 2 });
        using var y = tensor(new long[] { 0, 0, 1 });
        using var dict = ConfounderDictionary.FromLabels(x, y, 2);
        TensorAssert.Values(new[] { 1f, 0f, 0f, 4f }, dict.Centers);
        TensorAssert.Values(new[] { 2f / 3, 1f / 3 }, dict.Prior);
    }

    [Fact]
    public void FromLabels_MultiHot_MeansOverCarriers()
    {
        using var x = tensor(new float[] { 0, 0, 2, 0, 0, 4 }, new long[] { 3, 2 });
        using var y = tensor(new float[] { 1, 0, 1, 1, 0, 1 }, new long[] { 3, 2 });
        using var dict = ConfounderDictionary.FromLabels(x, y, 2);
        TensorAssert.Values(new[] { 1f, 0f, 1f, 2f }, dict.Centers);
        TensorAssert.Values(new[] { 0.5f, 0.5f }, dict.Prior);
    }

    [Fact]
    public void Random_SameSeed_IdenticalWithUniformPrior()
    {
        using var a = ConfounderDictionary.Random(4, 3, seed: 5);
        using var b = ConfounderDictionary.Random(4, 3, seed: 5);
        using var c = ConfounderDictionary.Random(4, 3, seed: 6);
        TensorAssert.Close(a.Centers, b.Centers, 0, 0);
        Assert.False(allclose(a.Centers, c.Centers));
        TensorAssert.Values(new[] { 0.25f, 0.25f, 0.25f, 0.25f }, a.Prior);
    }

    [Fact]
    public void SaveLoad_RoundTrip_SameTensors()
    {
        using var dict = ConfounderDictionary.Random(3, 2, seed: 1);
        using var ms = new MemoryStream();
        dict.Save(ms);
        ms.Position = 0;
        using var loaded = ConfounderDictionary.Load(ms);
        TensorAssert.Close(dict.Centers, loaded.Centers, 0, 0);
        TensorAssert.Close(dict.Prior, loaded.Prior, 0, 0);
        using var junk = new MemoryStream(new byte[] { 0 });
        Assert.Throws<InvalidDataException>(() => ConfounderDictionary.Load(junk));
    }

    [Fact]
    public void BadInput_ThrowsClearMessages()
    {
        using var c = zeros(2, 3);
        using var badPrior = tensor(new[] { 0.7f, 0.7f });
        Assert.Contains("sum to 1", Assert.Throws<ArgumentException>(() => new ConfounderDictionary(c, badPrior)).Message);
        using var negPrior = tensor(new[] { 1.5f, -0.5f });
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => new ConfounderDictionary(c, negPrior)).Message);
        using var shortPrior = tensor(new[] { 1f });
        Assert.Contains("[K]", Assert.Throws<ArgumentException>(() => new ConfounderDictionary(c, shortPrior)).Message);
        using var x = tensor(new float[] { 0, 0, 2, 0, 0, 4 }, new long[] { 3, 2 });
        using var outOfRange = tensor(new long[] { 0, 2, 1 });
        Assert.Contains("out of range", Assert.Throws<ArgumentException>(() => ConfounderDictionary.FromLabels(x, outOfRange, 2)).Message);
        using var missing = tensor(new long[] { 0, 0, 0 });
        Assert.Contains("class 1 has no samples", Assert.Throws<ArgumentException>(() => ConfounderDictionary.FromLabels(x, missing, 2)).Message);
        Assert.Contains("exceeds", Assert.Throws<ArgumentException>(() => ConfounderDictionary.FromKMeans(x, new KMeansOptions { Clusters = 4 })).Message);
        using var dict = ConfounderDictionary.Random(2, 3);
        using var wrong = zeros(5, 4);
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => dict.ValidateFeatures(wrong)).Message);
        using var right = zeros(2, 7, 3);
        dict.ValidateFeatures(right);
    }

    [Fact]
    public void Factories_NoTensorLeaks()
    {
        using var x = tensor(new float[] { 0, 0, 2, 0, 0, 4 }, new long[] { 3, 2 });
        using var y = tensor(new long[] { 0, 0, 1 });
        TensorLeaks.AssertNone(() => ConfounderDictionary.FromLabels(x, y, 2).Dispose());
        TensorLeaks.AssertNone(() => ConfounderDictionary.Random(3, 2).Dispose());
        TensorLeaks.AssertNone(() => ConfounderDictionary.FromKMeans(x, new KMeansOptions { Clusters = 2 }).Dispose());
    }
}
