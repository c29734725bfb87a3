using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using CausalVision.Weights;

namespace CausalVision.Tests.Weights;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("cv-safetensors-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    internal static byte[] Build(string header, params byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    [Fact]
    public void Load_HandMadeFile_ReadsExactValuesAndDtypes()
    {
        const string header = """{"__metadata__":{"format":"pt"},"f32":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"f16":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"bf16":{"dtype":"BF16","shape":[1,2],"data_offsets":[12,16]},"i64":{"dtype":"I64","shape":[],"data_offsets":[16,24]}}""";
        byte[] data =
        [
            0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0, // F32 1.5, -2.0
            0x00, 0x3C, 0x00, 0xC1,                         // F16 1.0 (0x3C00), -2.5 (0xC100)
            0x80, 0x3F, 0x49, 0x40,                         // BF16 1.0 (0x3F80), 3.140625 (0x4049)
            0x07, 0, 0, 0, 0, 0, 0, 0,                      // I64 7
        ];
        var path = Path.Combine(dir, "known.safetensors");
        File.WriteAllBytes(path, Build(header, data));

        TensorLeaks.AssertNone(() =>
        {
            using var loaded = SafeTensors.Load(path);
        });

        using (var t = SafeTensors.Load(path))
        {
            Assert.Equal(["bf16", "f16", "f32", "i64"], t.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("pt", t.Metadata["format"]);
            Assert.Equal(ScalarType.Float32, t["f32"].dtype);
            Assert.Equal(ScalarType.Float16, t["f16"].dtype);
            Assert.Equal(ScalarType.BFloat16, t["bf16"].dtype);
            Assert.Equal(ScalarType.Int64, t["i64"].dtype);
            TensorAssert.Values([1.5f, -2f], t["f32"], atol: 0);
            TensorAssert.Values([1f, -2.5f], t["f16"], atol: 0);
            TensorAssert.Shape(t["bf16"], 1, 2);
            TensorAssert.Values([1f, 3.140625f], t["bf16"], atol: 0);
            Assert.Empty(t["i64"].shape);
            Assert.Equal(7L, t["i64"].item<long>());
        }
    }

    [Fact]
    public void ReadHeader_HandMadeFile_ListsEntriesInOffsetOrder()
    {
        var path = Path.Combine(dir, "h.safetensors");
        File.WriteAllBytes(path, Build("""{"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}""", 1, 0, 9, 8));
        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(["a", "b"], header.Entries.Select(e => e.Name));
        Assert.Empty(header.Metadata);
        Assert.Equal(8 + header.DataStart - 8, header.DataStart);
        using var t = SafeTensors.Load(path);
        Assert.Equal([true, false], t["a"].data<bool>().ToArray());
        Assert.Equal([(byte)9, (byte)8], t["b"].data<byte>().ToArray());
    }

    [Fact]
    public void Save_KnownTensor_WritesSpecLayout()
    {
        using var x = tensor(new float[] { 1f, 2f });
        using var h = tensor(new float[] { 0.5f }).to(ScalarType.Float16);
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, new Dictionary<string, Tensor> { ["x"] = x, ["h"] = h }, new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = stream.ToArray();
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, n));
        Assert.Equal("pt", doc.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        var hEntry = doc.RootElement.GetProperty("h");
        Assert.Equal("F16", hEntry.GetProperty("dtype").GetString());
        Assert.Equal([0L, 2L], hEntry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        var xEntry = doc.RootElement.GetProperty("x");
        Assert.Equal("F32", xEntry.GetProperty("dtype").GetString());
        Assert.Equal([2L], xEntry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([2L, 10L], xEntry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(new byte[] { 0x00, 0x38, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40 }, bytes[(8 + n)..]);
    }

    [Fact]
    public void SaveLoad_AllDtypes_RoundTripBitExact()
    {
        manual_seed(3);
        using var scope = NewDisposeScope();
        var source = new Dictionary<string, Tensor>
        {
            ["f64"] = randn(3, 2, dtype: ScalarType.Float64),
            ["f32"] = randn(4, 1, 2),
            ["f16"] = randn(5).to(ScalarType.Float16),
            ["bf16"] = randn(2, 3).to(ScalarType.BFloat16),
            ["i64"] = randint(-100, 100, [7]),
            ["i32"] = randint(-100, 100, [2, 2]).to(ScalarType.Int32),
            ["u8"] = randint(0, 255, [3]).to(ScalarType.Byte),
            ["bool"] = randn(4) > 0,
            ["scalar"] = tensor(3.25f),
            ["empty"] = zeros(0, 3),
            ["strided"] = randn(3, 4).t(),
        };
        var path = Path.Combine(dir, "all.safetensors");
        SafeTensors.Save(path, source);
        using var loaded = SafeTensors.Load(path);
        Assert.Equal(source.Keys.Order(StringComparer.Ordinal), loaded.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, expected) in source)
        {
            Assert.Equal(expected.dtype, loaded[name].dtype);
            Assert.Equal(expected.shape, loaded[name].shape);
            Assert.True(expected.eq(loaded[name]).all().item<bool>(), name);
        }
    }

    [Fact]
    public void Save_UnsupportedDtypeOrName_ThrowsArgumentException()
    {
        using var c = zeros(2, dtype: ScalarType.ComplexFloat32);
        using var f = zeros(2);
        using var stream = new MemoryStream();
        var ex = Assert.Throws<ArgumentException>(() => SafeTensors.Save(stream, new Dictionary<string, Tensor> { ["c"] = c }));
        Assert.Contains("'c'", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(stream, new Dictionary<string, Tensor> { ["__metadata__"] = f }));
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(Path.Combine(dir, "nope.safetensors")));
        Assert.Contains("nope.safetensors", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string, string?> CorruptFiles()
    {
        const string ok = """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        var good = Build(ok, new byte[8]);
        var longHeader = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(longHeader, 1_000_000);
        return new TheoryData<string, byte[], string, string?>
        {
            { "short", [1, 2, 3], "truncated", null },
            { "header-beyond-file", longHeader, "exceeds", null },
            { "bad-json", Build("{\"w\": [", new byte[8]), "not valid JSON", null },
            { "not-object", Build("[1,2]"), "must be a JSON object", null },
            { "truncated-data", good[..^3], "beyond", "w" },
            { "offset-out-of-range", Build("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", new byte[8]), "beyond", "w" },
            { "overlap", Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]), "overlap", "b" },
            { "size-mismatch", Build("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", new byte[8]), "needs 12", "w" },
            { "bad-dtype", Build("""{"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", new byte[2]), "unsupported dtype 'F8_E4M3'", "w" },
            { "no-dtype", Build("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", new byte[8]), "dtype", "w" },
            { "negative-shape", Build("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", new byte[8]), "non-negative", "w" },
            { "reversed-offsets", Build("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}""", new byte[8]), "begin <= end", "w" },
            { "bad-metadata", Build("""{"__metadata__":{"k":1}}"""), "__metadata__", null },
        };
    }

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void Load_CorruptFile_ThrowsInvalidDataNamingFileAndTensor(string name, byte[] bytes, string fragment, string? tensorName)
    {
        var path = Path.Combine(dir, name + ".safetensors");
        File.WriteAllBytes(path, bytes);
        var live = TensorLeaks.LiveTensors;
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Equal(live, TensorLeaks.LiveTensors);
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        if (tensorName is not null)
        {
            Assert.Contains($"tensor '{tensorName}'", ex.Message, StringComparison.Ordinal);
        }
    }
}
