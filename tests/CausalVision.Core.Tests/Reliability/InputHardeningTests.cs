using System.Buffers.Binary;
using System.Text;
using CausalVision.Data;
using CausalVision.Data.Layouts;
using CausalVision.Imaging;
using CausalVision.Tests.Data.Layouts;
using CausalVision.Weights;

namespace CausalVision.Tests.Reliability;

/// <summary>Regression tests for hostile inputs: each once crashed, was accepted silently or threw an undocumented type.</summary>
public sealed class InputHardeningTests : IDisposable
{
    private readonly LayoutFixture f = new();

    public void Dispose() => f.Dispose();

    private void Manifest(string json = "{\"name\": \"m\", \"classes\": [\"a\", \"b\"], \"splits\": {\"train\": \"train.csv\"}}")
    {
        f.Text("dataset.json", json);
        f.Png("img/x.png");
        f.Png("img/y.png");
    }

    [Fact]
    public void DatasetJson_Utf8Bom_IsAccepted()
    {
        Manifest();
        File.WriteAllBytes(f.PathOf("dataset.json"), [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(f.PathOf("dataset.json"))]);
        Assert.Equal(["a", "b"], DatasetManifest.Read(f.Root).Classes);
    }

    [Fact]
    public void DatasetJson_DuplicateKey_IsRejectedNamingTheFile()
    {
        Manifest("{\"name\": \"m\", \"classes\": [\"a\"], \"classes\": [\"a\", \"b\"], \"splits\": {\"train\": \"train.csv\"}}");
        var ex = Assert.Throws<InvalidDataException>(() => DatasetManifest.Read(f.Root));
        Assert.Contains("dataset.json", ex.Message);
    }

    [Theory]
    [InlineData("{\"name\": \"\\ud800\", \"classes\": [\"a\"], \"splits\": {\"train\": \"t.csv\"}}")]
    [InlineData("{\"name\": \"m\", \"classes\": [\"\\udc00x\"], \"splits\": {\"train\": \"t.csv\"}}")]
    public void DatasetJson_LoneSurrogate_ThrowsInvalidDataNamingTheFile(string json)
    {
        Manifest(json);
        Assert.Contains("dataset.json", Assert.Throws<InvalidDataException>(() => DatasetManifest.Read(f.Root)).Message);
    }

    [Fact]
    public void DatasetJson_InvalidUtf8_ThrowsInvalidData()
    {
        Manifest();
        File.WriteAllBytes(f.PathOf("dataset.json"), [.. Encoding.UTF8.GetBytes("{\"name\": \""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\", \"classes\": [\"a\"], \"splits\": {\"train\": \"t.csv\"}}")]);
        Assert.Contains("dataset.json", Assert.Throws<InvalidDataException>(() => DatasetManifest.Read(f.Root)).Message);
    }

    [Fact]
    public void Csv_NulInPath_SkipAndReport_SkipsAndReports()
    {
        Manifest();
        f.Text("train.csv", "path,labels,tags", "img/x.png,a,", "\"img/\0y.png\",b,");
        var ds = ManifestDataset.Load(f.Root, "train", new DatasetLoadOptions { ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(1, ds.Count);
        Assert.Contains(ds.Report.Errors, e => e.Reason.Contains("NUL", StringComparison.Ordinal) && e.Line == 3);
        Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "train"));
    }

