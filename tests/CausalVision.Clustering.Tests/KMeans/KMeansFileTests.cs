using CausalVision.Clustering.KMeans;
using CausalVision.Weights;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;

namespace CausalVision.Clustering.Tests.KMeans;

/// <summary>The K-means file: a safetensors state file; legacy CVKMEANS files still load.</summary>
public sealed class KMeansFileTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-kmfile-" + Guid.NewGuid().ToString("N"));

    public KMeansFileTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static KMeansModel Fitted(ScalarType dtype = ScalarType.Float32)
    {
        manual_seed(4);
        using var x = randn(60, 4).to(dtype);
        return new KMeansModel(new KMeansOptions { Clusters = 3, Seed = 2, Tolerance = 1e-3, ChunkElements = 999 }).Fit(x);
    }

    private static byte[] Saved(KMeansModel km)
    {
        using var ms = new MemoryStream();
        km.Save(ms);
        return ms.ToArray();
    }

    [Fact]
    public void Save_WritesSafeTensorsWithFormatMetadataAndTypedTensors()
    {
        using var km = Fitted();
        var path = Path.Combine(dir, "km.safetensors");
        km.Save(path);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(KMeansModel.Format, header.Metadata["format"]);
        Assert.Equal("1", header.Metadata["format_version"]);
        Assert.Equal("3", header.Metadata["clusters"]);
        Assert.Equal("999", header.Metadata["chunk_elements"]);
        Assert.Equal(km.Inertia, double.Parse(header.Metadata["inertia"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["centers", "cluster_sizes"], header.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal("F32 [3, 4]", header.Entries.Where(e => e.Name == "centers").Select(e => $"{e.DType} [{string.Join(", ", e.Shape)}]").Single());
        Assert.Equal("I64 [3]", header.Entries.Where(e => e.Name == "cluster_sizes").Select(e => $"{e.DType} [{string.Join(", ", e.Shape)}]").Single());
        using var loaded = KMeansModel.Load(path);
        using var c1 = km.GetCenters();
        using var c2 = loaded.GetCenters();
        TensorAssert.Close(c1, c2, 0, 0);
        Assert.Equal((km.Inertia, km.Iterations, km.Converged), (loaded.Inertia, loaded.Iterations, loaded.Converged));
        Assert.Equal(km.ClusterSizes, loaded.ClusterSizes);
        Assert.Equal(999, loaded.Options.ChunkElements);
    }

    [Fact]
    public void SaveLoad_Float64Centres_KeepTheirDtype()
    {
        using var km = Fitted(ScalarType.Float64);
        using var loaded = KMeansModel.Load(new MemoryStream(Saved(km)));
        using var c1 = km.GetCenters();
        using var c2 = loaded.GetCenters();
        Assert.Equal(ScalarType.Float64, c2.dtype);
        TensorAssert.Close(c1, c2, 0, 0);
    }

    [Fact]
    public void Load_LegacyFile_SameContentAndResavedAsSafeTensors()
    {
        var expected = LegacyFixtures.Json("kmeans.json");
        using var km = KMeansModel.Load(LegacyFixtures.PathOf("kmeans.cvkmeans"));
        void Check(KMeansModel m)
        {
            var o = m.Options;
            Assert.Equal(
                (expected.GetProperty("Clusters").GetInt32(), expected.GetProperty("MaxIterations").GetInt32(), expected.GetProperty("Tolerance").GetDouble(), expected.GetProperty("Restarts").GetInt32(), expected.GetProperty("Seed").GetInt32()),
                (o.Clusters, o.MaxIterations, o.Tolerance, o.Restarts, o.Seed));
            Assert.Equal(
                (expected.GetProperty("LocalTrials").GetInt32(), expected.GetProperty("ChunkElements").GetInt64(), expected.GetProperty("BatchSize").GetInt32(), expected.GetProperty("MiniBatchEpochs").GetInt32(), expected.GetProperty("InitSize").GetInt32()),
                (o.LocalTrials, o.ChunkElements, o.BatchSize, o.MiniBatchEpochs, o.InitSize));
            Assert.Equal(expected.GetProperty("Inertia").GetDouble(), m.Inertia);
            Assert.Equal(expected.GetProperty("Iterations").GetInt32(), m.Iterations);
            Assert.Equal(expected.GetProperty("Converged").GetBoolean(), m.Converged);
            Assert.Equal(LegacyFixtures.Longs(expected.GetProperty("Sizes")), m.ClusterSizes);
            using var c = m.GetCenters();
            Assert.Equal(ScalarType.Float32, c.dtype);
            Assert.Equal(LegacyFixtures.Longs(expected.GetProperty("Shape")), c.shape);
            Assert.Equal(LegacyFixtures.Floats(expected.GetProperty("Centres")), c.data<float>().ToArray());
        }

        Check(km);
        var resaved = Saved(km);
        Assert.Equal((byte)'{', resaved[8]);
        using var again = KMeansModel.Load(new MemoryStream(resaved));
        Check(again);
    }

    [Fact]
    public void Load_NonSeekableStream_BothLayouts()
    {
        using var km = Fitted();
        using var a = KMeansModel.Load(new ForwardOnly(Saved(km)));
        Assert.Equal(km.ClusterSizes, a.ClusterSizes);
        using var b = KMeansModel.Load(new ForwardOnly(LegacyFixtures.Bytes("kmeans.cvkmeans")));
        Assert.Equal(3, b.ClusterCount);
    }

    [Fact]
    public void Load_BadFields_ThrowInvalidDataNamingFileAndField()
    {
        using var km = Fitted();
        var good = Saved(km);
        string Fails(byte[] bytes)
        {
            var path = Path.Combine(dir, "bad.safetensors");
            File.WriteAllBytes(path, bytes);
            var message = Assert.Throws<InvalidDataException>(() => KMeansModel.Load(path)).Message;
            Assert.Contains(path, message);
            return message;
        }

        Assert.Contains("metadata 'clusters'", Fails(StateFileMutator.Edit(good, (_, m) => m["clusters"] = "three")));
        Assert.Contains("invalid options", Fails(StateFileMutator.Edit(good, (_, m) => m["clusters"] = "0")));
        Assert.Contains("metadata 'converged'", Fails(StateFileMutator.Edit(good, (_, m) => m.Remove("converged"))));
        Assert.Contains("metadata 'inertia'", Fails(StateFileMutator.Edit(good, (_, m) => m["inertia"] = "NaN")));
        Assert.Contains("format version 2", Fails(StateFileMutator.Edit(good, (_, m) => m["format_version"] = "2")));
        Assert.Contains("metadata 'format': 'causalvision.fuzzy-art', expected", Fails(StateFileMutator.Edit(good, (_, m) => m["format"] = "causalvision.fuzzy-art")));
        Assert.Contains("tensor 'centers': holds NaN", Fails(StateFileMutator.Edit(good, (t, _) => t["centers"] = t["centers"].clone().index_fill_(0, tensor(new long[] { 1 }), double.NaN))));
        Assert.Contains("tensor 'centers': shape", Fails(StateFileMutator.Edit(good, (t, _) => t["centers"] = t["centers"].narrow(0, 0, 2))));
        Assert.Contains("tensor 'cluster_sizes': dtype Float64", Fails(StateFileMutator.Edit(good, (t, _) => t["cluster_sizes"] = t["cluster_sizes"].to(float64))));
        Assert.Contains("tensor 'cluster_sizes': entry 1 is negative", Fails(StateFileMutator.Edit(good, (t, _) => t["cluster_sizes"] = tensor(new long[] { 1, -2, 3 }))));
        Assert.Contains("tensor 'extra': unexpected", Fails(StateFileMutator.Edit(good, (t, _) => t["extra"] = zeros(1))));
        Assert.Contains("truncated", Fails(good[..^3]));
    }

    private sealed class ForwardOnly(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
