using CausalVision.CausalLabels;
using CausalVision.Weights;

namespace CausalVision.Tests.CausalLabels;

/// <summary>The confounder dictionary file: a safetensors state file; legacy CVCONFDICT files still load.</summary>
public sealed class ConfounderDictionaryFileTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-dictfile-" + Guid.NewGuid().ToString("N"));

    public ConfounderDictionaryFileTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static byte[] Saved(ConfounderDictionary d)
    {
        using var ms = new MemoryStream();
        d.Save(ms);
        return ms.ToArray();
    }

    [Fact]
    public void Save_WritesSafeTensorsWithFormatMetadata()
    {
        using var d = ConfounderDictionary.Random(5, 3, seed: 2);
        var path = Path.Combine(dir, "dict.safetensors");
        d.Save(path);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(ConfounderDictionary.Format, header.Metadata["format"]);
        Assert.Equal("1", header.Metadata["format_version"]);
        Assert.Equal(["centres F32 [5, 3]", "prior F32 [5]"], header.Entries.Select(e => $"{e.Name} {e.DType} [{string.Join(", ", e.Shape)}]").Order(StringComparer.Ordinal));
        using var l = ConfounderDictionary.Load(path);
        TensorAssert.Close(d.Centres, l.Centres, 0, 0);
        TensorAssert.Close(d.Prior, l.Prior, 0, 0);
    }

    [Fact]
    public void Load_LegacyFile_SameContentAndResavedAsSafeTensors()
    {
        var e = LegacyFixtures.Json("confounders.json");
        using var d = ConfounderDictionary.Load(LegacyFixtures.PathOf("confounders.cvconfdict"));
        void Check(ConfounderDictionary m)
        {
            Assert.Equal((e.GetProperty("Count").GetInt32(), e.GetProperty("Dim").GetInt32()), (m.Count, m.Dim));
            Assert.Equal(LegacyFixtures.Floats(e.GetProperty("Centres")), m.Centres.data<float>().ToArray());
            Assert.Equal(LegacyFixtures.Floats(e.GetProperty("Prior")), m.Prior.data<float>().ToArray());
        }

        Check(d);
        var resaved = Saved(d);
        Assert.Equal((byte)'{', resaved[8]);
        using var again = ConfounderDictionary.Load(new MemoryStream(resaved));
        Check(again);
    }

    [Fact]
    public void Load_BadFields_ThrowInvalidDataNamingFileAndField()
    {
        using var d = ConfounderDictionary.Random(3, 2, seed: 1);
        var good = Saved(d);
        string Fails(byte[] bytes)
        {
            var path = Path.Combine(dir, "bad.safetensors");
            File.WriteAllBytes(path, bytes);
            var message = Assert.Throws<InvalidDataException>(() => ConfounderDictionary.Load(path)).Message;
            Assert.Contains(path, message);
            return message;
        }

        Assert.Contains("tensor 'prior': The prior must sum to 1", Fails(StateFileMutator.Edit(good, (t, _) => t["prior"] = t["prior"] * 2)));
        Assert.Contains("tensor 'centres': centres contains NaN", Fails(StateFileMutator.Edit(good, (t, _) => t["centres"] = t["centres"].clone().fill_(double.NaN))));
        Assert.Contains("tensor 'centres': dtype Float64, expected Float32", Fails(StateFileMutator.Edit(good, (t, _) => t["centres"] = t["centres"].to(float64))));
        Assert.Contains("tensor 'prior': shape [2], expected [3]", Fails(StateFileMutator.Edit(good, (t, _) => t["prior"] = t["prior"].narrow(0, 0, 2))));
        Assert.Contains("metadata 'format_version'", Fails(StateFileMutator.Edit(good, (_, m) => m["format_version"] = "one")));
        Assert.Contains("metadata 'format': absent", Fails(StateFileMutator.Edit(good, (_, m) => m.Remove("format"))));
    }

    [Fact]
    public void Load_LegacyHeaderDeclaringHugeSizes_RefusedBeforeAllocating()
    {
        // A corrupt legacy header (K = D = 20,000: 1.6 GB of values) over a few bytes of data: refused from the
        // file's length, without allocating the declared size (a fuzzed header used to cost 2 GB per file).
        var bytes = new List<byte>(System.Text.Encoding.ASCII.GetBytes("CVCONFDICT"));
        bytes.AddRange(BitConverter.GetBytes(1));
        bytes.AddRange(BitConverter.GetBytes(20_000));
        bytes.AddRange(BitConverter.GetBytes(20_000));
        bytes.AddRange(new byte[64]);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => ConfounderDictionary.Load(new MemoryStream([.. bytes])));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the declared size was allocated");
    }
}
