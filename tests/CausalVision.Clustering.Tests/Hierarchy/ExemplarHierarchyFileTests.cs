using CausalVision.Clustering.Hierarchy;
using CausalVision.Weights;

namespace CausalVision.Clustering.Tests.Hierarchy;

/// <summary>The exemplar hierarchy file: a safetensors state file; legacy CVEXEMPLARS files still load.</summary>
public sealed class ExemplarHierarchyFileTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-vsefile-" + Guid.NewGuid().ToString("N"));

    public ExemplarHierarchyFileTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static ExemplarHierarchy Built(ScalarType dtype)
    {
        using var x = tensor(new double[] { 0.0, 0.05, 0.1, 0.0, 0.05, 1.0, 0.95, 1.0 }, new long[] { 8, 1 }, float64).to(dtype);
        return ExemplarHierarchy.Build(x, new long[] { 0, 0, 0, 1, 1, 0, 1, 1 }, new long[] { 0, 0, 1, 1, 0, 1, 1, 1 }, 2, 2);
    }

    private static byte[] Saved(ExemplarHierarchy h)
    {
        using var ms = new MemoryStream();
        h.Save(ms);
        return ms.ToArray();
    }

    private static void AssertSame(ExemplarHierarchy h, ExemplarHierarchy l)
    {
        foreach (var (a, b) in new[] { (h.Prototypes, l.Prototypes), (h.TagDistribution, l.TagDistribution), (h.ClassDistribution, l.ClassDistribution), (h.FeatureMin, l.FeatureMin), (h.FeatureMax, l.FeatureMax) })
        {
            Assert.Equal(a.dtype, b.dtype);
            TensorAssert.Close(a, b, 0, 0);
        }

        Assert.Equal(h.PrototypeTags, l.PrototypeTags);
        Assert.Equal(h.PrototypeClasses, l.PrototypeClasses);
        Assert.Equal(h.MemberCounts, l.MemberCounts);
        Assert.Equal((h.TagCount, h.ClassCount, h.ClusterCount), (l.TagCount, l.ClassCount, l.ClusterCount));
    }

    [Theory]
    [InlineData(ScalarType.Float32, "F32")]
    [InlineData(ScalarType.Float64, "F64")]
    public void Save_WritesSafeTensorsWithFormatMetadataAndTypedTensors(ScalarType dtype, string code)
    {
        using var h = Built(dtype);
        var path = Path.Combine(dir, "vse.safetensors");
        h.Save(path);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(ExemplarHierarchy.Format, header.Metadata["format"]);
        Assert.Equal("1", header.Metadata["format_version"]);
        Assert.Equal(("2", "2", "4"), (header.Metadata["tag_count"], header.Metadata["class_count"], header.Metadata["cluster_count"]));
        string Entry(string name) => header.Entries.Where(e => e.Name == name).Select(e => $"{e.DType} [{string.Join(", ", e.Shape)}]").Single();
        Assert.Equal($"{code} [2, 2]", Entry("prototypes"));
        Assert.Equal($"{code} [2, 2]", Entry("tag_distribution"));
        Assert.Equal($"{code} [1]", Entry("feature_min"));
        Assert.Equal("I64 [2]", Entry("prototype_tags"));
        Assert.Equal("I64 [2]", Entry("member_counts"));
        using var l = ExemplarHierarchy.Load(path);
        AssertSame(h, l);
    }

    [Fact]
    public void Load_LegacyFile_SameContentAndResavedAsSafeTensors()
    {
        var e = LegacyFixtures.Json("exemplars.json");
        using var h = ExemplarHierarchy.Load(LegacyFixtures.PathOf("exemplars.cvexemplars"));
        void Check(ExemplarHierarchy m)
        {
            Assert.Equal((e.GetProperty("TagCount").GetInt32(), e.GetProperty("ClassCount").GetInt32(), e.GetProperty("ClusterCount").GetInt32()), (m.TagCount, m.ClassCount, m.ClusterCount));
            Assert.Equal(ScalarType.Float64, m.Prototypes.dtype);
            Assert.Equal(LegacyFixtures.Longs(e.GetProperty("PrototypeShape")), m.Prototypes.shape);
            Assert.Equal(LegacyFixtures.Doubles(e.GetProperty("Prototypes")), m.Prototypes.data<double>().ToArray());
            Assert.Equal(LegacyFixtures.Doubles(e.GetProperty("TagDistribution")), m.TagDistribution.data<double>().ToArray());
            Assert.Equal(LegacyFixtures.Doubles(e.GetProperty("ClassDistribution")), m.ClassDistribution.data<double>().ToArray());
            Assert.Equal(LegacyFixtures.Doubles(e.GetProperty("FeatureMin")), m.FeatureMin.data<double>().ToArray());
            Assert.Equal(LegacyFixtures.Doubles(e.GetProperty("FeatureMax")), m.FeatureMax.data<double>().ToArray());
            Assert.Equal(LegacyFixtures.Longs(e.GetProperty("PrototypeTags")), m.PrototypeTags);
            Assert.Equal(LegacyFixtures.Longs(e.GetProperty("PrototypeClasses")), m.PrototypeClasses);
            Assert.Equal(LegacyFixtures.Longs(e.GetProperty("MemberCounts")), m.MemberCounts);
        }

        Check(h);
        var resaved = Saved(h);
        Assert.Equal((byte)'{', resaved[8]);
        using var again = ExemplarHierarchy.Load(new MemoryStream(resaved));
        Check(again);
    }

    [Fact]
    public void Load_BadFields_ThrowInvalidDataNamingFileAndField()
    {
        using var h = Built(ScalarType.Float32);
        var good = Saved(h);
        string Fails(byte[] bytes)
        {
            var path = Path.Combine(dir, "bad.safetensors");
            File.WriteAllBytes(path, bytes);
            var message = Assert.Throws<InvalidDataException>(() => ExemplarHierarchy.Load(path)).Message;
            Assert.Contains(path, message);
            return message;
        }

        Assert.Contains("metadata 'tag_count'", Fails(StateFileMutator.Edit(good, (_, m) => m["tag_count"] = "0")));
        Assert.Contains("metadata 'cluster_count'", Fails(StateFileMutator.Edit(good, (_, m) => m["cluster_count"] = "1")));
        Assert.Contains("tensor 'tag_distribution': shape", Fails(StateFileMutator.Edit(good, (_, m) => m["tag_count"] = "3")));
        Assert.Contains("tensor 'prototypes': dtype Float64, expected Float32", Fails(StateFileMutator.Edit(good, (t, _) => t["prototypes"] = t["prototypes"].to(float64))));
        Assert.Contains("tensor 'feature_max': holds NaN", Fails(StateFileMutator.Edit(good, (t, _) => t["feature_max"] = t["feature_max"].clone().fill_(double.NaN))));
        Assert.Contains("tensor 'prototype_tags': entry 1 (2) is outside [0, 2)", Fails(StateFileMutator.Edit(good, (t, _) => t["prototype_tags"] = tensor(new long[] { 0, 2 }))));
        Assert.Contains("tensor 'prototype_classes': dtype Bool", Fails(StateFileMutator.Edit(good, (t, _) => t["prototype_classes"] = t["prototype_classes"].to(ScalarType.Bool))));
        Assert.Contains("tensor 'member_counts': missing", Fails(StateFileMutator.Edit(good, (t, _) => t.Remove("member_counts"))));
    }
}
