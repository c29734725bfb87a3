using CausalVision.Testing;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Tests.Training;

public sealed class GroupDroLossTests
{
    [Fact]
    public void Forward_HandExample_ExponentiatedWeightsAndWeightedLoss()
    {
        // Groups 0, 1, 1, absent group 2; losses 1, 2, 4 -> L = [1, 3, 0].
        // q = [1/3, 1/3, 1/3] * exp(eta * L) with eta = 1, normalised.
        var dro = new GroupDroLoss(3, stepSize: 1.0);
        using var losses = tensor(new[] { 1f, 2f, 4f }, requires_grad: true);
        using var groups = tensor(new long[] { 0, 1, 1 });

        using var loss = dro.Forward(losses, groups);

        var z = Math.E + Math.Exp(3) + 1;
        double[] q = [Math.E / z, Math.Exp(3) / z, 1 / z];
        Assert.Equal(q, dro.Weights, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal((q[0] * 1) + (q[1] * 3), loss.item<float>(), 4);

        // d loss / d l_i = q_g / n_g: [q0, q1 / 2, q1 / 2].
        loss.backward();
        TensorAssert.Values([(float)q[0], (float)(q[1] / 2), (float)(q[1] / 2)], losses.grad!, 1e-5);
    }

    [Fact]
    public void Forward_TwoSteps_WeightsAccumulate()
    {
        var dro = new GroupDroLoss(2, stepSize: 0.5);
        using var groups = tensor(new long[] { 0, 1 });
        using (var l = tensor(new[] { 2f, 0f }))
        using (dro.Forward(l, groups))
        {
        }

        using (var l = tensor(new[] { 2f, 0f }))
        using (dro.Forward(l, groups))
        {
        }

        // After two steps q0 / q1 = exp(0.5 * 2 * 2) = e^2.
        var w = dro.Weights;
        Assert.Equal(Math.Exp(2), w[0] / w[1], 9);
        Assert.Equal(1.0, w.Sum(), 12);
    }

    [Fact]
    public void Forward_NoLeakedTensors()
    {
        var dro = new GroupDroLoss(4);
        using var losses = tensor(new[] { 1f, 2f, 3f });
        using var groups = tensor(new long[] { 0, 3, 3 });
        TensorLeaks.AssertNone(() => dro.Forward(losses, groups).Dispose());
    }

    [Fact]
    public void Ctor_And_Forward_BadInput_Throw()
    {
        Assert.Equal(0.01, new GroupDroLoss(2).StepSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupDroLoss(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupDroLoss(2, -1));
        var dro = new GroupDroLoss(2);
        using var losses = tensor(new[] { 1f, 2f });
        using var bad = tensor(new long[] { 0, 2 });
        using var shortGroups = tensor(new long[] { 0 });
        Assert.Throws<ArgumentException>(() => dro.Forward(losses, bad));
        Assert.Throws<ArgumentException>(() => dro.Forward(losses, shortGroups));
    }
}
