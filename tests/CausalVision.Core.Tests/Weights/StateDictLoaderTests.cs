using CausalVision.Weights;

namespace CausalVision.Tests.Weights;

public sealed class StateDictLoaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("cv-statedict-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // Keys: 0.weight [2, 3], 0.bias [2], 1.weight [1, 2], 1.bias [1].
    private static nn.Module<Tensor, Tensor> Net(int seed)
    {
        manual_seed(seed);
        return nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1));
    }

    [Fact]
    public void StateDictLoadOptions_Defaults_StrictWithoutRemapping()
    {
        var o = new StateDictLoadOptions();
        Assert.True(o.Strict);
        Assert.Empty(o.StripPrefixes);
        Assert.Empty(o.RenamePrefixes);
        Assert.Empty(o.IgnoreSourcePrefixes);
    }

    [Fact]
    public void Load_StrictWithMissingUnexpectedMismatched_ThrowsListingAllAndCopiesNothing()
    {
        using var net = Net(1);
        using var before = net.state_dict()["0.weight"].clone();
        using var w = ones(2, 3);
        using var badBias = ones(3);
        using var extra = ones(1);
        var source = new Dictionary<string, Tensor> { ["0.weight"] = w, ["0.bias"] = badBias, ["extra.weight"] = extra };

        var ex = Assert.Throws<StateDictMismatchException>(() => StateDictLoader.Load(net, source, sourceName: "test dict"));

        Assert.Equal(["1.bias", "1.weight"], ex.Report.Missing);
        Assert.Equal(["extra.weight"], ex.Report.Unexpected);
        var mismatch = Assert.Single(ex.Report.Mismatched);
        Assert.Equal("0.bias", mismatch.Key);
        Assert.Equal([2L], mismatch.Expected);
        Assert.Equal([3L], mismatch.Actual);
        Assert.Contains("test dict", ex.Message, StringComparison.Ordinal);
        foreach (var fragment in new[] { "1.bias", "1.weight", "extra.weight", "0.bias: expected [2], got [3]" })
        {
            Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        }

        Assert.True(before.eq(net.state_dict()["0.weight"]).all().item<bool>(), "Strict failure must not copy anything.");
    }

    [Fact]
    public void Load_NonStrict_CopiesMatchingKeysAndReportsTheRest()
    {
        using var net = Net(1);
        using var w = full(2, 3, 0.25f);
        using var badBias = ones(3);
        var report = StateDictLoader.Load(net, new Dictionary<string, Tensor> { ["0.weight"] = w, ["0.bias"] = badBias }, new StateDictLoadOptions { Strict = false });
        Assert.Equal(["0.weight"], report.Loaded);
        Assert.Equal(["1.bias", "1.weight"], report.Missing);
        Assert.Single(report.Mismatched);
        Assert.False(report.IsExact);
        TensorAssert.Values(Enumerable.Repeat(0.25f, 6).ToArray(), net.state_dict()["0.weight"], atol: 0);
        Assert.Contains("1 loaded", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_HalfAndBFloat16Sources_ConvertToParameterDtype()
    {
        using var net = Net(2);
        using var scope = NewDisposeScope();
        var source = new Dictionary<string, Tensor>
        {
            ["0.weight"] = tensor(new float[] { 1, -2, 0.5f, 4, 0.25f, -8 }, [2, 3]).to(ScalarType.Float16),
            ["0.bias"] = tensor(new float[] { 3, -1 }).to(ScalarType.BFloat16),
            ["1.weight"] = tensor(new double[] { 0.5, 0.5 }, [1, 2]),
            ["1.bias"] = tensor(new float[] { 0 }),
        };
        var report = StateDictLoader.Load(net, source);
        Assert.True(report.IsExact);
        Assert.Equal(4, report.Loaded.Count);
        var sd = net.state_dict();
        Assert.Equal(ScalarType.Float32, sd["0.weight"].dtype);
        TensorAssert.Values([1, -2, 0.5f, 4, 0.25f, -8], sd["0.weight"], atol: 0);
        TensorAssert.Values([3, -1], sd["0.bias"], atol: 0);

        // x = [1, 1, 1]: h = W x + b = [-0.5 + 3, -3.75 - 1] = [2.5, -4.75]; y = 0.5 * 2.5 + 0.5 * -4.75 = -1.125.
        using var y = net.call(ones(1, 3));
        TensorAssert.Values([-1.125f], y, atol: 1e-6);
    }

    [Fact]
    public void Load_StripAndRenamePrefixes_MapKeys()
    {
        using var net = Net(3);
        using var scope = NewDisposeScope();
        var source = new Dictionary<string, Tensor>
        {
            ["module.first.weight"] = zeros(2, 3),
            ["module.first.bias"] = zeros(2),
            ["module.1.weight"] = zeros(1, 2),
            ["module.1.bias"] = zeros(1),
            ["module.fc.weight"] = zeros(9),
        };
        var options = new StateDictLoadOptions();
        options.StripPrefixes.Add("module.");
        options.RenamePrefixes["first."] = "0.";
        options.IgnoreSourcePrefixes.Add("fc.");
        var report = StateDictLoader.Load(net, source, options);
        Assert.True(report.IsExact, report.ToString());
        Assert.Equal(0f, net.state_dict()["0.weight"].abs().sum().item<float>());
    }

    [Fact]
    public void RemapKeys_TwoKeysToOne_ThrowsNamingBoth()
    {
        using var a = zeros(1);
        using var b = zeros(1);
        var options = new StateDictLoadOptions();
        options.StripPrefixes.Add("module.");
        var ex = Assert.Throws<ArgumentException>(() => StateDictLoader.RemapKeys(new Dictionary<string, Tensor> { ["module.w"] = a, ["w"] = b }, options));
        Assert.Contains("'module.w'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'w'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_SafeTensorsRoundTrip_IdenticalOutputs()
    {
        using var a = Net(4);
        using var b = Net(5);
        var path = Path.Combine(dir, "net.safetensors");
        SafeTensors.Save(a, path);
        var report = StateDictLoader.LoadFile(b, path);
        Assert.True(report.IsExact);
        using var x = randn(4, 3);
        using var ya = a.call(x);
        using var yb = b.call(x);
        TensorAssert.Close(ya, yb, atol: 0, rtol: 0);
    }

    [Fact]
    public void LoadFile_StrictMismatchFromFile_ThrowsInvalidDataNamingFile()
    {
        using var small = nn.Sequential(nn.Linear(3, 2));
        using var net = Net(6);
        var path = Path.Combine(dir, "small.safetensors");
        SafeTensors.Save(small, path);
        var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.LoadFile(net, path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("1.weight", ex.Message, StringComparison.Ordinal);
        Assert.IsType<StateDictMismatchException>(ex.InnerException);
    }

    [Fact]
    public void TorchSharpFormat_SaveLoad_IdenticalOutputs()
    {
        using var a = Net(7);
        using var b = Net(8);
        var path = Path.Combine(dir, "net.dat");
        StateDictLoader.SaveTorchSharp(a, path);
        var report = StateDictLoader.LoadFile(b, path);
        Assert.Equal(4, report.Loaded.Count);
        Assert.Empty(report.Missing);
        ModuleContract.AssertStateDictsEqual(a, b);
    }

    [Fact]
    public void LoadTorchSharp_CorruptOrMissingFile_ThrowsNamingFile()
    {
        using var net = Net(9);
        var path = Path.Combine(dir, "corrupt.dat");
        File.WriteAllBytes(path, [1, 2, 3]);
        var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.LoadTorchSharp(net, path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => StateDictLoader.LoadTorchSharp(net, Path.Combine(dir, "none.dat")));
    }
}
