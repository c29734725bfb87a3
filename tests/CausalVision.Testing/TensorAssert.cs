// Tolerant tensor comparisons with readable failure messages.
using TorchSharp;
using Xunit;

namespace CausalVision.Testing;

/// <summary>Assertions on tensors.</summary>
public static class TensorAssert
{
    /// <summary>Asserts |actual - expected| &lt;= atol + rtol * |expected| element-wise, and equal shapes.</summary>
    /// <param name="expected">The expected values.</param>
    /// <param name="actual">The actual tensor.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    public static void Close(torch.Tensor expected, torch.Tensor actual, double atol = 1e-5, double rtol = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        Assert.Equal(expected.shape, actual.shape);
        using var scope = torch.NewDisposeScope();
        var e = expected.detach().cpu().to(torch.float64);
        var a = actual.detach().cpu().to(torch.float64);
        var diff = (a - e).abs();
        var bound = atol + rtol * e.abs();
        var bad = diff > bound;
        if (bad.any().item<bool>())
        {
            var maxDiff = diff.max().item<double>();
            var index = diff.flatten().argmax().item<long>();
            Assert.Fail($"Tensors differ: max |diff| = {maxDiff:G6} at flat index {index} (expected {e.flatten()[index].item<double>():G6}, actual {a.flatten()[index].item<double>():G6}); atol {atol}, rtol {rtol}.");
        }
    }

    /// <summary>Asserts a tensor equals the given values (flattened) within tolerance.</summary>
    /// <param name="expected">Expected values in row-major order.</param>
    /// <param name="actual">The tensor.</param>
    /// <param name="atol">Absolute tolerance.</param>
    public static void Values(float[] expected, torch.Tensor actual, double atol = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var values = actual.detach().cpu().to(torch.float32).data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) <= atol, $"Element {i}: expected {expected[i]:G6}, actual {values[i]:G6} (atol {atol}).");
        }
    }

    /// <summary>Asserts the tensor has this shape.</summary>
    /// <param name="actual">The tensor.</param>
    /// <param name="shape">The expected shape.</param>
    public static void Shape(torch.Tensor actual, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(actual);
        Assert.Equal(shape, actual.shape);
    }

    /// <summary>Asserts every element is finite.</summary>
    /// <param name="actual">The tensor.</param>
    public static void Finite(torch.Tensor actual)
    {
        ArgumentNullException.ThrowIfNull(actual);
        using var finite = torch.isfinite(actual);
        using var all = finite.all();
        Assert.True(all.item<bool>(), "Tensor has NaN or Inf elements.");
    }
}
