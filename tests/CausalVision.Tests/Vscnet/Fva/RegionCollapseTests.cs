using CausalVision.Vscnet.Fva;
using CausalVision.Testing;

namespace CausalVision.Tests.Vscnet.Fva;

/// <summary>
/// Guards against the located regions collapsing onto one crop: after a short stage-1 run on a tiny fixed set, theta must
/// still vary across images and the regions of one image must stay apart and on the map.
/// </summary>
public sealed class RegionCollapseTests
{
    private const int Images = 8;
    private const int Channels = 4;
    private const int Side = 8;
    private const int Steps = 4;

    // Image i has one bright 2x2 object in channel (i % 4) at a position that differs between images, on weak noise.
    private static (Tensor Map, Tensor Global) TinySet()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(7);
        var map = randn(new long[] { Images, Channels, Side, Side }, generator: gen) * 0.1;
        var data = new float[Images * Channels * Side * Side];
        for (var i = 0; i < Images; i++)
        {
            var (r, c) = ((i * 3) % (Side - 2), (i * 5) % (Side - 2));
            foreach (var (dr, dc) in new[] { (0, 0), (0, 1), (1, 0), (1, 1) })
            {
                data[(((i * Channels) + (i % Channels)) * Side * Side) + ((r + dr) * Side) + c + dc] = 2f;
            }
        }

        map = map + tensor(data, new long[] { Images, Channels, Side, Side });
        var global = map.mean(new long[] { 2, 3 });
        gen.Dispose();
        return (map.MoveToOuterDisposeScope(), global.MoveToOuterDisposeScope());
    }

    // Trains 30 Adam steps of the stage-1 tag + locating objective and returns (mean over steps j of the std across images
    // of the shifts, mean distance between the regions of one image, max |t| + s).
    private static (double StdAcrossImages, double PairDistance, double MaxExtent) Train(FvaOptions options)
    {
        manual_seed(3);
        var (map, global) = TinySet();
        using var m = map;
        using var g = global;
        using var net = new CascadedSpatialNet(Channels, Channels, options);
        var targets = Enumerable.Range(0, Images).Select(i => (IReadOnlyList<int>)new[] { i % Channels }).ToArray();
        using var stepTargets = FvaLoss.SelectStepTargets(targets, Steps, Channels);
        var lossOptions = options.Loss;
        lossOptions.ClassLossWeight = 0;
        var loss = new FvaLoss(lossOptions);
        using var optimizer = optim.Adam(net.parameters(), 0.01);
        for (var step = 0; step < 30; step++)
        {
            optimizer.zero_grad();
            using var output = net.call(g, m);
            using var terms = loss.Compute(output, null, null, stepTargets);
            terms.Total.backward();
            optimizer.step();
        }

        using var noGrad = no_grad();
        using var final = net.call(g, m);
        using var scope = NewDisposeScope();
        var shifts = final.Thetas[.., .., .., 2];                 // [B, J, 2]
        var std = shifts.std(0).mean().item<float>();
        var diff = (shifts.unsqueeze(2) - shifts.unsqueeze(1)).abs().sum(-1); // [B, J, J]
        var pairs = Steps * (Steps - 1);
        var pairDistance = diff.sum().item<float>() / (Images * pairs);
        var sx = final.Thetas[.., .., 0, 0].abs();
        var sy = final.Thetas[.., .., 1, 1].abs();
        var extent = maximum(shifts[.., .., 0].abs() + sx, shifts[.., .., 1].abs() + sy).max().item<float>();
        return (std, pairDistance, extent);
    }

    [Fact]
    public void Localising_ShortRun_RegionsVaryAcrossImagesStayApartAndOnTheMap()
    {
        var options = FvaOptions.Localising();
        options.Steps = Steps;
        options.HiddenSize = 8;
        var (std, pairDistance, extent) = Train(options);
        Assert.True(std > 1e-3, $"theta shifts have std {std} across images: the regions collapsed to one crop per step.");
        Assert.True(pairDistance > 0.2, $"regions of one image are {pairDistance} apart (L1 of shifts): they collapsed onto one crop.");
        Assert.True(extent < 1.05, $"a region reaches |t| + s = {extent}: it left the map.");
    }

    [Fact]
    public void AuthorsCodeForm_ShortRun_CollapsesEveryRegionOfAnImage()
    {
        // The contrast that shows the measure can fail: the code's shared zero-weight init and anti-outlier terms keep all
        // regions of an image on one crop.
        var options = new FvaOptions { Steps = Steps, HiddenSize = 8 };
        var (_, pairDistance, _) = Train(options);
        Assert.True(pairDistance < 0.05, $"regions of one image are {pairDistance} apart under the code's form.");
    }

    [Fact]
    public void DistinctInit_StartsRegionsOnDistinctCentresInsideTheMap()
    {
        var values = CascadedSpatialNet.DistinctOffsets(10, 0.4);
        var centres = Enumerable.Range(0, 10).Select(j => (values[(j * 6) + 2], values[(j * 6) + 5])).ToArray();
        Assert.Equal(10, centres.Distinct().Count());
        Assert.All(centres, c => Assert.True(Math.Abs(c.Item1) + 0.4 <= 1.0 + 1e-6 && Math.Abs(c.Item2) + 0.4 <= 1.0 + 1e-6));
        Assert.Equal([0f, 0f], CascadedSpatialNet.DistinctOffsets(1, 0.5).Where((_, k) => k is 2 or 5));
    }

    [Fact]
    public void DistinctInit_Forward_ThetaDependsOnImageAndLeaksNothing()
    {
        manual_seed(4);
        var options = FvaOptions.Localising();
        options.Steps = 3;
        using var net = new CascadedSpatialNet(4, 5, options);
        using var map = randn(2, 4, 6, 6);
        using var global = randn(2, 4);
        TensorLeaks.AssertNone(() =>
        {
            using var output = net.call(global, map);
            using var scope = NewDisposeScope();
            var diff = (output.Thetas[0] - output.Thetas[1]).abs().max();
            Assert.True(diff.item<float>() > 0, "theta is the same for two different images at initialisation.");
        });
        Assert.Contains(net.named_parameters(), p => p.name == "step_offset");
    }
}
