using CausalVision.CausalLabels;

namespace CausalVision.Tests.CausalLabels;

public sealed class ConfounderDictionaryTests
{
    [Fact]
    public void FromAssignments_HandExample_MeansAndClusterShares()
    {
        using var f = tensor(new float[] { 0, 0, 2, 0, 0, 4, 1, 1, 3, 3 }, new long[] { 5, 2 });
        using var a = tensor(new long[] { 0, 0, 1, 1, 0 });
        using var d = ConfounderDictionary.FromAssignments(f, a, 2);
        TensorAssert.Values(new[] { 5f / 3, 1f, 0.5f, 2.5f }, d.Centres, 1e-6);
        TensorAssert.Values(new[] { 0.6f, 0.4f }, d.Prior, 1e-6);
        Assert.Equal(2, d.Count);
        Assert.Equal(2, d.Dim);
    }

    [Fact]
    public void FromAssignments_KLargerThanFeatureCount_Throws()
    {
        using var f = zeros(3, 2);
        using var a = zeros(3, dtype: int64);
        var ex = Assert.Throws<ArgumentException>(() => ConfounderDictionary.FromAssignments(f, a, 4));
        Assert.Contains("K (4) is larger than the number of feature vectors (3)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromAssignments_AssignmentOutOfRange_Throws()
    {
        using var f = zeros(3, 2);
        using var a = tensor(new long[] { 0, 2, 1 });
        var ex = Assert.Throws<ArgumentException>(() => ConfounderDictionary.FromAssignments(f, a, 2));
        Assert.Contains("[0, 2)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromClassMeans_HandExample_LabelMeansAndFrequencies()
    {
        using var f = tensor(new float[] { 1, 0, 3, 2, 5, 4 }, new long[] { 3, 2 });
        using var t = tensor(new float[] { 1, 0, 1, 1, 0, 1 }, new long[] { 3, 2 });
        using var d = ConfounderDictionary.FromClassMeans(f, t);
        TensorAssert.Values(new[] { 2f, 1f, 4f, 3f }, d.Centres, 1e-6); // label 0: rows 0,1; label 1: rows 1,2
        TensorAssert.Values(new[] { 0.5f, 0.5f }, d.Prior, 1e-6);
    }

    [Fact]
    public void FromClassMeans_LabelWithoutImage_Throws()
    {
        using var f = zeros(2, 2);
        using var t = tensor(new float[] { 1, 0, 1, 0 }, new long[] { 2, 2 });
        var ex = Assert.Throws<ArgumentException>(() => ConfounderDictionary.FromClassMeans(f, t));
        Assert.Contains("Label 1 has no image", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_SameSeed_SameCentresUniformPrior()
    {
        using var a = ConfounderDictionary.Random(4, 3, seed: 5);
        using var b = ConfounderDictionary.Random(4, 3, seed: 5);
        TensorAssert.Close(a.Centres, b.Centres, atol: 0);
        TensorAssert.Values(new[] { 0.25f, 0.25f, 0.25f, 0.25f }, a.Prior);
    }

    [Fact]
    public void FromCentres_Counts_NormalisedPrior()
    {
        using var c = ones(2, 3);
        using var n = tensor(new float[] { 3, 1 });
        using var d = ConfounderDictionary.FromCentres(c, n);
        TensorAssert.Values(new[] { 0.75f, 0.25f }, d.Prior);
        using var zero = zeros(2);
        Assert.Throws<ArgumentException>(() => ConfounderDictionary.FromCentres(c, zero));
    }

    [Fact]
    public void Ctor_InvalidPrior_ThrowsClearMessages()
    {
        using var c = zeros(2, 3);
        using var badPrior = tensor(new[] { 0.7f, 0.7f });
        Assert.Contains("sum to 1", Assert.Throws<ArgumentException>(() => new ConfounderDictionary(c, badPrior)).Message, StringComparison.Ordinal);
        using var negPrior = tensor(new[] { 1.5f, -0.5f });
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => new ConfounderDictionary(c, negPrior)).Message, StringComparison.Ordinal);
        using var shortPrior = tensor(new[] { 1f });
        Assert.Contains("[K] = [2]", Assert.Throws<ArgumentException>(() => new ConfounderDictionary(c, shortPrior)).Message, StringComparison.Ordinal);
        using var nan = tensor(new[] { float.NaN, 0f, 0f, 0f, 0f, 0f }, new long[] { 2, 3 });
        using var ok = tensor(new[] { 0.5f, 0.5f });
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => new ConfounderDictionary(nan, ok)).Message, StringComparison.Ordinal);
        using var empty = zeros(0, 3);
        Assert.Contains("non-empty", Assert.Throws<ArgumentException>(() => new ConfounderDictionary(empty, ok)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prior_EveryFactory_SumsToOne()
    {
        using var f = tensor(new float[] { 0, 0, 2, 0, 0, 4, 1, 1, 3, 3 }, new long[] { 5, 2 });
        using var a = tensor(new long[] { 0, 2, 1, 1, 0 });
        using var t = tensor(new float[] { 1, 0, 1, 1, 0, 1, 1, 1, 0, 1 }, new long[] { 5, 2 });
        using var d1 = ConfounderDictionary.FromAssignments(f, a, 3);
        using var d2 = ConfounderDictionary.FromClassMeans(f, t);
        using var d3 = ConfounderDictionary.Random(7, 2);
        using var d4 = ConfounderDictionary.FromClusterSizes(f, new long[] { 1, 2, 3, 4, 5 });
        foreach (var d in new[] { d1, d2, d3, d4 })
        {
            Assert.Equal(1.0, d.Prior.sum().item<float>(), 6);
        }

        TensorAssert.Values(new[] { 1f / 15, 2f / 15, 3f / 15, 4f / 15, 5f / 15 }, d4.Prior, 1e-6);
    }

    [Fact]
    public void FromClassMeans_ClassIds_MeansAndFrequencies()
    {
        using var x = tensor(new float[] { 0, 0, 2, 0, 0, 4 }, new long[] { 3, 2 });
        using var y = tensor(new long[] { 0, 0, 1 });
        using var d = ConfounderDictionary.FromClassMeans(x, y, 2);
        TensorAssert.Values(new[] { 1f, 0f, 0f, 4f }, d.Centres);
        TensorAssert.Values(new[] { 2f / 3, 1f / 3 }, d.Prior);
        using var outOfRange = tensor(new long[] { 0, 2, 1 });
        Assert.Contains("out of range", Assert.Throws<ArgumentException>(() => ConfounderDictionary.FromClassMeans(x, outOfRange, 2)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoad_RoundTrip_SameTensorsAndCorruptFileRejected()
    {
        using var dict = ConfounderDictionary.Random(3, 2, seed: 1);
        using var ms = new MemoryStream();
        dict.Save(ms);
        ms.Position = 0;
        using var loaded = ConfounderDictionary.Load(ms);
        TensorAssert.Close(dict.Centres, loaded.Centres, 0, 0);
        TensorAssert.Close(dict.Prior, loaded.Prior, 0, 0);
        using var junk = new MemoryStream(new byte[] { 0 });
        Assert.Throws<InvalidDataException>(() => ConfounderDictionary.Load(junk));
        var bytes = ms.ToArray();
        using var truncated = new MemoryStream(bytes, 0, bytes.Length - 3);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ConfounderDictionary.Load(truncated)).Message, StringComparison.Ordinal);
        var path = Path.Combine(Path.GetTempPath(), $"cv-dict-{Guid.NewGuid():N}.bin");
        try
        {
            dict.Save(path);
            using var fromFile = ConfounderDictionary.Load(path);
            TensorAssert.Close(dict.Centres, fromFile.Centres, 0, 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ValidateFeatures_OtherDimension_ThrowsDimensionMismatch()
    {
        using var dict = ConfounderDictionary.Random(2, 3);
        using var wrong = zeros(5, 4);
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => dict.ValidateFeatures(wrong)).Message, StringComparison.Ordinal);
        using var right = zeros(2, 7, 3);
        dict.ValidateFeatures(right);
    }

    [Fact]
    public void RandomBuilder_FeatureScaleAndUniformPrior()
    {
        using var tokens = tensor(new float[] { -2, 2, -2, 2, -2, 2, -2, 2 }, new long[] { 1, 4, 2 });
        var builder = new RandomConfounderDictionaryBuilder(k: 4, seed: 3);
        Assert.Equal("random", builder.Name);
        using var d = builder.Build([new ConfounderFeatureBatch(tokens, null)]);
        using var expected = ConfounderDictionary.Random(4, 2, 3, scale: Math.Sqrt(32.0 / 7)); // unbiased std of +-2 over 8 values
        TensorAssert.Close(expected.Centres, d.Centres, 1e-5);
        TensorAssert.Values(new[] { 0.25f, 0.25f, 0.25f, 0.25f }, d.Prior);
        Assert.Throws<ArgumentException>(() => builder.Build([]));
    }

    [Fact]
    public void ClassMeanBuilder_PooledTokens_PerLabelMeans()
    {
        // Image 0: cells (0,0),(2,2) -> pooled (1,1), labels {0}; image 1: cells (4,0),(4,2) -> (4,1), labels {0,1}.
        using var tokens = tensor(new float[] { 0, 0, 2, 2, 4, 0, 4, 2 }, new long[] { 2, 2, 2 });
        using var targets = tensor(new float[] { 1, 0, 1, 1 }, new long[] { 2, 2 });
        var builder = new ClassMeanConfounderDictionaryBuilder();
        using var d = builder.Build([new ConfounderFeatureBatch(tokens, targets)]);
        TensorAssert.Values(new[] { 2.5f, 1f, 4f, 1f }, d.Centres, 1e-6);
        TensorAssert.Values(new[] { 2f / 3, 1f / 3 }, d.Prior, 1e-6);
        Assert.Contains("targets", Assert.Throws<ArgumentException>(() => builder.Build([new ConfounderFeatureBatch(tokens, null)])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Factories_NoTensorLeaks()
    {
        using var x = tensor(new float[] { 0, 0, 2, 0, 0, 4 }, new long[] { 3, 2 });
        using var y = tensor(new long[] { 0, 0, 1 });
        using var tokens = randn(2, 3, 2);
        using var t = tensor(new float[] { 1, 0, 1, 1 }, new long[] { 2, 2 });
        TensorLeaks.AssertNone(() => ConfounderDictionary.FromClassMeans(x, y, 2).Dispose());
        TensorLeaks.AssertNone(() => ConfounderDictionary.Random(3, 2).Dispose());
        TensorLeaks.AssertNone(() => ConfounderDictionary.FromAssignments(x, y, 2).Dispose());
        TensorLeaks.AssertNone(() => new ClassMeanConfounderDictionaryBuilder().Build([new(tokens, t)]).Dispose());
        TensorLeaks.AssertNone(() => new RandomConfounderDictionaryBuilder(3).Build([new(tokens, t)]).Dispose());
    }
}
