using CausalVision.Data;
using CausalVision.Data.Layouts;

namespace CausalVision.Tests.Data.Layouts;

public sealed class DeepFashionDatasetTests : IDisposable
{
    private readonly LayoutFixture f = new();

    public DeepFashionDatasetTests()
    {
        f.Text("Anno/list_attr_cloth.txt", "3", "attribute_name  attribute_type", "a-line                       3", "floral print                 1", "sleeveless                   2");
        f.Text("Anno/list_attr_img.txt", "3", "image_name  attribute_labels", "img/Sheer_Blouse/img_00000001.jpg  -1  1  1", "img/Sheer_Blouse/img_00000002.jpg  -1 -1  0", "img/Maxi_Dress/img_00000001.jpg  1 -1 1");
        f.Text("Eval/list_eval_partition.txt", "3", "image_name  evaluation_status", "img/Sheer_Blouse/img_00000001.jpg  train", "img/Sheer_Blouse/img_00000002.jpg  train", "img/Maxi_Dress/img_00000001.jpg  test");
        f.Text("Anno/list_category_cloth.txt", "2", "category_name  category_type", "Blouse  1", "Maxi Dress  3");
        f.Text("Anno/list_category_img.txt", "3", "image_name  category_label", "img/Sheer_Blouse/img_00000001.jpg  1", "img/Sheer_Blouse/img_00000002.jpg  1", "img/Maxi_Dress/img_00000001.jpg  2");
        f.Jpeg("img/Sheer_Blouse/img_00000001.jpg");
        f.Jpeg("img/Sheer_Blouse/img_00000002.jpg");
        f.Jpeg("img/Maxi_Dress/img_00000001.jpg");
    }

    public void Dispose() => f.Dispose();

    [Fact]
    public void Load_Attributes_MultiLabelNamesWithSpacesZeroIsAbsent()
    {
        var ds = DeepFashionDataset.Load(f.Root, "train");
        Assert.Equal(["a-line", "floral print", "sleeveless"], ds.Info.Classes);
        Assert.True(ds.Info.MultiLabel);
        Assert.Equal(["img/Sheer_Blouse/img_00000001.jpg"], ds.Entries.Select(e => e.Id));
        Assert.Equal([1, 2], ds.Entries[0].Labels);
        Assert.Equal(1, ds.Report.Filtered);
    }

    [Fact]
    public void Load_Categories_SingleLabelAttributesAsTags()
    {
        var ds = DeepFashionDataset.Load(f.Root, "train", new DeepFashionOptions { Target = DeepFashionTarget.Categories });
        Assert.Equal(["Blouse", "Maxi Dress"], ds.Info.Classes);
        Assert.Equal(3, ds.Info.TagCount);
        Assert.Equal([0, 0], ds.Entries.Select(e => e.Label));
        Assert.Equal([1, 2], ds.Entries[0].Tags);
        Assert.Empty(ds.Entries[1].Tags);
        var test = DeepFashionDataset.Load(f.Root, "test", new DeepFashionOptions { Target = DeepFashionTarget.Categories });
        Assert.Equal(1, test.Entries.Single().Label);
    }

    [Fact]
    public void Load_BadAttributeValue_ThrowsNamingFileAndLine()
    {
        f.Text("Anno/list_attr_img.txt", "3", "image_name  attribute_labels", "img/Sheer_Blouse/img_00000001.jpg  -1  2  1", "img/Sheer_Blouse/img_00000002.jpg  -1 -1  0", "img/Maxi_Dress/img_00000001.jpg  1 -1 1");
        var ex = Assert.Throws<InvalidDataException>(() => DeepFashionDataset.Load(f.Root, "train"));
        Assert.Contains("list_attr_img.txt:3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CategoryOutOfRange_SkipAndReport()
    {
        f.Text("Anno/list_category_img.txt", "3", "image_name  category_label", "img/Sheer_Blouse/img_00000001.jpg  9", "img/Sheer_Blouse/img_00000002.jpg  1", "img/Maxi_Dress/img_00000001.jpg  2");
        var ds = DeepFashionDataset.Load(f.Root, "train", new DeepFashionOptions { Target = DeepFashionTarget.Categories, ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(1, ds.Count);
        Assert.Contains("out of range", ds.Report.Errors.Single().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongValueCount_AndCountHeaderMismatch_Throw()
    {
        f.Text("Anno/list_attr_img.txt", "3", "image_name  attribute_labels", "img/Sheer_Blouse/img_00000001.jpg  -1  1", "img/Sheer_Blouse/img_00000002.jpg  -1 -1  0", "img/Maxi_Dress/img_00000001.jpg  1 -1 1");
        Assert.Contains("expected 3 attribute values", Assert.Throws<InvalidDataException>(() => DeepFashionDataset.Load(f.Root, "train")).Message, StringComparison.Ordinal);
        f.Text("Eval/list_eval_partition.txt", "5", "image_name  evaluation_status", "img/Sheer_Blouse/img_00000001.jpg  train");
        Assert.Contains("declares 5 rows", Assert.Throws<InvalidDataException>(() => DeepFashionDataset.Load(f.Root, "train")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ImageMissingFromAttributes_Throws()
    {
        f.Text("Eval/list_eval_partition.txt", "1", "image_name  evaluation_status", "img/Other/img_1.jpg  train");
        var ex = Assert.Throws<InvalidDataException>(() => DeepFashionDataset.Load(f.Root, "train"));
        Assert.Contains("list_eval_partition.txt:3", ex.Message, StringComparison.Ordinal);
    }
}
