using CausalVision.Data;
using CausalVision.Data.Layouts;

namespace CausalVision.Tests.Data.Layouts;

public sealed class CocoDatasetTests : IDisposable
{
    private const string Categories = "\"categories\":[{\"id\":1,\"name\":\"person\",\"supercategory\":\"person\"},{\"id\":3,\"name\":\"car\",\"supercategory\":\"vehicle\"},{\"id\":18,\"name\":\"dog\",\"supercategory\":\"animal\"}]";
    private readonly LayoutFixture f = new();

    public CocoDatasetTests()
    {
        f.Jpeg("train2017/000000000009.jpg");
        f.Png("train2017/000000000025.png");
        f.Jpeg("train2017/000000000030.jpg");
    }

    public void Dispose() => f.Dispose();

    private string Ann => f.PathOf("annotations/instances_train2017.json");

    private void Write(string images, string annotations) =>
        f.Text("annotations/instances_train2017.json", "{\"info\":{},\"images\":[" + images + "],\"annotations\":[" + annotations + "]," + Categories + "}");

    private const string ThreeImages = "{\"id\":9,\"file_name\":\"000000000009.jpg\",\"height\":4,\"width\":4},{\"id\":25,\"file_name\":\"000000000025.png\"},{\"id\":30,\"file_name\":\"000000000030.jpg\"}";

    [Fact]
    public void Load_Instances_MultiLabelContiguousIdsInCategoryOrder()
    {
        Write(ThreeImages, "{\"id\":1,\"image_id\":9,\"category_id\":18,\"iscrowd\":0},{\"id\":2,\"image_id\":9,\"category_id\":1},{\"id\":3,\"image_id\":9,\"category_id\":18},{\"id\":4,\"image_id\":25,\"category_id\":3,\"iscrowd\":1}");
        var ds = CocoDataset.Load(Ann, f.PathOf("train2017"));
        Assert.True(ds.Info.MultiLabel);
        Assert.Equal(["person", "car", "dog"], ds.Info.Classes);
        Assert.Equal(["000000000009.jpg", "000000000025.png"], ds.Entries.Select(e => e.Id));
        Assert.Equal([0, 2], ds.Entries[0].Labels);
        Assert.Equal([1], ds.Entries[1].Labels);
        Assert.Equal(-1, ds.Entries[0].Label);
        Assert.Equal(1, ds.Report.Filtered);
    }

    [Fact]
    public void Load_UnknownCategory_ThrowsNamingAnnotation()
    {
        Write(ThreeImages, "{\"id\":1,\"image_id\":9,\"category_id\":18},{\"id\":2,\"image_id\":25,\"category_id\":99}");
        var ex = Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Ann, f.PathOf("train2017")));
        Assert.Contains("annotations[2]: unknown category id 99", ex.Message, StringComparison.Ordinal);
        Assert.Contains("instances_train2017.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownCategory_SkipAndReport_DropsWholeImage()
    {
        Write(ThreeImages, "{\"id\":1,\"image_id\":9,\"category_id\":18},{\"id\":2,\"image_id\":25,\"category_id\":99},{\"id\":3,\"image_id\":25,\"category_id\":3}");
        var ds = CocoDataset.Load(Ann, f.PathOf("train2017"), new DatasetLoadOptions { ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(["000000000009.jpg"], ds.Entries.Select(e => e.Id));
        Assert.Equal(2, ds.Report.SkippedCount);
    }

    [Fact]
    public void Load_DuplicateImageIdAndEscapingPath_Throw()
    {
        Write("{\"id\":9,\"file_name\":\"000000000009.jpg\"},{\"id\":9,\"file_name\":\"000000000025.png\"}", "{\"image_id\":9,\"category_id\":1}");
        Assert.Contains("duplicate image id 9", Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Ann, f.PathOf("train2017"))).Message, StringComparison.Ordinal);
        Write("{\"id\":9,\"file_name\":\"../annotations/instances_train2017.json\"}", "{\"image_id\":9,\"category_id\":1}");
        Assert.Contains("escapes", Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Ann, f.PathOf("train2017"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NotCocoJson_Throws()
    {
        f.Text("annotations/instances_train2017.json", "{\"images\":[]}");
        Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Ann, f.PathOf("train2017")));
        f.Text("annotations/instances_train2017.json", "{not json");
        Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Ann, f.PathOf("train2017")));
    }

    [Fact]
    public void Load_CocoStuff_SameFormat()
    {
        f.Text("annotations/stuff_train2017.json", "{\"images\":[{\"id\":30,\"file_name\":\"000000000030.jpg\"}],\"annotations\":[{\"image_id\":30,\"category_id\":183},{\"image_id\":30,\"category_id\":92}],\"categories\":[{\"id\":92,\"name\":\"banner\"},{\"id\":183,\"name\":\"other\"}]}");
        var ds = CocoDataset.Load(f.PathOf("annotations/stuff_train2017.json"), f.PathOf("train2017"));
        Assert.Equal([0, 1], ds.Entries.Single().Labels);
        Assert.Equal("stuff_train2017", ds.Info.Name);
    }
}
