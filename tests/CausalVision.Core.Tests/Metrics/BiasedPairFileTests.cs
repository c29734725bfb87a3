using CausalVision.Metrics;

namespace CausalVision.Tests.Metrics;

public sealed class BiasedPairFileTests
{
    private static readonly string[] Classes = ["cat", "sofa", "dog", "ball"];

    [Fact]
    public void Parse_NamesIndicesAndComments_ResolvesPairs()
    {
        var pairs = BiasedPairFile.Parse(["# b,c", "cat,sofa", "", "2 3  # dog with ball"], Classes);
        Assert.Equal(2, pairs.Count);
        Assert.Equal((0, 1), (pairs[0].Biased, pairs[0].Context));
        Assert.Equal((2, 3), (pairs[1].Biased, pairs[1].Context));
        Assert.True(double.IsNaN(pairs[0].CooccurrenceRatio));
    }

    [Fact]
    public void Parse_UnknownClass_ThrowsNamingTheLine()
    {
        var ex = Assert.Throws<ArgumentException>(() => BiasedPairFile.Parse(["cat,sofa", "cat,horse"], Classes));
        Assert.Contains("line 2: 'horse' is neither a class name nor an index in [0, 4)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SameClassTwice_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => BiasedPairFile.Parse(["dog,2"], Classes));
        Assert.Contains("names class 'dog' twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoPair_Throws()
    {
        Assert.Throws<ArgumentException>(() => BiasedPairFile.Parse(["# nothing"], Classes));
    }

    [Fact]
    public void Format_MeasuredPair_PrintsNamesAndRatio()
    {
        var lines = BiasedPairFile.Format([new BiasedPair(0, 1, 0.9, 0.9), new BiasedPair(2, 3, double.NaN, double.NaN)], Classes).ToArray();
        Assert.Equal("cat,sofa  # P(c|b) in training 0.900", lines[0]);
        Assert.Equal("dog,ball", lines[1]);
    }
}
