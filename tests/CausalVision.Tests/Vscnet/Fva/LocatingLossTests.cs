using CausalVision.Vscnet.Fva;

namespace CausalVision.Tests.Vscnet.Fva;

public sealed class LocatingLossTests
{
    // theta rows: [s_x, r12, x], [r21, s_y, y]
    private static Tensor Thetas(params float[][] steps)
    {
        var data = steps.SelectMany(s => s).ToArray();
        return tensor(data, new long[] { 1, steps.Length, 2, 3 });
    }

    [Fact]
    public void Compute_TwoIdenticalShifts_DiversityIsWeightTimesExpZero()
    {
        using var thetas = Thetas([0.8f, 0, 0.1f, 0, 0.8f, -0.2f], [0.8f, 0, 0.1f, 0, 0.8f, -0.2f]);
        using var terms = new LocatingLoss().Compute(thetas);
        Assert.Equal(5.0, terms.Diversity.item<float>(), 6);
        Assert.Equal(0.0, terms.OutlierShift.item<float>(), 6);
        Assert.Equal(0.0, terms.OutlierScale.item<float>(), 6);
        Assert.Equal(0.0, terms.ScaleUpper.item<float>(), 6);
        Assert.Equal(0.0, terms.ScaleLower.item<float>(), 6);
        Assert.Equal(0.0, terms.Rotation.item<float>(), 6);
        Assert.Equal(5.0, terms.Total.item<float>(), 6);
    }

    [Fact]
    public void Compute_HandComputedThetas_EveryCodeTermMatches()
    {
        // x = (0.1, 0.3), y = (-0.2, 0.2): pair spread 0.2 + 0.4 = 0.6. MAD x 0.1, MAD y 0.2.
        // s_x = (0.5, 1.0), s_y = (0.8, 0.8): MAD s_x 0.25; upper mean(0, 0.2) = 0.1; lower mean(0.3, 0) = 0.15.
        // rotation: mean((|0.1| + |-0.3|) / 2, 0) = 0.1.
        using var thetas = Thetas([0.5f, 0.1f, 0.1f, -0.3f, 0.8f, -0.2f], [1.0f, 0, 0.3f, 0, 0.8f, 0.2f]);
        var options = new LocatingLossOptions { RotationWeight = 2.0 };
        using var terms = new LocatingLoss(options).Compute(thetas);
        Assert.Equal(5 * Math.Exp(-0.6), terms.Diversity.item<float>(), 5);
        Assert.Equal(100 * 0.3, terms.OutlierShift.item<float>(), 4);
        Assert.Equal(100 * 0.25, terms.OutlierScale.item<float>(), 4);
        Assert.Equal(0.1, terms.ScaleUpper.item<float>(), 5);
        Assert.Equal(0.15, terms.ScaleLower.item<float>(), 5);
        Assert.Equal(2 * 0.1, terms.Rotation.item<float>(), 5);
        var sum = (5 * Math.Exp(-0.6)) + 30 + 25 + 0.1 + 0.15 + 0.2;
        Assert.Equal(sum, terms.Total.item<float>(), 4);
    }

    [Fact]
    public void Compute_PaperForm_MatchesEquation4()
    {
        // x̄ = 0.2, ȳ = 0: each step exp(-0.1 - 0.2); rotation sum_j (|r12| + |r21|) = 0.4.
        using var thetas = Thetas([0.5f, 0.1f, 0.1f, -0.3f, 0.8f, -0.2f], [1.0f, 0, 0.3f, 0, 0.8f, 0.2f]);
        using var terms = new LocatingLoss(LocatingLossOptions.PaperEquation4()).Compute(thetas);
        Assert.Equal(2 * Math.Exp(-0.3), terms.Diversity.item<float>(), 5);
        Assert.Equal(0.4, terms.Rotation.item<float>(), 5);
        Assert.Equal((2 * Math.Exp(-0.3)) + 0.4, terms.Total.item<float>(), 5);
    }

    [Fact]
    public void Compute_MaskedStep_IsIgnoredByEveryTerm()
    {
        using var two = Thetas([0.5f, 0.1f, 0.1f, -0.3f, 0.8f, -0.2f], [1.0f, 0, 0.3f, 0, 0.8f, 0.2f]);
        using var three = Thetas([0.5f, 0.1f, 0.1f, -0.3f, 0.8f, -0.2f], [1.0f, 0, 0.3f, 0, 0.8f, 0.2f], [3f, 2f, -5f, 1f, -2f, 9f]);
        using var mask = tensor(new[] { true, true, false }, new long[] { 1, 3 });
        var loss = new LocatingLoss(new LocatingLossOptions { RotationWeight = 1 });
        using var a = loss.Compute(two);
        using var b = loss.Compute(three, mask);
        Assert.Equal(a.Total.item<float>(), b.Total.item<float>(), 4);
        Assert.Equal(a.Diversity.item<float>(), b.Diversity.item<float>(), 6);
    }

    [Fact]
    public void Compute_ImageWithSingleStep_ContributesConstantOneToDiversity()
    {
        // Image 0 has one step (exp(0) = 1), image 1 two steps with spread 0.5: mean (1 + e^-0.5) / 2.
        var data = new float[] { 1, 0, 0, 0, 1, 0, 1, 0, 0.7f, 0, 1, 0.1f, 1, 0, 0, 0, 1, 0, 1, 0, 0.2f, 0, 1, 0.1f };
        using var thetas = tensor(data, new long[] { 2, 2, 2, 3 });
        using var mask = tensor(new[] { true, false, true, true }, new long[] { 2, 2 });
        using var terms = new LocatingLoss(new LocatingLossOptions { DiversityWeight = 1 }).Compute(thetas, mask);
        Assert.Equal((1 + Math.Exp(-0.3)) / 2, terms.Diversity.item<float>(), 5);
    }

    [Fact]
    public void Compute_Backward_GradientReachesThetas()
    {
        using var thetas = Thetas([0.5f, 0.1f, 0.1f, -0.3f, 0.8f, -0.2f], [1.0f, 0, 0.3f, 0, 0.8f, 0.2f]).requires_grad_();
        using (var terms = new LocatingLoss(new LocatingLossOptions { RotationWeight = 1 }).Compute(thetas))
        {
            terms.Total.backward();
        }

        Assert.NotNull(thetas.grad);
        using var g = thetas.grad!.abs().sum();
        Assert.True(g.item<float>() > 0);
    }

    [Fact]
    public void Compute_NoLeakedTensors()
    {
        using var thetas = Thetas([0.5f, 0.1f, 0.1f, -0.3f, 0.8f, -0.2f], [1.0f, 0, 0.3f, 0, 0.8f, 0.2f]);
        using var mask = tensor(new[] { true, true }, new long[] { 1, 2 });
        var loss = new LocatingLoss();
        TensorLeaks.AssertNone(() =>
        {
            using var terms = loss.Compute(thetas, mask);
        });
    }

    [Fact]
    public void Compute_WrongThetaShape_Throws()
    {
        using var thetas = zeros(1, 2, 3, 3);
        var ex = Assert.Throws<ArgumentException>(() => new LocatingLoss().Compute(thetas));
        Assert.Contains("[B, J, 2, 3]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_MaskShapeMismatch_Throws()
    {
        using var thetas = zeros(1, 2, 2, 3);
        using var mask = ones(1, 3, dtype: ScalarType.Bool);
        Assert.Throws<ArgumentException>(() => new LocatingLoss().Compute(thetas, mask));
    }
}
