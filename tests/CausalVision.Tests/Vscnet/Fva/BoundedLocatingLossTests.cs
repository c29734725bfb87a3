using CausalVision.Vscnet.Fva;

namespace CausalVision.Tests.Vscnet.Fva;

public sealed class BoundedLocatingLossTests
{
    // One image, two regions: scales 0.5, shifts (0.2, 0) and (0.7, -0.1); the second has |x| + s = 1.2.
    private static Tensor Thetas() => tensor(
        new float[] { 0.5f, 0, 0.2f, 0, 0.5f, 0, 0.5f, 0, 0.7f, 0, 0.5f, -0.1f },
        new long[] { 1, 2, 2, 3 });

    [Fact]
    public void Pairwise_HandExample_DiversityIsMeanOverPairsAndContainmentPenalisesLeavingTheMap()
    {
        using var thetas = Thetas();
        var options = LocatingLossOptions.Bounded();
        using var terms = new LocatingLoss(options).Compute(thetas);
        // One pair: exp(-(0.5 + 0.1)).
        Assert.Equal(Math.Exp(-0.6), terms.Diversity.item<float>(), 5);
        // Containment: region 2 exceeds by 0.2 in x; mean over 2 regions = 0.1; weight 10.
        Assert.Equal(1.0, terms.Containment!.item<float>(), 5);
        // Scales 0.5 lie inside [0.2, 0.6]; no anti-outlier term.
        Assert.Equal(0.0, terms.ScaleUpper.item<float>(), 6);
        Assert.Equal(0.0, terms.ScaleLower.item<float>(), 6);
        Assert.Equal(0.0, terms.OutlierShift.item<float>(), 6);
        Assert.Equal(Math.Exp(-0.6) + 1.0, terms.Total.item<float>(), 5);
    }

    [Fact]
    public void Pairwise_GradientPushesRegionsApartAndBackInside()
    {
        using var thetas = Thetas().requires_grad_(true);
        using var terms = new LocatingLoss(LocatingLossOptions.Bounded()).Compute(thetas);
        terms.Total.backward();
        using var grad = thetas.grad!;
        using var g = grad.reshape(-1);
        var v = g.data<float>().ToArray();
        // Region 1's x moves left (away from region 2): gradient positive; region 2's x is pulled back inside (and
        // pushed right by diversity, which is weaker): gradient positive overall.
        Assert.True(v[2] > 0, $"d/dx1 = {v[2]}");
        Assert.True(v[8] > 0, $"d/dx2 = {v[8]}");
    }

    [Fact]
    public void CodeForm_HasNoContainmentByDefault()
    {
        using var thetas = Thetas();
        using var terms = new LocatingLoss().Compute(thetas);
        Assert.Equal(0.0, terms.Containment!.item<float>(), 6);
        Assert.Equal(0.0, new LocatingLossOptions().ContainmentWeight);
    }
}
