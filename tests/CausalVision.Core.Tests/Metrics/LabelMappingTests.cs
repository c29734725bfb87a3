using CausalVision.Metrics;

namespace CausalVision.Tests.Metrics;

public sealed class LabelMappingTests
{
    private static readonly string[] Source = { "person", "car", "dog", "truck" };
    private static readonly string[] Target = { "dog", "cat", "people", "vehicle" };

    private static LabelMapping Build() => LabelMapping.Parse(
        new[] { "# coco -> nus", "person,people", "", " car , vehicle ", "dog,dog", "truck,vehicle" }, Source, Target);

    [Fact]
    public void Parse_ValidLines_MapsTargetsAscending()
    {
        var map = Build();
        Assert.Equal(new[] { 0, 2, 3 }, map.MappedTargets);
        Assert.Equal(new[] { "dog", "people", "vehicle" }, map.MappedTargetNames);
    }

    [Fact]
    public void MapScores_ManyToOne_TakesMaximum()
    {
        var scores = Build().MapScores(new double[,] { { 0.1, 0.2, 0.3, 0.7 } });
        Assert.Equal(new double[,] { { 0.3, 0.1, 0.7 } }, scores);
    }

    [Fact]
    public void SelectTargets_KeepsMappedColumns()
    {
        var targets = Build().SelectTargets(new bool[,] { { false, true, true, false } });
        Assert.Equal(new bool[,] { { false, true, false } }, targets);
    }

    [Theory]
    [InlineData("cow,dog", "line 1: source label 'cow'")]
    [InlineData("dog,wolf", "line 1: target label 'wolf'")]
    [InlineData("dog", "line 1: expected 'src_label,dst_label'")]
    [InlineData("dog,dog,cat", "line 1: expected")]
    public void Parse_BadLine_ThrowsInvalidData(string line, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => LabelMapping.Parse(new[] { line }, Source, Target));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateSource_Throws()
    {
        var ex = Assert.Throws<InvalidDataException>(() => LabelMapping.Parse(new[] { "dog,dog", "dog,cat" }, Source, Target));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoMapping_Throws()
    {
        Assert.Throws<InvalidDataException>(() => LabelMapping.Parse(new[] { "# only a comment" }, Source, Target));
    }

    [Fact]
    public void Load_File_ReadsAndNamesFileInErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cv-map-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllLines(path, new[] { "dog,dog", "horse,dog" });
            var ex = Assert.Throws<InvalidDataException>(() => LabelMapping.Load(path, Source, Target));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Throws<FileNotFoundException>(() => LabelMapping.Load(path, Source, Target));
    }

    [Fact]
    public void MapScores_WrongColumnCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => Build().MapScores(new double[1, 3]));
    }
}
