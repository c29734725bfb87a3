using CausalVision.Data.Layouts;

namespace CausalVision.Tests.Data.Layouts;

public sealed class ImageFolderDatasetTests : IDisposable
{
    private readonly LayoutFixture f = new();

    public void Dispose() => f.Dispose();

    [Fact]
    public void Load_ClassFolders_SortedClassesAndImages()
    {
        f.Png("zebra/1.png");
        f.Png("apple/b.png");
        f.Jpeg("apple/sub/a.jpg");
        f.Text("apple/readme.txt", "not an image");
        var ds = ImageFolderDataset.Load(f.Root);
        Assert.Equal(["apple", "zebra"], ds.Info.Classes);
        Assert.Equal(["apple/b.png", "apple/sub/a.jpg", "zebra/1.png"], ds.Entries.Select(e => e.Id));
        Assert.Equal([0, 0, 1], ds.Entries.Select(e => e.Label));
        Assert.Contains(ds.Report.Notes, n => n.Contains("1 non-image", StringComparison.Ordinal));
        Assert.Equal(3, ds.GetRaw(1).Image.Channels);
    }

    [Fact]
    public void Load_NoClassFolders_Throws()
    {
        Assert.Throws<InvalidDataException>(() => ImageFolderDataset.Load(f.Root));
        Assert.Throws<InvalidDataException>(() => ImageFolderDataset.Load(f.PathOf("absent")));
    }
}
