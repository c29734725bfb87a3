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
}
