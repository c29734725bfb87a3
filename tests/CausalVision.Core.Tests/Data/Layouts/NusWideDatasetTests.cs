using CausalVision.Data;
using CausalVision.Data.Layouts;

namespace CausalVision.Tests.Data.Layouts;

public sealed class NusWideDatasetTests : IDisposable
{
    private readonly LayoutFixture f = new();

    public NusWideDatasetTests()
    {
        f.Text("ImageList/TrainImagelist.txt", "actor\\0001_2124494179.jpg", "airport\\0002_1.jpg", "airport\\0003_2.jpg");
        f.Jpeg("Flickr/actor/0001_2124494179.jpg");
        f.Jpeg("Flickr/airport/0002_1.jpg");
        f.Jpeg("Flickr/airport/0003_2.jpg");
        f.Text("Concepts81.txt", "airport", "animal", "sky");
        f.Text("NUS_WID_Tags/TagList1k.txt", "blue", "plane", "cat", "people");
        f.Text("NUS_WID_Tags/Train_Tags1k.dat", "0\t0\t0\t1\t", "1\t1\t0\t0\t", "0\t0\t0\t0\t");
    }

    public void Dispose() => f.Dispose();

    private void PerConcept(string airport = "0\n1\n0", string animal = "0\n0\n0", string sky = "0\n1\n0")
    {
        f.Text("Groundtruth/TrainTestLabels/Labels_airport_Train.txt", airport);
        f.Text("Groundtruth/TrainTestLabels/Labels_animal_Train.txt", animal);
        f.Text("Groundtruth/TrainTestLabels/Labels_sky_Train.txt", sky);
    }

    [Fact]
    public void Load_PerConceptFiles_LabelsTagsAndUnlabelledDropped()
    {
        PerConcept(airport: "0\n1\n1", sky: "0\n1\n0");
        var ds = NusWideDataset.Load(f.Root, "train");
        Assert.Equal(["airport", "animal", "sky"], ds.Info.Classes);
        Assert.Equal(4, ds.Info.TagCount);
        Assert.Equal(["airport/0002_1.jpg", "airport/0003_2.jpg"], ds.Entries.Select(e => e.Id));
        Assert.Equal([0, 2], ds.Entries[0].Labels);
        Assert.Equal([0, 1], ds.Entries[0].Tags);
        Assert.Empty(ds.Entries[1].Tags);
        Assert.Equal(1, ds.Report.Filtered);
    }

    [Fact]
    public void Load_LabelMatrix_WhenNoPerConceptFolder()
    {
        f.Text("NUS_WID_Tags/Train_Tags81.txt", "0 1 0 ", "1 0 1 ", "0 0 1 ");
        var ds = NusWideDataset.Load(f.Root, "train");
        Assert.Equal(3, ds.Count);
        Assert.Equal([1], ds.Entries[0].Labels);
        Assert.Equal([3], ds.Entries[0].Tags);
    }

    [Fact]
    public void Load_RowCountMismatch_ThrowsNamingFile()
    {
        PerConcept(animal: "0\n0");
        var ex = Assert.Throws<InvalidDataException>(() => NusWideDataset.Load(f.Root, "train"));
        Assert.Contains("Labels_animal_Train.txt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadValue_ThrowsNamingFileAndLine()
    {
        PerConcept(sky: "0\n2\n0");
        var ex = Assert.Throws<InvalidDataException>(() => NusWideDataset.Load(f.Root, "train"));
        Assert.Contains("Labels_sky_Train.txt:2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongTagRowWidth_SkipAndReport()
    {
        PerConcept(airport: "1\n1\n1");
        f.Text("NUS_WID_Tags/Train_Tags1k.dat", "0\t0\t0\t1\t", "1\t1\t0\t", "0\t0\t0\t0\t");
        var ds = NusWideDataset.Load(f.Root, "train", new NusWideOptions { ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(2, ds.Count);
        Assert.Equal(2, ds.Report.Errors.Single().Line);
    }

    [Fact]
    public void Load_KeepUnlabelled_IsEmptyLabelError()
    {
        PerConcept();
        var ex = Assert.Throws<InvalidDataException>(() => NusWideDataset.Load(f.Root, "train", new NusWideOptions { DropUnlabeled = false }));
        Assert.Contains("empty label list", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadSplit_Throws()
    {
        Assert.Throws<ArgumentException>(() => NusWideDataset.Load(f.Root, "val"));
    }
}
