using CausalVision.Data;
using CausalVision.Data.Layouts;

namespace CausalVision.Tests.Data.Layouts;

public sealed class ManifestDatasetTests : IDisposable
{
    private readonly LayoutFixture f = new();

    public void Dispose() => f.Dispose();

    private void Manifest(bool multiLabel = false, string trainFile = "train.csv") =>
        new DatasetManifest("toy", ["soup", "salad", "cake"], ["egg", "milk", "tomato"], multiLabel, new Dictionary<string, string> { ["train"] = trainFile, ["test_iid"] = "test_iid.csv" }).Write(f.Root);

    private void Images()
    {
        f.Png("img/a.png", 10);
        f.Png("img/b.png", 20);
        f.Png("img/c d.png", 30);
    }

    [Fact]
    public void Load_Csv_LabelsTagsIdsAndQuoting()
    {
        Manifest();
        Images();
        f.Text("train.csv", "path,labels,tags", "img/a.png,soup,egg;tomato", "img/b.png,cake,", "\"img/c d.png\",\"salad\",\"milk;egg\"");
        var ds = ManifestDataset.Load(f.Root, "train");
        Assert.Equal(3, ds.Count);
        Assert.Equal(new DatasetInfo("toy", ["soup", "salad", "cake"], ["egg", "milk", "tomato"], false).Classes, ds.Info.Classes);
        Assert.False(ds.Info.MultiLabel);
        Assert.Equal(("img/a.png", 0), (ds.Entries[0].Id, ds.Entries[0].Label));
        Assert.Equal([0, 2], ds.Entries[0].Tags);
        Assert.Equal((2, 0), (ds.Entries[1].Label, ds.Entries[1].Tags.Count));
        Assert.Equal(("img/c d.png", 1), (ds.Entries[2].Id, ds.Entries[2].Label));
        Assert.Equal([0, 1], ds.Entries[2].Tags);
        var raw = ds.GetRaw(1);
        Assert.Equal(20 / 255f, raw.Image.Data[0]);
    }

    [Fact]
    public void Load_JsonLines_ArraysOrStrings_MultiLabel()
    {
        Manifest(multiLabel: true, trainFile: "train.jsonl");
        Images();
        f.Text("train.jsonl", "{\"path\":\"img/a.png\",\"labels\":[\"soup\",\"cake\"],\"tags\":[\"egg\"]}", string.Empty, "{\"path\":\"img/b.png\",\"labels\":\"salad;cake\",\"tags\":null}");
        var ds = ManifestDataset.Load(f.Root, "train");
        Assert.True(ds.Info.MultiLabel);
        Assert.Equal(-1, ds.Entries[0].Label);
        Assert.Equal([0, 2], ds.Entries[0].Labels);
        Assert.Equal([1, 2], ds.Entries[1].Labels);
        Assert.Empty(ds.Entries[1].Tags);
    }

    [Theory]
    [InlineData("img/a.png,pie,egg", "unknown class 'pie'")]
    [InlineData("img/a.png,soup,flour", "unknown tag 'flour'")]
    [InlineData("img/a.png,,egg", "empty label list")]
    [InlineData("img/a.png,soup;cake,egg", "single-label")]
    [InlineData("../outside.png,soup,egg", "escapes the dataset root")]
    [InlineData("/etc/passwd,soup,egg", "must be relative")]
    [InlineData("img/missing.png,soup,egg", "does not exist")]
    [InlineData("img\\a.png,soup,egg", "'/' separators")]
    [InlineData("img/a.png,soup", "expected 3 fields")]
    public void Load_BadRow_ThrowsNamingFileAndLine(string row, string reason)
    {
        Manifest();
        Images();
        f.Png("../outside.png");
        f.Text("train.csv", "path,labels,tags", "img/b.png,cake,", row);
        var ex = Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "train"));
        Assert.Contains(f.PathOf("train.csv") + ":3:", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateId_ThrowsNamingBothLines()
    {
        Manifest();
        Images();
        f.Text("train.csv", "path,labels,tags", "img/a.png,soup,", "img/a.png,cake,");
        var ex = Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "train"));
        Assert.Contains(":3: duplicate sample id 'img/a.png'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("train.csv:2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SkipAndReport_KeepsGoodRowsAndListsBadOnes()
    {
        Manifest();
        Images();
        f.Text("train.csv", "path,labels,tags", "img/a.png,soup,egg", "img/b.png,pie,", "img/nope.png,soup,", "img/c d.png,cake,milk");
        var ds = ManifestDataset.Load(f.Root, "train", new DatasetLoadOptions { ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(["img/a.png", "img/c d.png"], ds.Entries.Select(e => e.Id));
        Assert.Equal(2, ds.Report.SkippedCount);
        Assert.Equal([3, 4], ds.Report.Errors.Select(e => e.Line));
        Assert.Contains("unknown class 'pie'", ds.Report.Errors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RequireTags_EmptyTagListIsBad()
    {
        Manifest();
        Images();
        f.Text("train.csv", "path,labels,tags", "img/a.png,soup,");
        Assert.Equal(1, ManifestDataset.Load(f.Root, "train").Count);
        var ex = Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "train", new DatasetLoadOptions { RequireTags = true }));
        Assert.Contains("empty tag list", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_VerifyImages_CorruptImageIsBadRow_ElseFailsOnDecodeNamingFile()
    {
        Manifest();
        Images();
        f.Bytes("img/broken.png", [1, 2, 3]);
        f.Text("train.csv", "path,labels,tags", "img/a.png,soup,", "img/broken.png,cake,");
        var lazy = ManifestDataset.Load(f.Root, "train");
        var ex = Assert.Throws<InvalidDataException>(() => lazy.GetRaw(1));
        Assert.Contains(f.PathOf("img/broken.png"), ex.Message, StringComparison.Ordinal);
        var eager = ManifestDataset.Load(f.Root, "train", new DatasetLoadOptions { VerifyImages = true, ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(1, eager.Count);
        Assert.Contains("broken.png", eager.Report.Errors.Single().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownSplitOrMissingManifest_Throws()
    {
        Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "train"));
        Manifest();
        var ex = Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "val"));
        Assert.Contains("test_iid", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "test_iid")); // file missing
    }

    [Fact]
    public void Load_BadHeader_Throws()
    {
        Manifest();
        f.Text("train.csv", "file,label");
        Assert.Throws<InvalidDataException>(() => ManifestDataset.Load(f.Root, "train"));
    }

    [Fact]
    public void WriteSplitCsv_RoundTripsThroughLoader()
    {
        Manifest(multiLabel: true);
        Images();
        DatasetManifest.WriteSplitCsv(f.PathOf("train.csv"), [("img/c d.png", ["soup", "cake"], ["egg"]), ("img/a.png", ["salad"], [])]);
        var ds = ManifestDataset.Load(f.Root, "train");
        Assert.Equal([0, 2], ds.Entries[0].Labels);
        Assert.Equal("img/a.png", ds.Entries[1].Id);
    }

    [Fact]
    public void DataLoader_OverManifest_OneEpochNoLeak()
    {
        Manifest();
        Images();
        f.Text("train.csv", "path,labels,tags", "img/a.png,soup,egg", "img/b.png,cake,", "img/c d.png,salad,milk");
        var loader = new DataLoader(ManifestDataset.Load(f.Root, "train"), new DataLoaderOptions { BatchSize = 2, Workers = 2 });
        TensorLeaks.AssertNone(() =>
        {
            foreach (var batch in loader.GetBatches(0))
            {
                using (batch)
                {
                    Assert.Equal(3, batch.Images.shape[1]);
                }
            }
        });
    }
}
