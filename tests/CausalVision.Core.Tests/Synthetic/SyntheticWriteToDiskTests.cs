using System.Text.Json;
using CausalVision.Imaging;
using CausalVision.Synthetic;

namespace CausalVision.Tests.Synthetic;

public sealed class SyntheticWriteToDiskTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "cv-synthetic-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static SyntheticBenchmark Tiny(bool multiLabel) => SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
    {
        Name = multiLabel ? "synthetic-multilabel" : "synthetic-recipes",
        MultiLabel = multiLabel,
        ImageSize = 16,
        TrainSize = 12,
        TestIidSize = 5,
        TestOodSize = 6,
        Seed = 4,
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WriteToDisk_Manifest_HasExactlyTheGenericFormat(bool multiLabel)
    {
        var bench = Tiny(multiLabel);
        var manifest = bench.WriteToDisk(root);
        Assert.Equal(Path.Combine(root, "dataset.json"), manifest);

        var bytes = File.ReadAllBytes(manifest);
        Assert.NotEqual(0xEF, bytes[0]); // no BOM
        using var doc = JsonDocument.Parse(bytes);
        var top = doc.RootElement;
        Assert.Equal(["name", "classes", "tags", "multiLabel", "splits"], top.EnumerateObject().Select(p => p.Name));
        Assert.Equal(bench.Info.Name, top.GetProperty("name").GetString());
        Assert.Equal(bench.Info.Classes, top.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(bench.Info.Tags, top.GetProperty("tags").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(multiLabel, top.GetProperty("multiLabel").GetBoolean());
        var splits = top.GetProperty("splits").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(
            new Dictionary<string, string?> { ["train"] = "train.csv", ["test_iid"] = "test_iid.csv", ["test_ood"] = "test_ood.csv" },
            splits);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WriteToDisk_Csv_RowsMatchMetadataAndPngsMatchPixels(bool multiLabel)
    {
        var bench = Tiny(multiLabel);
        bench.WriteToDisk(root);
        foreach (var split in bench.Splits)
        {
            var text = File.ReadAllText(Path.Combine(root, split.Name + ".csv"));
            Assert.DoesNotContain('\r', text);
            var lines = text.Split('\n');
            Assert.Equal("path,labels,tags", lines[0]);
            Assert.Equal(string.Empty, lines[^1]); // trailing newline
            Assert.Equal(split.Count, lines.Length - 2);
            for (var i = 0; i < split.Count; i++)
            {
                var info = split.Describe(i);
                var fields = lines[i + 1].Split(',');
                Assert.Equal(3, fields.Length);
                Assert.Equal($"{split.Name}/{i:D6}.png", fields[0]);
                Assert.Equal(string.Join(';', info.Labels.Select(l => bench.Info.Classes[l])), fields[1]);
                Assert.Equal(string.Join(';', info.Tags.Select(t => bench.Info.Tags[t])), fields[2]);
                if (multiLabel)
                {
                    Assert.Equal(fields[1], fields[2]);
                    Assert.Equal(info.Objects.Select(o => o.ObjectId).Distinct().Count(), fields[1].Split(';').Length);
                }
                else
                {
                    Assert.DoesNotContain(';', fields[1]);
                    Assert.Equal(info.Objects.Count, fields[2].Split(';').Length);
                }

                var decoded = ImageDecoder.DecodeFile(Path.Combine(root, fields[0]));
                Assert.Equal((3, 16, 16), (decoded.Channels, decoded.Height, decoded.Width));
                var chw = split.Render(i);
                for (var p = 0; p < 3 * 256; p++)
                {
                    // Lossless: each channel decodes to the byte the encoder stored, over 255.
                    Assert.Equal(ImageDecoder.ToByte(chw[p]) / 255f, decoded.Data[p]);
                }
            }
        }
    }

    [Fact]
    public void WriteToDisk_Sidecar_ListsRecipesAndPairs()
    {
        Tiny(multiLabel: true).WriteToDisk(root);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, "synthetic.json")));
        Assert.Equal(4, doc.RootElement.GetProperty("biasedPairs").GetArrayLength());
        Assert.Equal(4, doc.RootElement.GetProperty("seed").GetInt32());
    }

    [Fact]
    public void WriteToDisk_Twice_SameBytes()
    {
        var bench = Tiny(multiLabel: false);
        bench.WriteToDisk(root);
        var first = File.ReadAllBytes(Path.Combine(root, "train", "000007.png"));
        var csv = File.ReadAllText(Path.Combine(root, "train.csv"));
        bench.WriteToDisk(root);
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(root, "train", "000007.png")));
        Assert.Equal(csv, File.ReadAllText(Path.Combine(root, "train.csv")));
    }

    [Fact]
    public void WriteToDisk_BadRoot_Throws()
    {
        var bench = Tiny(multiLabel: false);
        Assert.ThrowsAny<ArgumentException>(() => bench.WriteToDisk(" "));
        Directory.CreateDirectory(root);
        var file = Path.Combine(root, "a-file");
        File.WriteAllText(file, "x");
        var ex = Assert.Throws<ArgumentException>(() => bench.WriteToDisk(file));
        Assert.Contains("is a file", ex.Message, StringComparison.Ordinal);
    }
}
