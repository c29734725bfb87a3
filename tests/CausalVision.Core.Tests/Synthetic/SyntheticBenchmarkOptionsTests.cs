using CausalVision.Synthetic;

namespace CausalVision.Tests.Synthetic;

public sealed class SyntheticBenchmarkOptionsTests
{
    [Fact]
    public void Ctor_Defaults_ArePinned()
    {
        var o = new SyntheticBenchmarkOptions();
        Assert.Equal("synthetic-recipes", o.Name);
        Assert.Equal(64, o.ImageSize);
        Assert.Equal(10, o.ClassCount);
        Assert.Equal(6, o.ShapeCount);
        Assert.Equal(4, o.ColorCount);
        Assert.Equal(24, o.ObjectCount);
        Assert.Equal(2, o.RecipeSizeMin);
        Assert.Equal(3, o.RecipeSizeMax);
        Assert.Equal(1, o.MinObjectsPerImage);
        Assert.Equal(4, o.MaxObjectsPerImage);
        Assert.Equal(0.1, o.RecipeObjectDropProbability);
        Assert.Equal(
            [TextureFamily.Stripes, TextureFamily.Checks, TextureFamily.Dots, TextureFamily.Noise, TextureFamily.Gradient, TextureFamily.Waves],
            o.ContextFamilies);
        Assert.Null(o.ContextCount);
        Assert.Equal(10, o.EffectiveContextCount);
        Assert.Equal(0.9, o.SpuriousCorrelation);
        Assert.Equal(5000, o.TrainSize);
        Assert.Equal(1000, o.TestIidSize);
        Assert.Equal(1000, o.TestOodSize);
        Assert.Equal(0, o.Seed);
        Assert.False(o.MultiLabel);
        Assert.Equal(4, o.BiasedPairCount);
        Assert.Equal(0.5, o.OodCooccurrence);
        Assert.Equal(0.09, o.ObjectScaleMin);
        Assert.Equal(0.15, o.ObjectScaleMax);
        Assert.True(o.AntiAlias);
        o.Validate();
    }

    public static TheoryData<Action<SyntheticBenchmarkOptions>, string> BadOptions => new()
    {
        { o => o.ImageSize = 8, "ImageSize" },
        { o => o.ClassCount = 1, "ClassCount" },
        { o => o.ShapeCount = 7, "ShapeCount" },
        { o => o.ColorCount = 0, "ColorCount" },
        { o => o.SpuriousCorrelation = 1.5, "SpuriousCorrelation" },
        { o => o.SpuriousCorrelation = double.NaN, "SpuriousCorrelation" },
        { o => o.RecipeObjectDropProbability = -0.1, "RecipeObjectDropProbability" },
        { o => { o.RecipeSizeMin = 3; o.RecipeSizeMax = 2; }, "RecipeSizeMin (3) must not exceed RecipeSizeMax (2)" },
        { o => { o.RecipeSizeMin = 1; o.RecipeSizeMax = 1; }, "RecipeSizeMax (1) must be at least 2" },
        { o => o.MaxObjectsPerImage = 2, "RecipeSizeMax (3) must not exceed MaxObjectsPerImage (2)" },
        { o => { o.MinObjectsPerImage = 4; o.MaxObjectsPerImage = 3; }, "MinObjectsPerImage (4) must not exceed MaxObjectsPerImage (3)" },
        { o => { o.ShapeCount = 1; o.ColorCount = 3; }, "MaxObjectsPerImage (4) exceeds the object vocabulary (1 shapes x 3 colours = 3)" },
        { o => o.ContextFamilies = [], "ContextFamilies: at least one texture family" },
        { o => o.ContextFamilies = [TextureFamily.Dots, TextureFamily.Dots], "ContextFamilies: texture families must not repeat" },
        { o => o.ContextFamilies = [(TextureFamily)99], "undefined texture family" },
        { o => o.ContextCount = 1, "ContextCount" },
        { o => { o.ObjectScaleMin = 0.3; o.ObjectScaleMax = 0.2; }, "ObjectScaleMin (0.3) must not exceed ObjectScaleMax (0.2)" },
        { o => o.Name = " ", "Name" },
        { o => o.TrainSize = 0, "TrainSize" },
        { o => o.TestOodSize = -1, "TestOodSize" },
        { o => { o.MultiLabel = true; o.BiasedPairCount = 13; }, "13 disjoint biased pairs need 26 objects, but the vocabulary has 24" },
        { o => { o.MultiLabel = true; o.MaxObjectsPerImage = 1; }, "MaxObjectsPerImage >= 2" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Generate_InvalidOptions_ThrowsNamingTheProblem(Action<SyntheticBenchmarkOptions> spoil, string expected)
    {
        var options = new SyntheticBenchmarkOptions();
        spoil(options);
        var ex = Assert.ThrowsAny<ArgumentException>(() => SyntheticBenchmark.Generate(options));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("Invalid SyntheticBenchmarkOptions", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_ImpossibleRecipes_ThrowsWithAdvice()
    {
        // 2 shapes x 2 colours = 4 objects: an antichain of 2-3 subsets of 4 has at most 6 members.
        var options = new SyntheticBenchmarkOptions { ShapeCount = 2, ColorCount = 2, ClassCount = 40 };
        var ex = Assert.Throws<ArgumentException>(() => SyntheticBenchmark.Generate(options));
        Assert.Contains("Cannot build 40 distinct recipes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_Null_Throws() =>
        Assert.Throws<ArgumentNullException>(() => SyntheticBenchmark.Generate(null!));

    [Fact]
    public void Generate_CopiesOptions_LaterEditsDoNotLeakIn()
    {
        var options = new SyntheticBenchmarkOptions { TrainSize = 10 };
        var bench = SyntheticBenchmark.Generate(options);
        options.TrainSize = 99;
        options.ContextFamilies.Clear();
        Assert.Equal(10, bench.Train.Count);
        Assert.Equal(6, bench.Options.ContextFamilies.Count);
    }
}
