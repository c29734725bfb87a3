using System.Reflection;
using CausalVision.Synthetic;

namespace CausalVision.Tests.Synthetic;

/// <summary>Known-answer checks of the rasteriser and of the manifest's CSV quoting.</summary>
public sealed class SyntheticRendererTests
{
    [Theory]
    [InlineData(SyntheticShape.Circle, Math.PI)]
    [InlineData(SyntheticShape.Square, 1.96)]               // half side 0.7 r
    [InlineData(SyntheticShape.Triangle, 1.2990381)]        // equilateral, circumradius r: 3 sqrt(3) / 4
    [InlineData(SyntheticShape.Cross, 2.0196)]              // arms 0.93 r, half width 0.33 r: 2 (1.86 x 0.66) - 0.66^2
    [InlineData(SyntheticShape.Ring, Math.PI * 0.84)]       // outer r, inner 0.4 r
    [InlineData(SyntheticShape.Diamond, 2.0)]               // |x| + |y| <= r
    public void Render_LoneObject_PixelAreaMatchesShapeFormula(SyntheticShape shape, double areaOverRSquared)
    {
        // Images with a single object (recipes of 2, one dropped, no distractors), no anti-aliasing:
        // the pixels painted in the object's exact colour are the shape's raster.
        var found = 0;
        double measured = 0, expected = 0;
        foreach (var (bench, i) in LoneObjects(shape).Take(6))
        {
            var obj = bench.Train.Describe(i).Objects[0];
            var kind = bench.Objects[obj.ObjectId];
            var (r, g, b) = (Math.Clamp(kind.Red * obj.Brightness, 0f, 1f), Math.Clamp(kind.Green * obj.Brightness, 0f, 1f), Math.Clamp(kind.Blue * obj.Brightness, 0f, 1f));
            var px = bench.Train.Render(i);
            var count = 0;
            for (var p = 0; p < 4096; p++)
            {
                if (px[p] == r && px[4096 + p] == g && px[8192 + p] == b)
                {
                    count++;
                    var (x, y) = (p % 64, p / 64);
                    Assert.True(x >= obj.X0 - 1 && x <= obj.X1 && y >= obj.Y0 - 1 && y <= obj.Y1, $"pixel ({x}, {y}) outside the box");
                }
            }

            measured += count;
            expected += areaOverRSquared * obj.Radius * obj.Radius;
            found++;
        }

        Assert.Equal(6, found);
        Assert.InRange(measured / expected, 0.95, 1.05);
    }

    private static IEnumerable<(SyntheticBenchmark Bench, int Index)> LoneObjects(SyntheticShape shape)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
            {
                Seed = seed,
                RecipeSizeMin = 2,
                RecipeSizeMax = 2,
                MaxObjectsPerImage = 2,
                RecipeObjectDropProbability = 1.0,
                AntiAlias = false,
                ObjectScaleMin = 0.12,
                ObjectScaleMax = 0.2,
                TrainSize = 2000,
            });
            for (var i = 0; i < bench.Train.Count; i++)
            {
                var objects = bench.Train.Describe(i).Objects;
                if (objects.Count == 1 && bench.Objects[objects[0].ObjectId].Shape == shape)
                {
                    yield return (bench, i);
                }
            }
        }
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("", "")]
    public void CsvField_Rfc4180_QuotesOnlyWhenNeeded(string field, string expected)
    {
        var method = typeof(SyntheticBenchmark).GetMethod("CsvField", BindingFlags.NonPublic | BindingFlags.Static)!;
        Assert.Equal(expected, method.Invoke(null, [field]));
    }
}
