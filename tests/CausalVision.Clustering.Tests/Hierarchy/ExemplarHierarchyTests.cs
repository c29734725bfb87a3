using CausalVision.Clustering.Art;
using CausalVision.Clustering.Hierarchy;

namespace CausalVision.Clustering.Tests.Hierarchy;

public sealed class ExemplarHierarchyTests
{
    // Rows (feature, tag, class). With min 0 / max 1 the scaled features equal the raw ones.
    // Tag 0: {0, 0.05, 0.1} classes {0, 0, 1} -> cluster A, purity 2/3 >= 0.6, kept as class 0.
    // Tag 1: {0, 0.05} classes {1, 0} -> cluster B (same features as A but another tag), purity 0.5, dropped.
    // Tag 0: {1.0} -> cluster C, one member, dropped.  Tag 1: {0.95, 1.0} classes {1, 1} -> cluster D, kept as class 1.
    private static readonly double[] Features = { 0.0, 0.05, 0.1, 0.0, 0.05, 1.0, 0.95, 1.0 };
    private static readonly long[] Tags = { 0, 0, 0, 1, 1, 0, 1, 1 };
    private static readonly long[] Classes = { 0, 0, 1, 1, 0, 1, 1, 1 };

    private static Tensor HandFeatures() => tensor(Features, new long[] { 8, 1 }, float64);

    [Fact]
    public void Ctor_Defaults_MatchAuthorsHierarchySettings()
    {
        var o = new HierarchyOptions();
        Assert.Equal(0.85, o.Art.Vigilance);
        Assert.Equal(0.5, o.Art.Beta);
        Assert.Equal(0.01, o.Art.Alpha);
        Assert.Equal(0.0, o.Art.Sigma);
        Assert.Equal(2, o.Art.Epochs);
        Assert.Equal(0.6, o.PurityThreshold);
        Assert.Equal(2, o.MinMembers);
        Assert.True(o.ConstrainByTag);
        Assert.False(o.ConstrainByClass);
    }

    [Fact]
    public void Build_HandExample_PurityFilterAndDistributions()
    {
        using var x = HandFeatures();
        using var h = ExemplarHierarchy.Build(x, Tags, Classes, tagCount: 2, classCount: 2);
        Assert.Equal(4, h.ClusterCount);
        Assert.Equal(2, h.Count);
        Assert.Equal(new long[] { 0, 1 }, h.PrototypeTags);
        Assert.Equal(new long[] { 0, 1 }, h.PrototypeClasses);
        Assert.Equal(new long[] { 3, 2 }, h.MemberCounts);
        TensorAssert.Values(new[] { 1f, 0f, 0f, 1f }, h.TagDistribution);
        TensorAssert.Values(new[] { 2f / 3, 1f / 3, 0f, 1f }, h.ClassDistribution);
        TensorAssert.Shape(h.Prototypes, 2, 2);
        // Prototype A is the fuzzy AND box of {0, 0.05, 0.1}: first coordinate min x = 0, second <= 1 - 0.1 + slack.
        var a = h.Prototypes[0].data<double>().ToArray();
        Assert.Equal(0.0, a[0], 12);
        Assert.InRange(a[1], 0.9, 0.95);
        Assert.Equal(new long[] { 0 }, h.PrototypesOfTag(0));
        Assert.Equal(new long[] { 1 }, h.PrototypesOfTag(1));
    }

    [Fact]
    public void Match_RegionsAndCandidateTags_BestPrototypePerTag()
    {
        using var x = HandFeatures();
        using var h = ExemplarHierarchy.Build(x, Tags, Classes, 2, 2);
        // Region 0.02 with candidates {tag 0, tag 1}: tag 0 -> prototype A (near 0); tag 1 -> prototype D (the only one of tag 1).
        // Region 0.97 with candidate tag 1 twice.
        using var regions = tensor(new[] { 0.02, 0.97 }, new long[] { 1, 2, 1 }, float64);
        using var cands = tensor(new long[] { 0, 1, 1, 1 }, new long[] { 1, 2, 2 });
        using var m = h.Match(regions, cands);
        Assert.Equal(new long[] { 0, 1, 1, 1 }, m.Index.data<long>().ToArray());
        var score = m.Score.data<double>().ToArray();
        Assert.True(score[0] > 0.9 && score[1] < 0.2 && score[2] > 0.9);
        Assert.Equal(new[] { false, false, false, false }, m.FellBack.data<bool>().ToArray());
    }

