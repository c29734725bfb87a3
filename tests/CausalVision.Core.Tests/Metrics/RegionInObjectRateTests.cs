using CausalVision.Metrics;
using CausalVision.Synthetic;

namespace CausalVision.Tests.Metrics;

public sealed class RegionInObjectRateTests
{
    [Fact]
    public void Compute_HandExample_CountsCentresInsideBoxesAndChanceIsBoxArea()
    {
        // Image 0: one box covering the left half; centres (0.25, 0.5) in, (0.75, 0.5) out, (1.5, 0.5) off the map.
        // Image 1: a quarter box [0, 0.5]^2; centre (0.1, 0.1) in.
        var centres = new IReadOnlyList<(double, double)>[]
        {
            new[] { (0.25, 0.5), (0.75, 0.5), (1.5, 0.5) },
            new[] { (0.1, 0.1) },
        };
        var boxes = new IReadOnlyList<NormalizedBox>[]
        {
            new[] { new NormalizedBox(0, 0, 0.5, 1) },
            new[] { new NormalizedBox(0, 0, 0.5, 0.5), new NormalizedBox(0.25, 0.25, 0.5, 0.5) },
        };
        var r = RegionInObjectRate.Compute(centres, boxes);
        Assert.Equal(0.5, r.Rate, 12);
        Assert.Equal((0.5 + 0.25) / 2, r.ChanceRate, 12); // overlapping boxes count once
        Assert.Equal(4, r.Regions);
        Assert.Equal(2, r.Images);
        Assert.Equal(0.5 / 0.375, r.Lift, 12);
    }

    [Fact]
    public void FromThetas_SyntheticSample_CentreOnFirstObjectIsAHit()
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { TrainSize = 4, ImageSize = 32 });
        var samples = Enumerable.Range(0, 4).Select(bench.Train.Describe).ToList();
        var thetas = new float[4 * 2 * 6];
        for (var i = 0; i < 4; i++)
        {
            var o = samples[i].Objects[0];
            // Step 0 centred on the first object; step 1 at the image corner (-1, -1), outside every box of radius < centre.
            thetas[(i * 12) + 2] = (2f * o.CenterX / 32f) - 1f;
            thetas[(i * 12) + 5] = (2f * o.CenterY / 32f) - 1f;
            thetas[(i * 12) + 8] = -1.2f;
            thetas[(i * 12) + 11] = -1.2f;
        }

        var r = RegionInObjectRate.FromThetas(thetas, 2, samples, 32);
        Assert.Equal(0.5, r.Rate, 12);
        Assert.InRange(r.ChanceRate, 0.0001, 1.0);
    }

    [Fact]
    public void Compute_MismatchedOrEmptyInputs_Throw()
    {
        Assert.Throws<ArgumentException>(() => RegionInObjectRate.Compute(
            new IReadOnlyList<(double, double)>[] { new[] { (0.1, 0.1) } }, Array.Empty<IReadOnlyList<NormalizedBox>>()));
        Assert.Throws<ArgumentException>(() => RegionInObjectRate.Compute(
            new IReadOnlyList<(double, double)>[] { Array.Empty<(double, double)>() }, new IReadOnlyList<NormalizedBox>[] { Array.Empty<NormalizedBox>() }));
        Assert.Throws<ArgumentException>(() => RegionInObjectRate.FromThetas(new float[5], 1, Array.Empty<SyntheticSampleInfo>(), 32));
    }
}
