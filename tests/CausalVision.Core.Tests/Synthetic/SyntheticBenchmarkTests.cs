using System.Collections.Concurrent;
using CausalVision.Synthetic;

namespace CausalVision.Tests.Synthetic;

public sealed class SyntheticBenchmarkTests
{
    private static SyntheticBenchmark Small(int seed = 7, int size = 4000) => SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
    {
        Seed = seed,
        TrainSize = size,
        TestIidSize = size,
        TestOodSize = size,
    });

    [Fact]
    public void Generate_Defaults_InfoHasRecipesAsClassesAndObjectsAsTags()
    {
        var bench = Small();
        Assert.Equal(10, bench.Info.ClassCount);
        Assert.Equal(24, bench.Info.TagCount);
        Assert.False(bench.Info.MultiLabel);
        Assert.Equal("recipe00", bench.Info.Classes[0]);
        Assert.Equal("red_circle", bench.Info.Tags[0]);
        Assert.Equal("yellow_diamond", bench.Info.Tags[23]);
        Assert.Equal(24, bench.Info.Tags.Distinct().Count());
        Assert.Equal(10, bench.Contexts.Count);
        Assert.Equal("stripes-0", bench.Contexts[0].Name);
        Assert.Equal("checks-1", bench.Contexts[7].Name);
        Assert.Empty(bench.BiasedPairs);
        Assert.Same(bench.Info, bench.Train.Info);
        Assert.Equal(["train", "test_iid", "test_ood"], bench.Splits.Select(s => s.Name));
    }

    [Fact]
    public void Recipes_Default_DistinctAntichainAndEveryClassSharesAnObject()
    {
        foreach (var seed in new[] { 0, 1, 2, 3 })
        {
            var recipes = Small(seed, 1).Recipes;
            Assert.Equal(10, recipes.Count);
            for (var a = 0; a < recipes.Count; a++)
            {
                Assert.InRange(recipes[a].Count, 2, 3);
                Assert.Equal(recipes[a].Count, recipes[a].Distinct().Count());
                var shares = false;
                for (var b = 0; b < recipes.Count; b++)
                {
                    if (a == b)
                    {
                        continue;
                    }

                    Assert.False(recipes[a].All(recipes[b].Contains), $"seed {seed}: recipe {a} is contained in recipe {b}");
                    shares |= recipes[a].Intersect(recipes[b]).Any();
                }

                Assert.True(shares, $"seed {seed}: recipe {a} shares no object with another class");
            }
        }
    }

    [Fact]
    public void Describe_Train_ContextTiedToClassWithProbabilityP()
    {
        var bench = Small();
        foreach (var split in new[] { bench.Train, bench.TestIid })
        {
            var tied = 0;
            for (var i = 0; i < split.Count; i++)
            {
                var info = split.Describe(i);
                Assert.Equal(info.ContextId == bench.TiedContext(info.Label), info.ContextMatchesClass);
                tied += info.ContextMatchesClass ? 1 : 0;
            }

            // p = 0.9 on 4000 samples: sd = 0.0047, tolerance > 5 sd.
            Assert.InRange(tied / (double)split.Count, 0.875, 0.925);
        }
    }

    [Fact]
    public void Describe_TestOod_ContextIndependentOfClass()
    {
        var bench = Small();
        var tied = 0;
        var byContext = new int[bench.Contexts.Count];
        var joint = new int[10, 10];
        for (var i = 0; i < bench.TestOod.Count; i++)
        {
            var info = bench.TestOod.Describe(i);
            tied += info.ContextMatchesClass ? 1 : 0;
            byContext[info.ContextId]++;
            joint[info.Label, info.ContextId]++;
        }

        // 1 / contexts = 0.1; sd = 0.0047.
        Assert.InRange(tied / 4000.0, 0.075, 0.125);
        Assert.All(byContext, n => Assert.InRange(n, 300, 500));

        // Chi-square test of independence (81 dof): the 99.9% quantile is about 124.
        var chi = 0.0;
        for (var y = 0; y < 10; y++)
        {
            for (var c = 0; c < 10; c++)
            {
                double rowSum = Enumerable.Range(0, 10).Sum(k => joint[y, k]);
                double colSum = Enumerable.Range(0, 10).Sum(k => joint[k, c]);
                var expected = rowSum * colSum / 4000.0;
                chi += (joint[y, c] - expected) * (joint[y, c] - expected) / expected;
            }
        }

        Assert.InRange(chi, 0, 124);
    }

    [Fact]
    public void Describe_AllSplits_ObjectsDetermineTheClass()
    {
        var bench = Small(size: 2000);
        var recipes = bench.Recipes;
        foreach (var split in bench.Splits)
        {
            var dropped = 0;
            for (var i = 0; i < split.Count; i++)
            {
                var info = split.Describe(i);
                var objects = info.ObjectIds;
                Assert.InRange(objects.Count, 1, 4);
                Assert.Equal(info.Objects.Count, objects.Count);
                for (var k = 0; k < recipes.Count; k++)
                {
                    if (k != info.Label)
                    {
                        Assert.False(recipes[k].All(objects.Contains), $"{split.Name}[{i}] completes class {k}'s recipe");
                    }
                }

                var complete = recipes[info.Label].All(objects.Contains);
                Assert.Equal(!info.RecipeObjectDropped, complete);
                if (info.RecipeObjectDropped)
                {
                    dropped++;
                    Assert.Equal(recipes[info.Label].Count - 1, recipes[info.Label].Count(objects.Contains));
                }
            }

            // Drop probability 0.1 on 2000: sd 0.0067.
            Assert.InRange(dropped / 2000.0, 0.07, 0.13);
        }
    }

    [Fact]
    public void Describe_Objects_InsideImageWithBoxesAndLightJitter()
    {
        var bench = Small(size: 500);
        for (var i = 0; i < 500; i++)
        {
            foreach (var obj in bench.Train.Describe(i).Objects)
            {
                Assert.InRange(obj.Radius, 0.09f * 64 - 1e-4f, 0.15f * 64 + 1e-4f);
                Assert.True(obj.X0 >= -1e-4f && obj.Y0 >= -1e-4f && obj.X1 <= 64 + 1e-4f && obj.Y1 <= 64 + 1e-4f);
                Assert.InRange(obj.X1 - obj.X0 - (2 * obj.Radius), -1e-3f, 1e-3f);
                Assert.InRange(obj.Rotation, -0.35f, 0.35f);
            }
        }
    }

    [Fact]
    public void Describe_Tags_EqualTheObjectsDrawn()
    {
        var bench = Small(size: 300);
        for (var i = 0; i < 300; i++)
        {
            var info = bench.TestIid.Describe(i);
            var drawn = info.Objects.Select(o => o.ObjectId).Distinct().Order().ToArray();
            Assert.Equal(drawn, info.Tags);
            Assert.Equal(drawn, info.ObjectIds);
            Assert.Equal([info.Label], info.Labels);
        }
    }

    [Fact]
    public void Get_Sample_CarriesLabelTagsIdAndImage()
    {
        var bench = Small(size: 20);
        for (var i = 0; i < 20; i++)
        {
            var info = bench.Train.Describe(i);
            using var sample = bench.Train.Get(i);
            Assert.Equal(info.Label, sample.Label);
            Assert.Equal([info.Label], sample.Labels);
            Assert.Equal(info.Tags, sample.Tags);
            Assert.Equal($"train/{i:D6}", sample.Id);
            Assert.Equal(new long[] { 3, 64, 64 }, sample.Image.shape);
            Assert.Equal(ScalarType.Float32, sample.Image.dtype);
            Assert.Equal(bench.Train.Render(i), sample.Image.data<float>().ToArray());
        }
    }

    [Fact]
    public void Render_TopObjectCentre_HasTheObjectColour()
    {
        // Known answer: the last-drawn object covers its centre pixel fully (every shape but the
        // ring is solid there), so the pixel equals the object's colour times its brightness.
        var bench = Small(size: 200);
        var checkedCount = 0;
        for (var i = 0; i < 200; i++)
        {
            var info = bench.Train.Describe(i);
            var top = info.Objects[^1];
            var kind = bench.Objects[top.ObjectId];
            if (kind.Shape == SyntheticShape.Ring)
            {
                continue;
            }

            var pixels = bench.Train.Render(i);
            int x = (int)top.CenterX, y = (int)top.CenterY;
            var p = (y * 64) + x;
            Assert.Equal(Math.Clamp(kind.Red * top.Brightness, 0f, 1f), pixels[p], 5);
            Assert.Equal(Math.Clamp(kind.Green * top.Brightness, 0f, 1f), pixels[4096 + p], 5);
            Assert.Equal(Math.Clamp(kind.Blue * top.Brightness, 0f, 1f), pixels[8192 + p], 5);
            checkedCount++;
        }

        Assert.True(checkedCount > 100);
    }

    [Fact]
    public void Render_Pixels_InUnitRangeAndFinite()
    {
        var bench = Small(size: 64);
        for (var i = 0; i < 64; i++)
        {
            Assert.All(bench.TestOod.Render(i), v => Assert.InRange(v, 0f, 1f));
        }
    }

    [Fact]
    public void Render_Contexts_BackgroundsDifferBetweenContexts()
    {
        // The shortcut must be visible: the mean background colour + texture energy of context
        // k is far from that of every other context (on average over samples).
        var bench = Small(size: 600);
        var sums = new double[10, 4];
        var counts = new int[10];
        for (var i = 0; i < 600; i++)
        {
            var info = bench.TestOod.Describe(i);
            var px = bench.TestOod.Render(i);
            counts[info.ContextId]++;
            for (var c = 0; c < 3; c++)
            {
                sums[info.ContextId, c] += px.Skip(c * 4096).Take(4096).Average();
            }

            // Horizontal gradient energy separates smooth from busy textures.
            double energy = 0;
            for (var p = 1; p < 4096; p++)
            {
                energy += Math.Abs(px[p] - px[p - 1]);
            }

            sums[info.ContextId, 3] += energy / 4096;
        }

        var features = Enumerable.Range(0, 10).Select(k => Enumerable.Range(0, 4).Select(f => sums[k, f] / counts[k]).ToArray()).ToArray();
        for (var a = 0; a < 10; a++)
        {
            for (var b = a + 1; b < 10; b++)
            {
                var distance = features[a].Zip(features[b], (u, v) => Math.Abs(u - v)).Sum();
                Assert.True(distance > 0.01, $"contexts {a} and {b} look alike (L1 {distance:F4})");
            }
        }
    }

    [Fact]
    public void Generate_SameSeed_IdenticalPixelsAndMetadata()
    {
        var a = Small(seed: 11, size: 50);
        var b = Small(seed: 11, size: 50);
        Assert.Equal(a.Recipes, b.Recipes);
        foreach (var kind in Enum.GetValues<SyntheticSplitKind>().Where(k => k != SyntheticSplitKind.Validation))
        {
            var sa = a.Split(kind);
            var sb = b.Split(kind);
            foreach (var i in new[] { 0, 1, 17, 49 })
            {
                Assert.Equal(sa.Render(i), sb.Render(i));
                Assert.Equal(sa.Describe(i).ContextId, sb.Describe(i).ContextId);
            }
        }
    }

    [Fact]
    public void Generate_DifferentSeed_DifferentRecipesAndPixels()
    {
        var a = Small(seed: 11, size: 50);
        var b = Small(seed: 12, size: 50);
        Assert.NotEqual(a.Recipes.Select(r => string.Join(",", r)), b.Recipes.Select(r => string.Join(",", r)));
        for (var i = 0; i < 10; i++)
        {
            Assert.NotEqual(a.Train.Render(i), b.Train.Render(i));
        }
    }

    [Fact]
    public void Splits_SameIndex_DifferentSamples()
    {
        var bench = Small(size: 10);
        Assert.NotEqual(bench.Train.Render(3), bench.TestIid.Render(3));
        Assert.NotEqual(bench.TestIid.Render(3), bench.TestOod.Render(3));
    }

    [Fact]
    public void Render_LargerSplit_SameImageAtSameIndex()
    {
        // Lazy by index: the split size does not change what sample i is.
        Assert.Equal(Small(size: 10).Train.Render(5), Small(size: 1000).Train.Render(5));
    }

    [Fact]
    public void Get_ParallelAndOutOfOrder_EqualsSequential()
    {
        var bench = Small(size: 128);
        var sequential = Enumerable.Range(0, 128).Select(i =>
        {
            using var s = bench.Train.Get(i);
            return s.Image.data<float>().ToArray();
        }).ToArray();
        var parallel = new ConcurrentDictionary<int, float[]>();
        Parallel.For(0, 256, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            var i = 127 - (k % 128);
            using var s = bench.Train.Get(i);
            var data = s.Image.data<float>().ToArray();
            parallel.AddOrUpdate(i, data, (_, old) =>
            {
                Assert.Equal(old, data);
                return old;
            });
        });
        for (var i = 0; i < 128; i++)
        {
            Assert.Equal(sequential[i], parallel[i]);
        }
    }

    [Fact]
    public void Get_Disposed_LeavesNoTensor()
    {
        var bench = Small(size: 8);
        TensorLeaks.AssertNone(() =>
        {
            for (var i = 0; i < 8; i++)
            {
                using var sample = bench.TestOod.Get(i);
                _ = sample.Image.shape;
            }
        });
    }

    [Fact]
    public void Get_OutOfRange_Throws()
    {
        var bench = Small(size: 5);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => bench.Train.Get(5));
        Assert.Contains("has 5 samples", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => bench.Train.Get(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => bench.Train.Describe(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => bench.TiedContext(10));
    }

    [Fact]
    public void Render_WrongBufferLength_Throws()
    {
        var bench = Small(size: 5);
        var ex = Assert.Throws<ArgumentException>(() => bench.Train.Render(0, new float[100]));
        Assert.Contains("12288 floats, got 100", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_FewerContextsThanClasses_ClassesShareTiedContexts()
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { ContextCount = 4, ContextFamilies = [TextureFamily.Dots, TextureFamily.Waves], TrainSize = 2000 });
        Assert.Equal(["dots-0", "waves-0", "dots-1", "waves-1"], bench.Contexts.Select(c => c.Name));
        Assert.Equal(1, bench.TiedContext(5));
        var tied = Enumerable.Range(0, 2000).Count(i => bench.Train.Describe(i).ContextMatchesClass);
        Assert.InRange(tied / 2000.0, 0.865, 0.935);
    }

    [Fact]
    public void Generate_NoAntiAlias_OnlyBackgroundOrObjectColours()
    {
        var options = new SyntheticBenchmarkOptions { AntiAlias = false, TrainSize = 3, ImageSize = 32, ContextFamilies = [TextureFamily.Checks] };
        var bench = SyntheticBenchmark.Generate(options);
        var info = bench.Train.Describe(0);
        var px = bench.Train.Render(0);
        var colours = new HashSet<(float, float, float)>();
        for (var p = 0; p < 1024; p++)
        {
            colours.Add((px[p], px[1024 + p], px[2048 + p]));
        }

        // Two checker tones plus one colour per object: no blended edge pixels.
        Assert.True(colours.Count <= 2 + info.Objects.Count, $"{colours.Count} colours");
    }
}