    [Fact]
    public void Build_LowerThresholdAndOneMember_KeepsAllClusters()
    {
        using var x = HandFeatures();
        using var h = ExemplarHierarchy.Build(x, Tags, Classes, 2, 2, new HierarchyOptions { PurityThreshold = 0.5, MinMembers = 1 });
        Assert.Equal(4, h.Count);
        Assert.Equal(new long[] { 0, 1, 0, 1 }, h.PrototypeTags);
        Assert.Equal(new long[] { 3, 2, 1, 2 }, h.MemberCounts);
        // Tie 1:1 in cluster B goes to the smaller class id.
        Assert.Equal(new long[] { 0, 0, 1, 1 }, h.PrototypeClasses);
    }

    [Fact]
    public void Build_NothingPassesFilter_EmptyHierarchyRoundTrips()
    {
        using var x = HandFeatures();
        using var h = ExemplarHierarchy.Build(x, Tags, Classes, 2, 2, new HierarchyOptions { MinMembers = 100 });
        Assert.Equal(0, h.Count);
        TensorAssert.Shape(h.Prototypes, 0, 2);
        TensorAssert.Shape(h.TagDistribution, 0, 2);
        using var ms = new MemoryStream();
        h.Save(ms);
        ms.Position = 0;
        using var l = ExemplarHierarchy.Load(ms);
        Assert.Equal(0, l.Count);
        Assert.Equal(4, l.ClusterCount);
    }

    [Fact]
    public void Build_RandomData_NeverMixesTags()
    {
        manual_seed(3);
        using var x = randn(300, 6);
        var rng = new Random(3);
        var tags = Enumerable.Range(0, 300).Select(_ => (long)rng.Next(5)).ToArray();
        var classes = Enumerable.Range(0, 300).Select(_ => (long)rng.Next(4)).ToArray();
        var o = new HierarchyOptions { PurityThreshold = 0, MinMembers = 1, Art = new ArtOptions { Vigilance = 0.5, Sigma = 5e-6 } };
        using var h = ExemplarHierarchy.Build(x, tags, classes, 5, 4, o);
        Assert.Equal(300, h.MemberCounts.Sum());
        Assert.True(h.Count > 5);
        var dist = h.TagDistribution.data<float>().ToArray();
        for (var k = 0; k < h.Count; k++)
        {
            for (var t = 0; t < 5; t++)
            {
                Assert.Equal(t == h.PrototypeTags[k] ? 1f : 0f, dist[(k * 5) + t]);
            }
        }
    }

    [Fact]
    public void Build_TensorAndManagedBackends_SameHierarchy()
    {
        manual_seed(4);
        using var x = randn(200, 5, dtype: float64);
        var rng = new Random(4);
        var tags = Enumerable.Range(0, 200).Select(_ => (long)rng.Next(3)).ToArray();
        var classes = Enumerable.Range(0, 200).Select(_ => (long)rng.Next(2)).ToArray();
        var art = new ArtOptions { Vigilance = 0.6, Beta = 0.5, Sigma = 0.01, Epochs = 2 };
        using var a = ExemplarHierarchy.Build(x, tags, classes, 3, 2, new HierarchyOptions { Art = art, Backend = ArtBackend.Tensor });
        using var b = ExemplarHierarchy.Build(x, tags, classes, 3, 2, new HierarchyOptions { Art = art, Backend = ArtBackend.Managed });
        Assert.True(a.Count > 2);
        Assert.Equal(a.ClusterCount, b.ClusterCount);
        Assert.Equal(a.PrototypeTags, b.PrototypeTags);
        Assert.Equal(a.PrototypeClasses, b.PrototypeClasses);
        Assert.Equal(a.MemberCounts, b.MemberCounts);
        TensorAssert.Close(a.Prototypes, b.Prototypes, 1e-12, 0);
    }

    [Fact]
    public void Build_ConstrainByClass_SameTagDifferentClassNeverShare()
    {
        using var x = tensor(new[] { 0.0, 0.0, 0.01, 0.01, 1.0 }, new long[] { 5, 1 }, float64);
        var tags = new long[] { 0, 0, 0, 0, 0 };
        var classes = new long[] { 0, 1, 0, 1, 0 };
        var o = new HierarchyOptions { ConstrainByClass = true, PurityThreshold = 1.0 };
        using var h = ExemplarHierarchy.Build(x, tags, classes, 1, 2, o);
        Assert.Equal(2, h.Count);
        Assert.Equal(new long[] { 0, 1 }, h.PrototypeClasses);
        TensorAssert.Values(new[] { 1f, 0f, 0f, 1f }, h.ClassDistribution);
        using var merged = ExemplarHierarchy.Build(x, tags, classes, 1, 2, new HierarchyOptions { PurityThreshold = 0.5 });
        Assert.Equal(1, merged.Count);
    }

