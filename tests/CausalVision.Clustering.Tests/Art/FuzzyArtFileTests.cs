using CausalVision.Clustering.Art;
using CausalVision.Weights;

namespace CausalVision.Clustering.Tests.Art;

/// <summary>The ART file: a safetensors state file; legacy CVFUZZYART files still load.</summary>
public sealed class FuzzyArtFileTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-artfile-" + Guid.NewGuid().ToString("N"));

    public FuzzyArtFileTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static FuzzyArt Fitted(ScalarType dtype)
    {
        manual_seed(8);
        var art = new FuzzyArt(new ArtOptions { Vigilance = 0.75, Sigma = 0.01, Epochs = 2 });
        using var x = rand(40, 3).to(dtype);
        art.Fit(x, Enumerable.Range(0, 40).Select(i => (long)(i % 3)).ToArray());
        return art;
    }

    private static byte[] Saved(FuzzyArt art)
    {
        using var ms = new MemoryStream();
        art.Save(ms);
        return ms.ToArray();
    }

    private static void AssertSame(FuzzyArt a, FuzzyArt b)
    {
        Assert.Equal((a.ClusterCount, a.InputDimension, a.CodedDimension), (b.ClusterCount, b.InputDimension, b.CodedDimension));
        Assert.Equal(a.Vigilances, b.Vigilances);
        Assert.Equal(a.Counts, b.Counts);
        Assert.Equal(a.ClusterLabels, b.ClusterLabels);
        var (x, y) = (a.Options, b.Options);
        Assert.Equal((x.Vigilance, x.Alpha, x.Beta, x.Sigma, x.ComplementCode, x.MatchTracking, x.MatchTrackingEpsilon, x.Epochs), (y.Vigilance, y.Alpha, y.Beta, y.Sigma, y.ComplementCode, y.MatchTracking, y.MatchTrackingEpsilon, y.Epochs));
        using var w1 = a.GetWeights();
        using var w2 = b.GetWeights();
        Assert.Equal(w1.dtype, w2.dtype);
        TensorAssert.Close(w1, w2, 0, 0);
    }

    [Theory]
    [InlineData(ScalarType.Float32, "F32")]
    [InlineData(ScalarType.Float64, "F64")]
    public void Save_WritesSafeTensorsWithFormatMetadataAndTypedTensors(ScalarType dtype, string code)
    {
        using var art = Fitted(dtype);
        var path = Path.Combine(dir, "art.safetensors");
        art.Save(path);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(FuzzyArt.Format, header.Metadata["format"]);
        Assert.Equal("1", header.Metadata["format_version"]);
        Assert.Equal("0.75", header.Metadata["vigilance"]);
        Assert.Equal("true", header.Metadata["complement_code"]);
        Assert.Equal("3", header.Metadata["input_dimension"]);
        var c = art.ClusterCount;
        string Entry(string name) => header.Entries.Where(e => e.Name == name).Select(e => $"{e.DType} [{string.Join(", ", e.Shape)}]").Single();
        Assert.Equal($"{code} [{c}, 6]", Entry("weights"));
        Assert.Equal($"F64 [{c}]", Entry("vigilances"));
        Assert.Equal($"I64 [{c}]", Entry("counts"));
        Assert.Equal($"I64 [{c}]", Entry("cluster_labels"));
        using var loaded = FuzzyArt.Load(path);
        AssertSame(art, loaded);
        using var x = rand(10, 3).to(dtype);
        Assert.Equal(art.Predict(x), loaded.Predict(x));
    }

    [Fact]
    public void SaveLoad_Unfitted_RoundTripsAndLearnsAfterwards()
    {
        using var art = new FuzzyArt(new ArtOptions { Vigilance = 0.6 });
        using var loaded = FuzzyArt.Load(new MemoryStream(Saved(art)));
        Assert.Equal(0, loaded.ClusterCount);
        Assert.Equal(-1, loaded.InputDimension);
        using var x = rand(5, 2);
        loaded.Fit(x);
        Assert.True(loaded.ClusterCount > 0);
    }

    [Fact]
    public void Load_LegacyFile_SameContentAndResavedAsSafeTensors()
    {
        var e = LegacyFixtures.Json("fuzzyart.json");
        using var art = FuzzyArt.Load(LegacyFixtures.PathOf("fuzzyart.cvfuzzyart"));
        void Check(FuzzyArt m)
        {
            var o = m.Options;
            Assert.Equal(
                (e.GetProperty("Vigilance").GetDouble(), e.GetProperty("Alpha").GetDouble(), e.GetProperty("Beta").GetDouble(), e.GetProperty("Sigma").GetDouble()),
                (o.Vigilance, o.Alpha, o.Beta, o.Sigma));
            Assert.Equal(
                (e.GetProperty("ComplementCode").GetBoolean(), e.GetProperty("MatchTracking").GetBoolean(), e.GetProperty("MatchTrackingEpsilon").GetDouble(), e.GetProperty("Epochs").GetInt32()),
                (o.ComplementCode, o.MatchTracking, o.MatchTrackingEpsilon, o.Epochs));
            Assert.Equal(e.GetProperty("InputDimension").GetInt64(), m.InputDimension);
            Assert.Equal(e.GetProperty("ClusterCount").GetInt32(), m.ClusterCount);
            Assert.Equal(LegacyFixtures.Doubles(e.GetProperty("Vigilances")), m.Vigilances);
            Assert.Equal(LegacyFixtures.Longs(e.GetProperty("Counts")), m.Counts);
            Assert.Equal(LegacyFixtures.Longs(e.GetProperty("ClusterLabels")), m.ClusterLabels);
            using var w = m.GetWeights();
            Assert.Equal(e.GetProperty("Float64").GetBoolean() ? ScalarType.Float64 : ScalarType.Float32, w.dtype);
            Assert.Equal(LegacyFixtures.Doubles(e.GetProperty("Weights")), w.data<double>().ToArray());
        }

        Check(art);
        var resaved = Saved(art);
        Assert.Equal((byte)'{', resaved[8]);
        using var again = FuzzyArt.Load(new MemoryStream(resaved));
        Check(again);
    }

    [Fact]
    public void Load_BadFields_ThrowInvalidDataNamingFileAndField()
    {
        using var art = Fitted(ScalarType.Float32);
        var good = Saved(art);
        string Fails(byte[] bytes)
        {
            var path = Path.Combine(dir, "bad.safetensors");
            File.WriteAllBytes(path, bytes);
            var message = Assert.Throws<InvalidDataException>(() => FuzzyArt.Load(path)).Message;
            Assert.Contains(path, message);
            return message;
        }

        Assert.Contains("metadata 'complement_code'", Fails(StateFileMutator.Edit(good, (_, m) => m["complement_code"] = "yes")));
        Assert.Contains("invalid options", Fails(StateFileMutator.Edit(good, (_, m) => m["beta"] = "0")));
        Assert.Contains("metadata 'input_dimension'", Fails(StateFileMutator.Edit(good, (_, m) => m["input_dimension"] = "0")));
        Assert.Contains("tensor 'weights': shape", Fails(StateFileMutator.Edit(good, (_, m) => m["input_dimension"] = "4")));
        Assert.Contains("tensor 'weights': holds NaN", Fails(StateFileMutator.Edit(good, (t, _) => t["weights"] = t["weights"].clone().fill_(double.PositiveInfinity))));
        Assert.Contains("tensor 'vigilances': entry 0", Fails(StateFileMutator.Edit(good, (t, _) => t["vigilances"] = t["vigilances"].clone().fill_(1.5))));
        Assert.Contains("tensor 'counts': dtype Float32", Fails(StateFileMutator.Edit(good, (t, _) => t["counts"] = t["counts"].to(float32))));
        Assert.Contains("tensor 'cluster_labels': shape", Fails(StateFileMutator.Edit(good, (t, _) => t["cluster_labels"] = t["cluster_labels"].narrow(0, 1, t["cluster_labels"].shape[0] - 1))));
        Assert.Contains("metadata 'extra': unexpected", Fails(StateFileMutator.Edit(good, (_, m) => m["extra"] = "1")));
        Assert.Contains("metadata 'format': 'causalvision.kmeans', expected", Fails(StateFileMutator.Edit(good, (_, m) => m["format"] = "causalvision.kmeans")));
    }
}
