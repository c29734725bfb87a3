using CausalVision.Metrics;
using CausalVision.Synthetic;

namespace CausalVision.Tests.Synthetic;

public sealed class SyntheticMultiLabelTests
{
    private static SyntheticBenchmark MultiLabel(int size = 4000, int seed = 3) => SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
    {
        Name = "synthetic-multilabel",
        MultiLabel = true,
        Seed = seed,
        TrainSize = size,
        TestIidSize = size,
        TestOodSize = size,
    });

    [Fact]
    public void Generate_MultiLabel_LabelsAreObjectsAndPairsDisjoint()
    {
        var bench = MultiLabel(size: 10);
        Assert.True(bench.Info.MultiLabel);
        Assert.Equal(24, bench.Info.ClassCount);
        Assert.Equal("red_circle", bench.Info.Classes[0]);
        Assert.Equal(bench.Info.Classes, bench.Info.Tags);
        Assert.Empty(bench.Recipes);
        Assert.Equal(4, bench.BiasedPairs.Count);
        var members = bench.BiasedPairs.SelectMany(p => new[] { p.Biased, p.Context }).ToArray();
        Assert.Equal(8, members.Distinct().Count());
        Assert.All(members, m => Assert.InRange(m, 0, 23));
    }

    [Fact]
    public void Describe_MultiLabel_LabelsEqualObjectsPresent()
    {
        var bench = MultiLabel(size: 300);
        for (var i = 0; i < 300; i++)
        {
            var info = bench.Train.Describe(i);
            var drawn = info.Objects.Select(o => o.ObjectId).Distinct().Order().ToArray();
            Assert.Equal(drawn, info.Labels);
            Assert.Equal(-1, info.Label);
            Assert.Equal(drawn, info.Tags);
            Assert.InRange(drawn.Length, 1, 4);
            Assert.False(info.ContextMatchesClass);
        }

        using var sample = bench.Train.Get(0);
        Assert.Equal(-1, sample.Label);
        Assert.Equal(bench.Train.Describe(0).Labels, sample.Labels);
        Assert.Equal(bench.Train.Describe(0).Labels, sample.Tags);
    }

    [Theory]
    [InlineData(SyntheticSplitKind.Train, 0.9)]
    [InlineData(SyntheticSplitKind.TestIid, 0.9)]
    [InlineData(SyntheticSplitKind.TestOod, 0.5)]
    public void Describe_BiasedPairs_CooccurWithConfiguredProbability(SyntheticSplitKind kind, double expected)
    {
        var bench = MultiLabel();
        var split = bench.Splits[(int)kind];
        var withB = new int[4];
        var withBoth = new int[4];
        for (var i = 0; i < split.Count; i++)
        {
            var labels = split.Describe(i).Labels;
            for (var k = 0; k < 4; k++)
            {
                var pair = bench.BiasedPairs[k];
                if (labels.Contains(pair.Biased))
                {
                    withB[k]++;
                    withBoth[k] += labels.Contains(pair.Context) ? 1 : 0;
                }
            }
        }

        // Pooled over 4 pairs, > 800 images with b: sd <= 0.018; tolerance >= 3.3 sd.
        Assert.True(withB.Sum() > 800, $"only {withB.Sum()} images contain a biased b");
        Assert.InRange(withBoth.Sum() / (double)withB.Sum(), expected - 0.06, expected + 0.06);
        Assert.All(Enumerable.Range(0, 4), k => Assert.InRange(withBoth[k] / (double)withB[k], expected - 0.15, expected + 0.15));
    }

    [Fact]
    public void Describe_UnbiasedPair_CooccursAtBaseRate()
    {
        // A control: two objects outside every biased pair co-occur rarely (no built-in bias).
        var bench = MultiLabel();
        var members = bench.BiasedPairs.SelectMany(p => new[] { p.Biased, p.Context }).ToHashSet();
        var free = Enumerable.Range(0, 24).Where(o => !members.Contains(o)).Take(2).ToArray();
        int withB = 0, both = 0;
        for (var i = 0; i < bench.Train.Count; i++)
        {
            var labels = bench.Train.Describe(i).Labels;
            if (labels.Contains(free[0]))
            {
                withB++;
                both += labels.Contains(free[1]) ? 1 : 0;
            }
        }

        Assert.InRange(both / (double)withB, 0.0, 0.3);
    }

    [Fact]
    public void ExclusiveAndCooccur_TestSplits_AreWhatTheySay()
    {
        var bench = MultiLabel(size: 1500);
        foreach (var split in new[] { bench.TestIid, bench.TestOod })
        {
            foreach (var pair in bench.BiasedPairs)
            {
                var exclusive = split.ExclusiveIndices(pair);
                var cooccur = split.CooccurIndices(pair);
                Assert.NotEmpty(exclusive);
                Assert.NotEmpty(cooccur);
                Assert.All(exclusive, i => Assert.True(split.Describe(i).Labels.Contains(pair.Biased) && !split.Describe(i).Labels.Contains(pair.Context)));
                Assert.All(cooccur, i => Assert.True(split.Describe(i).Labels.Contains(pair.Biased) && split.Describe(i).Labels.Contains(pair.Context)));
                var withB = Enumerable.Range(0, split.Count).Where(i => split.Describe(i).Labels.Contains(pair.Biased));
                Assert.Equal(withB, exclusive.Concat(cooccur).Order());
            }
        }
    }

    [Fact]
    public void ExclusiveIndices_BadPair_Throws()
    {
        var bench = MultiLabel(size: 5);
        var ex = Assert.Throws<ArgumentException>(() => bench.TestOod.ExclusiveIndices(new BiasedPair(3, 3)));
        Assert.Contains("two different object ids in [0, 24)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => bench.TestOod.CooccurIndices(new BiasedPair(0, 24)));
    }

    [Fact]
    public void Generate_MultiLabelSameSeed_SamePairsAndPixels()
    {
        var a = MultiLabel(size: 10, seed: 5);
        var b = MultiLabel(size: 10, seed: 5);
        Assert.Equal(a.BiasedPairs, b.BiasedPairs);
        Assert.Equal(a.TestOod.Render(9), b.TestOod.Render(9));
    }
}