    [Fact]
    public void Csv_AliasesOfOneFile_CountOnce()
    {
        Manifest();
        f.Text("train.csv", "path,labels,tags", "img/x.png,a,", "img/./x.png,a,", "img/../img/x.png,b,", "img/y.png,b,");
        var ds = ManifestDataset.Load(f.Root, "train", new DatasetLoadOptions { ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(2, ds.Count);
        Assert.Equal(2, ds.Report.Errors.Count(e => e.Reason.Contains("same image file", StringComparison.Ordinal)));
    }

    [Fact]
    public void Csv_SymlinkLeavingTheRoot_IsRejectedByPolicy()
    {
        Manifest();
        var outside = Directory.CreateTempSubdirectory("cv-outside-").FullName;
        try
        {
            var secret = Path.Combine(outside, "secret.png");
            File.Copy(f.PathOf("img/x.png"), secret);
            File.CreateSymbolicLink(f.PathOf("img/link.png"), secret);
            Directory.CreateSymbolicLink(f.PathOf("dirlink"), outside);
            f.Text("train.csv", "path,labels,tags", "img/link.png,a,", "dirlink/secret.png,a,", "img/y.png,b,");
            var ds = ManifestDataset.Load(f.Root, "train", new DatasetLoadOptions { ErrorPolicy = DataErrorPolicy.SkipAndReport });
            Assert.Equal(["img/y.png"], ds.Entries.Select(e => e.Id));
            Assert.Equal(2, ds.Report.Errors.Count(e => e.Reason.Contains("outside the dataset root", StringComparison.Ordinal)));
            Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "train"));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void Csv_SymlinkInsideTheRoot_IsAccepted()
    {
        Manifest();
        File.CreateSymbolicLink(f.PathOf("img/alias.png"), f.PathOf("img/y.png"));
        f.Text("train.csv", "path,labels,tags", "img/x.png,a,", "img/alias.png,b,");
        Assert.Equal(2, ManifestDataset.Load(f.Root, "train").Count);
    }

    [Fact]
    public void Coco_NulInFileName_SkipAndReport_SkipsAndReports()
    {
        f.Png("images/1.png");
        f.Text("ann.json", "{\"images\": [{\"id\": 1, \"file_name\": \"1.png\"}, {\"id\": 2, \"file_name\": \"2\\u0000.png\"}], \"annotations\": [{\"image_id\": 1, \"category_id\": 1}, {\"image_id\": 2, \"category_id\": 1}], \"categories\": [{\"id\": 1, \"name\": \"dog\"}]}");
        var ds = CocoDataset.Load(f.PathOf("ann.json"), f.PathOf("images"), new DatasetLoadOptions { ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(1, ds.Count);
        Assert.Single(ds.Report.Errors);
    }

    [Fact]
    public void Coco_DuplicateKey_IsRejected() =>
        Assert.Throws<InvalidDataException>(() =>
        {
            f.Text("ann.json", "{\"images\": [], \"images\": [], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"dog\"}]}");
            Directory.CreateDirectory(f.PathOf("images"));
            CocoDataset.Load(f.PathOf("ann.json"), f.PathOf("images"));
        });

    private static byte[] SafeTensorsFile(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    [Theory]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "gap")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 12, "unaccounted")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "JSON")]
    [InlineData("{\"\\ud800\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "Unicode")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296], \"data_offsets\": [0, 4]}}", 4, "too many")]
    public void SafeTensors_BadHeader_ThrowsInvalidDataNamingTheFile(string header, int dataBytes, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new MemoryStream(SafeTensorsFile(header, dataBytes)), "w.safetensors"));
        Assert.Contains("w.safetensors", ex.Message);
        Assert.Contains(expected, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SafeTensors_HeaderLengthBeyondTheFile_ThrowsInvalidData()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new MemoryStream(bytes), "w.safetensors"));
    }

    [Theory]
    [InlineData(ScalarType.Int64)]
    [InlineData(ScalarType.Bool)]
    public void StateDict_IntegerOrBoolIntoFloatWeight_IsRejected(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var model = nn.Linear(2, 1);
        var path = Path.Combine(f.Root, "w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["weight"] = ones(1, 2).to(dtype), ["bias"] = zeros(1) });
        var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.LoadFile(model, path));
        Assert.Contains("'weight'", ex.Message);
    }

    [Fact]
    public void Idx_HeaderProductThatWrapsALong_IsRejected()
    {
        // count * rows * cols = 2^31-1 * 2^31-1 * 2^2... wraps a long; the file holds 4 pixel bytes.
        var images = new byte[16 + 4];
        BinaryPrimitives.WriteInt32BigEndian(images, 2051);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), int.MaxValue);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), int.MaxValue);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 4);
        f.Bytes("m/train-images-idx3-ubyte", images);
        f.Bytes("m/train-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 1, 3]);
        Assert.Throws<InvalidDataException>(() => MnistDataset.Load(f.PathOf("m"), train: true));
    }

    [Fact]
    public void Decode_OverThePixelBudget_IsRefusedBeforeDecoding()
    {
        var png = ImageDecoder.EncodePng(new ImageBuffer(3, 40, 50));
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(png, false, "big.png", maxPixels: 1999));
        Assert.Contains("2,000", ex.Message);
        Assert.Equal(50, ImageDecoder.Decode(png, false, "ok.png", maxPixels: 2000).Width);
    }

    [Fact]
    public void Dataset_PixelBudgetOption_AppliesToSamplesAndVerification()
    {
        Manifest();
        f.Text("train.csv", "path,labels,tags", "img/x.png,a,");
        var options = new DatasetLoadOptions { MaxImagePixels = 5 };
        var ds = ManifestDataset.Load(f.Root, "train", options);
        Assert.Equal(5, ds.MaxImagePixels);
        Assert.Throws<InvalidDataException>(() => ds.GetRaw(0));
        options.VerifyImages = true;
        Assert.Contains("pixel budget", Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "train", options)).Message);
    }
}
