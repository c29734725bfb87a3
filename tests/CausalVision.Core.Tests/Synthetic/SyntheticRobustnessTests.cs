using CausalVision.Evaluation;
using CausalVision.Synthetic;

namespace CausalVision.Tests.Synthetic;

public sealed class SyntheticRobustnessTests
{
    [Fact]
    public void Legacy_EqualsTheOldDefaults()
    {
        var legacy = SyntheticBenchmarkOptions.Legacy();
        Assert.Equal(10, legacy.ClassCount);
        Assert.Equal(0.9, legacy.SpuriousCorrelation);
        Assert.Equal(0.09, legacy.ObjectScaleMin);
        Assert.Equal(0.15, legacy.ObjectScaleMax);
        Assert.Equal(0, legacy.ValidationSize);
        Assert.Equal(5000, legacy.TrainSize);
        var bench = SyntheticBenchmark.Generate(legacy);
        Assert.Equal(["train", "test_iid", "test_ood"], bench.Splits.Select(s => s.Name));
        Assert.Equal(0, bench.Validation.Count);
    }

    [Fact]
    public void Robustness_ObjectsAtLeast8PxAtSize64_AndAValidationSplit()
    {
        var o = SyntheticBenchmarkOptions.Robustness();
        Assert.Equal(0.95, o.SpuriousCorrelation);
        Assert.True(o.ObjectScaleMin * 64 >= 8);
        o.TrainSize = 50;
        o.ValidationSize = 40;
        var bench = SyntheticBenchmark.Generate(o);

        Assert.Equal(["train", "test_iid", "test_ood", "val"], bench.Splits.Select(s => s.Name));
        Assert.Equal(36, bench.GroupCount);
        for (var i = 0; i < 40; i++)
        {
            Assert.All(bench.Validation.Describe(i).Objects, obj => Assert.True(obj.Radius >= 8f));
        }

        // Validation has its own samples (not a copy of the first training samples).
        Assert.NotEqual(bench.Train.Describe(0).NoiseSeed, bench.Validation.Describe(0).NoiseSeed);
        Assert.Equal("val/000003", bench.Validation.SampleId(3));
        Assert.Same(bench.Validation, bench.Split(SyntheticSplitKind.Validation));
        Assert.Equal(bench.Validation.Render(7), SyntheticBenchmark.Generate(o).Validation.Render(7));
    }

    [Fact]
    public void Validation_FollowsTheTrainingDistribution()
    {
        var o = SyntheticBenchmarkOptions.Robustness(0.8);
        o.ValidationSize = 3000;
        var bench = SyntheticBenchmark.Generate(o);

        var matches = Enumerable.Range(0, 3000).Count(i => bench.Validation.Describe(i).ContextMatchesClass) / 3000.0;
        Assert.InRange(matches, 0.77, 0.83);
    }

    [Fact]
    public void Samples_ExposeTheirGroup()
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { TrainSize = 30, Seed = 2 });
        for (var i = 0; i < 30; i++)
        {
            var info = bench.Train.Describe(i);
            Assert.Equal(bench.GroupOf(info.Label, info.ContextId), info.GroupId);
            Assert.Equal((info.Label * 10) + info.ContextId, info.GroupId);
        }

        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], bench.TiedContexts());
        var multi = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { MultiLabel = true, TrainSize = 5 });
        Assert.Equal(-1, multi.Train.Describe(0).GroupId);
        Assert.Equal(0, multi.GroupCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => bench.GroupOf(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => bench.GroupOf(0, 10));
    }

    [Fact]
    public void Unbiased_PIsOneOverContexts_SameRecipes()
    {
        var o = SyntheticBenchmarkOptions.Robustness();
        var u = o.Unbiased();
        Assert.Equal(1.0 / 6, u.SpuriousCorrelation, 12);
        Assert.Equal(0.95, o.SpuriousCorrelation);
        var a = SyntheticBenchmark.Generate(o);
        var b = SyntheticBenchmark.Generate(u);
        Assert.Equal(a.Recipes, b.Recipes);
        Assert.Equal(a.TestOod.Describe(5).GroupId, b.TestOod.Describe(5).GroupId);
    }

    [Fact]
    public void FromTags_MultiHotOfTheObjectsDrawn()
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { TrainSize = 4, Seed = 3 });
        var f = SyntheticFeatures.FromTags(bench, bench.Train);

        Assert.Equal(24, f.Dim);
        for (var i = 0; i < 4; i++)
        {
            var info = bench.Train.Describe(i);
            var hot = Enumerable.Range(0, 24).Where(j => f.Features[(i * 24) + j] == 1f).ToArray();
            Assert.Equal(info.Tags, hot);
            Assert.Equal(info.Label, f.Labels[i]);
            Assert.Equal(info.ContextId, f.Contexts[i]);
            Assert.Equal(info.GroupId, f.GroupOf(i));
        }
    }
}
