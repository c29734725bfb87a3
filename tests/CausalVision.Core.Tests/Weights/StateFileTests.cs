using CausalVision.Weights;

namespace CausalVision.Tests.Weights;

/// <summary>The state-file layout shared by the library's persisted state: typed metadata, typed tensors, one exception family.</summary>
public sealed class StateFileTests
{
    private static byte[] Written(Action<StateFileWriter> fill, string format = "causalvision.test", int version = 1)
    {
        using var w = new StateFileWriter(format, version);
        fill(w);
        using var ms = new MemoryStream();
        w.Save(ms);
        return ms.ToArray();
    }

    private static StateFileReader Read(byte[] bytes, int version = 1) => StateFileReader.Open(new MemoryStream(bytes), "t.safetensors", "causalvision.test", version, "Test file");

    [Fact]
    public void WriteRead_SettingsAndArrays_RoundTripExactly()
    {
        using var x = tensor(new float[] { 1.5f, -2, 3 }, new long[] { 3, 1 });
        var bytes = Written(w => w.Set("i", -7).Set("l", long.MaxValue).Set("d", 0.1 + 0.2).Set("tiny", double.Epsilon).Set("b", true).Set("s", "é\"\n")
            .Add("x", x).AddInt64s("ids", [1, -2, long.MinValue]).AddFloat64s("v", [0.1, double.MaxValue]).AddBytes("raw", [0, 255]));
        using var r = Read(bytes);
        Assert.Equal((-7, long.MaxValue, 0.1 + 0.2, double.Epsilon, true, "é\"\n"), (r.GetInt32("i"), r.GetInt64("l"), r.GetDouble("d"), r.GetDouble("tiny"), r.GetBoolean("b"), r.GetString("s")));
        TensorAssert.Close(x, r.GetFiniteFloat("x", 3, 1), 0, 0);
        Assert.Equal([1, -2, long.MinValue], r.GetInt64s("ids", 3));
        Assert.Equal([0.1, double.MaxValue], r.GetFloat64s("v", -1));
        Assert.Equal([0, 255], r.GetBytes("raw"));
        r.RejectUnread();
        Assert.Equal(1, r.Version);
    }

    [Fact]
    public void Read_WrongTypesAndShapes_NameTheFileAndTheField()
    {
        using var x = tensor(new[] { 1.0, double.NaN });
        var bytes = Written(w => w.Set("n", "12x").Set("big", "2147483648").Set("inf", double.PositiveInfinity).Set("b", "True").Add("x", x).AddInt64s("ids", [1]));
        using var r = Read(bytes);
        string Message(Action a) => Assert.Throws<InvalidDataException>(a).Message;
        Assert.Equal("Test file 't.safetensors', metadata 'n': '12x' is not an integer.", Message(() => r.GetInt64("n")));
        Assert.Contains("metadata 'big': '2147483648' is not a 32-bit integer", Message(() => r.GetInt32("big")));
        Assert.Contains("metadata 'inf': Infinity is not finite", Message(() => r.GetDouble("inf")));
        Assert.True(double.IsPositiveInfinity(r.GetDouble("inf", allowNonFinite: true)));
        Assert.Contains("metadata 'b': 'True' is not 'true' or 'false'", Message(() => r.GetBoolean("b")));
        Assert.Contains("metadata 'absent': missing", Message(() => r.GetString("absent")));
        Assert.Contains("tensor 'x': holds NaN or infinite values", Message(() => r.GetFiniteFloat("x", 2)));
        Assert.Contains("tensor 'x': shape [2], expected [*, 1]", Message(() => r.GetTensor("x", [ScalarType.Float64], -1, 1)));
        Assert.Contains("tensor 'ids': dtype Int64, expected Float64", Message(() => r.GetFloat64s("ids", 1)));
        Assert.Contains("tensor 'x': dtype Float64, expected Int64", Message(() => r.GetInt64s("x", 2)));
    }

    [Fact]
    public void Open_OtherFormatOrVersion_Refused()
    {
        var other = Written(_ => { }, format: "causalvision.other");
        Assert.Contains("metadata 'format': 'causalvision.other', expected 'causalvision.test'", Assert.Throws<InvalidDataException>(() => Read(other)).Message);
        var newer = Written(_ => { }, version: 3);
        Assert.Contains("has format version 3; this library reads version 1 (the file was written by a newer version)", Assert.Throws<InvalidDataException>(() => Read(newer)).Message);
        Assert.Contains("Safetensors file 't.safetensors'", Assert.Throws<InvalidDataException>(() => Read([1, 2, 3])).Message);
        Assert.Throws<ArgumentException>(() => new StateFileWriter("f", 1).Set("format_version", "2"));
    }

    [Fact]
    public void RejectUnread_UnexpectedTensorOrKey_Refused()
    {
        using (var r = Read(Written(w => w.Set("a", 1).AddInt64s("t", [1]))))
        {
            _ = r.GetInt32("a");
            Assert.Contains("tensor 't': unexpected in a version-1 file", Assert.Throws<InvalidDataException>(r.RejectUnread).Message);
        }

        using (var r = Read(Written(w => w.Set("a", 1))))
        {
            Assert.Contains("metadata 'a': unexpected", Assert.Throws<InvalidDataException>(r.RejectUnread).Message);
        }
    }

    [Fact]
    public void SaveToPath_IsAtomicAndOpenMetadataReadsNoTensors()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cv-statefile-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = Path.Combine(dir, "sub", "s.safetensors");
            using (var w = new StateFileWriter("causalvision.test", 1))
            {
                w.Set("k", "v").AddInt64s("t", [4]).Save(path);
            }

            Assert.Equal(["s.safetensors"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
            using var r = StateFileReader.OpenMetadata(path, "causalvision.test", 1, "Test file");
            Assert.Equal("v", r.GetString("k"));
            Assert.Empty(r.TensorNames);
            Assert.Throws<FileNotFoundException>(() => StateFileReader.Open(Path.Combine(dir, "none"), "causalvision.test", 1, "Test file"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
