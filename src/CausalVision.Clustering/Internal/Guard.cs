// Argument checks shared by every public entry point of the clustering package.
using TorchSharp;

namespace CausalVision.Clustering.Internal;

/// <summary>Validation helpers that throw <see cref="ArgumentException"/> with a clear message.</summary>
internal static class Guard
{
    /// <summary>Checks a feature matrix: 2-D, at least one row and column, floating point, all finite.</summary>
    /// <param name="x">The matrix [N, D].</param>
    /// <param name="name">The parameter name.</param>
    /// <param name="expectedDim">The required number of columns, or null for any.</param>
    public static void Features(torch.Tensor x, string name, long? expectedDim = null)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.dim() != 2)
        {
            throw new ArgumentException($"{name} must be a 2-D [N, D] tensor, got shape [{string.Join(", ", x.shape)}].", name);
        }

        if (x.shape[0] == 0)
        {
            throw new ArgumentException($"{name} has zero rows; at least one sample is required.", name);
        }

        if (x.shape[1] == 0)
        {
            throw new ArgumentException($"{name} has zero columns; at least one feature is required.", name);
        }

        if (!x.is_floating_point())
        {
            throw new ArgumentException($"{name} must be a floating-point tensor (float32 or float64), got {x.dtype}.", name);
        }

        if (expectedDim is long d && x.shape[1] != d)
        {
            throw new ArgumentException($"{name} has {x.shape[1]} features per row but the model expects {d} (dimension mismatch).", name);
        }

        Finite(x, name);
    }

    /// <summary>Throws when a tensor holds NaN or Inf.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="name">The parameter name.</param>
    public static void Finite(torch.Tensor x, string name)
    {
        using var finite = torch.isfinite(x);
        using var all = finite.all();
        if (!all.item<bool>())
        {
            throw new ArgumentException($"{name} contains NaN or Inf values.", name);
        }
    }

    /// <summary>Throws unless every element lies in [0, 1].</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="name">The parameter name.</param>
    public static void UnitRange(torch.Tensor x, string name)
    {
        using var min = x.min();
        using var max = x.max();
        using var min64 = min.to(torch.float64);
        using var max64 = max.to(torch.float64);
        var lo = min64.item<double>();
        var hi = max64.item<double>();
        if (lo < 0 || hi > 1)
        {
            throw new ArgumentException($"{name} must lie in [0, 1] (min-max scale it first); found values in [{lo:G6}, {hi:G6}].", name);
        }
    }

    /// <summary>Checks an id array: length <paramref name="n"/>, every value in [0, <paramref name="count"/>).</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="n">The required length.</param>
    /// <param name="count">The vocabulary size.</param>
    /// <param name="name">The parameter name.</param>
    public static void Ids(IReadOnlyList<long> ids, long n, long count, string name)
    {
        ArgumentNullException.ThrowIfNull(ids, name);
        if (ids.Count != n)
        {
            throw new ArgumentException($"{name} has {ids.Count} entries but there are {n} rows.", name);
        }

        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] < 0 || ids[i] >= count)
            {
                throw new ArgumentException($"{name}[{i}] = {ids[i]} is out of range [0, {count}).", name);
            }
        }
    }
}