    [Fact]
    public void Project_TrainingAndOutOfRange_ScaledClampedComplementCoded()
    {
        using var x = tensor(new float[] { 0, 10, 2, 30, 4, 20 }, new long[] { 3, 2 });
        using var h = ExemplarHierarchy.Build(x, new long[] { 0, 0, 0 }, new long[] { 0, 0, 0 }, 1, 1);
        TensorAssert.Values(new[] { 0f, 10f }, h.FeatureMin);
        TensorAssert.Values(new[] { 4f, 30f }, h.FeatureMax);
        using var q = tensor(new float[] { 2, 20, -1, 99 }, new long[] { 1, 2, 2 });
        using var p = h.Project(q);
        TensorAssert.Shape(p, 1, 2, 4);
        TensorAssert.Values(new[] { 0.5f, 0.5f, 0.5f, 0.5f, 0f, 1f, 1f, 0f }, p);
        using var wrong = zeros(3, 3);
        Assert.Contains("dimension mismatch", Assert.Throws<ArgumentException>(() => h.Project(wrong)).Message);
    }

    [Fact]
    public void SaveLoad_RoundTrip_SameHierarchy()
    {
        using var x = HandFeatures();
        using var h = ExemplarHierarchy.Build(x, Tags, Classes, 2, 2);
        using var ms = new MemoryStream();
        h.Save(ms);
        ms.Position = 0;
        using var l = ExemplarHierarchy.Load(ms);
        TensorAssert.Close(h.Prototypes, l.Prototypes, 0, 0);
        TensorAssert.Close(h.TagDistribution, l.TagDistribution, 0, 0);
        TensorAssert.Close(h.ClassDistribution, l.ClassDistribution, 0, 0);
        TensorAssert.Close(h.FeatureMin, l.FeatureMin, 0, 0);
        TensorAssert.Close(h.FeatureMax, l.FeatureMax, 0, 0);
        Assert.Equal(h.PrototypeTags, l.PrototypeTags);
        Assert.Equal(h.PrototypeClasses, l.PrototypeClasses);
        Assert.Equal(h.MemberCounts, l.MemberCounts);
        Assert.Equal((h.TagCount, h.ClassCount, h.ClusterCount), (l.TagCount, l.ClassCount, l.ClusterCount));
        using var truncated = new MemoryStream(ms.ToArray()[..40]);
        Assert.Throws<InvalidDataException>(() => ExemplarHierarchy.Load(truncated));
    }

    [Fact]
    public void Build_BadInput_ThrowsClearMessages()
    {
        using var x = HandFeatures();
        Assert.Contains("tags[1] = 2 is out of range [0, 2)", Assert.Throws<ArgumentException>(() =>
            ExemplarHierarchy.Build(x, new long[] { 0, 2, 0, 0, 0, 0, 0, 0 }, Classes, 2, 2)).Message);
        Assert.Contains("classes[0] = -1", Assert.Throws<ArgumentException>(() =>
            ExemplarHierarchy.Build(x, Tags, new long[] { -1, 0, 0, 0, 0, 0, 0, 0 }, 2, 2)).Message);
        Assert.Contains("has 3 entries but there are 8 rows", Assert.Throws<ArgumentException>(() =>
            ExemplarHierarchy.Build(x, new long[] { 0, 0, 0 }, Classes, 2, 2)).Message);
        using var nan = tensor(new[] { 0.0, double.NaN }, new long[] { 2, 1 }, float64);
        Assert.Contains("NaN or Inf", Assert.Throws<ArgumentException>(() =>
            ExemplarHierarchy.Build(nan, new long[] { 0, 0 }, new long[] { 0, 0 }, 1, 1)).Message);
        Assert.Contains("PurityThreshold", Assert.Throws<ArgumentException>(() =>
            ExemplarHierarchy.Build(x, Tags, Classes, 2, 2, new HierarchyOptions { PurityThreshold = 2 })).Message);
    }

    [Fact]
    public void BuildAndProject_NoTensorLeaks()
    {
        using var x = HandFeatures();
        TensorLeaks.AssertNone(() => ExemplarHierarchy.Build(x, Tags, Classes, 2, 2).Dispose());
        using var h = ExemplarHierarchy.Build(x, Tags, Classes, 2, 2);
        TensorLeaks.AssertNone(() => h.Project(x).Dispose());
        using var cands = zeros(new long[] { 8, 2 }, ScalarType.Int64);
        TensorLeaks.AssertNone(() => h.Match(x, cands).Dispose());
    }
}
