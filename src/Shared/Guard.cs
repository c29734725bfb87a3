// The one argument-check helper of the libraries. This file is compiled into every src project
// (src/Directory.Build.props links it as Internal/Guard.cs), so each assembly has its own internal
// copy and every public entry point throws the same ArgumentException shapes: the message names the
// argument, what was expected and what was found.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Internal;

/// <summary>Argument validation with readable messages: tensors, options and metric inputs.</summary>
internal static class Guard
{
    // ---- tensors -------------------------------------------------------------------------------

    /// <summary>Throws when <paramref name="t"/> is null or a disposed tensor.</summary>
    public static void NotNull(Tensor? t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.IsInvalid)
        {
            throw new ArgumentException($"{name} is a disposed tensor.", name);
        }
    }

    /// <summary>Throws when <paramref name="t"/> is null, disposed or not of rank <paramref name="rank"/>.</summary>
    public static void Rank(Tensor? t, int rank, string name, string layout)
    {
        NotNull(t, name);
        if (t!.Dimensions != rank)
        {
            throw new ArgumentException($"{name} must have shape {layout} (rank {rank}), got [{string.Join(", ", t.shape)}].", name);
        }
    }

    /// <summary>Like <see cref="Rank"/>, and also throws when any dimension is 0.</summary>
    public static void NonEmptyRank(Tensor? t, int rank, string name, string layout)
    {
        Rank(t, rank, name, layout);
        if (t!.shape.Any(d => d == 0))
        {
            throw new ArgumentException($"{name} must not be empty, got shape [{string.Join(", ", t.shape)}].", name);
        }
    }

    /// <summary>Throws unless dimension <paramref name="dim"/> of <paramref name="t"/> equals <paramref name="expected"/>.</summary>
    public static void Dim(Tensor t, int dim, long expected, string name, string what)
    {
        if (t.shape[dim] != expected)
        {
            throw new ArgumentException($"{name} has {t.shape[dim]} {what} (dimension {dim} of shape [{string.Join(", ", t.shape)}]); it must be {expected}.", name);
        }
    }

    /// <summary>Whether two tensors live on the same device (Device objects compare by reference).</summary>
    public static bool SameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;

    /// <summary>Throws unless the tensor holds floating-point values.</summary>
    public static void Floating(Tensor t, string name)
    {
        if (!t.is_floating_point())
        {
            throw new ArgumentException($"{name} must be a floating-point tensor, got {t.dtype}.", name);
        }
    }

    /// <summary>Throws unless the tensor holds Int64 or Int32 ids.</summary>
    public static void Integral(Tensor t, string name)
    {
        if (t.dtype != ScalarType.Int64 && t.dtype != ScalarType.Int32)
        {
            throw new ArgumentException($"{name} must be an Int64 or Int32 tensor of ids, got {t.dtype}.", name);
        }
    }

    /// <summary>Throws when the tensor has NaN or Inf elements (one host sync).</summary>
    public static void Finite(Tensor t, string name)
    {
        using var finite = isfinite(t);
        using var all = finite.all();
        if (!all.item<bool>())
        {
            throw new ArgumentException($"{name} contains NaN or Inf values.", name);
        }
    }

    /// <summary>Throws unless every element lies in [0, 1].</summary>
    public static void UnitRange(Tensor x, string name)
    {
        using var min = x.min();
        using var max = x.max();
        using var min64 = min.to(float64);
        using var max64 = max.to(float64);
        var lo = min64.item<double>();
        var hi = max64.item<double>();
        if (lo < 0 || hi > 1)
        {
            throw new ArgumentException($"{name} must lie in [0, 1] (min-max scale it first); found values in [{lo:G6}, {hi:G6}].", name);
        }
    }

    /// <summary>Throws when an id tensor holds values outside [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public static void IdsInRange(Tensor ids, long min, long maxExclusive, string name, string what)
    {
        using var scope = NewDisposeScope();
        if (ids.numel() == 0)
        {
            return;
        }

        var lo = ids.min().to_type(ScalarType.Int64).item<long>();
        var hi = ids.max().to_type(ScalarType.Int64).item<long>();
        if (lo < min || hi >= maxExclusive)
        {
            throw new ArgumentException($"{name} contains {what} outside [{min}, {maxExclusive - 1}] (found min {lo}, max {hi}).", name);
        }
    }

    /// <summary>Checks an id list: length <paramref name="n"/>, every value in [0, <paramref name="count"/>).</summary>
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

    /// <summary>Checks a feature matrix [N, D]: at least one row and column, floating point, finite, optionally D columns.</summary>
    public static void Features(Tensor x, string name, long? expectedDim = null)
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

    // ---- graphs --------------------------------------------------------------------------------

    /// <summary>Validates an optional padding mask against [B, N].</summary>
    public static void PaddingMask(Tensor? mask, long batch, long nodes, string name = "mask")
    {
        if (mask is null)
        {
            return;
        }

        Rank(mask, 2, name, "[B, N]");
        if (mask.dtype != ScalarType.Bool)
        {
            throw new ArgumentException($"{name} must be a bool tensor (true = real node), got {mask.dtype}.", name);
        }

        if (mask.shape[0] != batch || mask.shape[1] != nodes)
        {
            throw new ArgumentException($"{name} must have shape [{batch}, {nodes}] to match the node features, got [{string.Join(", ", mask.shape)}].", name);
        }
    }

    /// <summary>Validates node features x [B, N, F] (floating, finite).</summary>
    public static void NodeFeatures(Tensor? x, string name = "x")
    {
        Rank(x, 3, name, "[B, N, F]");
        Floating(x!, name);
        Finite(x!, name);
    }

    /// <summary>Validates adj [B, N, N] against x's B and N (floating, finite, non-negative).</summary>
    public static void Adjacency(Tensor? adj, long batch, long nodes, string name = "adj")
    {
        Rank(adj, 3, name, "[B, N, N]");
        if (adj!.shape[0] != batch || adj.shape[1] != nodes || adj.shape[2] != nodes)
        {
            throw new ArgumentException($"{name} must have shape [{batch}, {nodes}, {nodes}] to match the node features, got [{string.Join(", ", adj.shape)}].", name);
        }

        Floating(adj, name);
        Finite(adj, name);
        using var scope = NewDisposeScope();
        if (adj.lt(0).any().item<bool>())
        {
            throw new ArgumentException($"{name} has negative edge weights; GCN normalisation needs weights >= 0.", name);
        }
    }

    // ---- metric inputs -------------------------------------------------------------------------

    /// <summary>Checks a score matrix [N, C]: non-null, non-empty, finite.</summary>
    public static void Scores(double[,] scores, string name)
    {
        ArgumentNullException.ThrowIfNull(scores, name);
        if (scores.GetLength(0) == 0 || scores.GetLength(1) == 0)
        {
            throw new ArgumentException($"The score matrix is empty ({scores.GetLength(0)} x {scores.GetLength(1)}); expected [images, classes] with at least one of each.", name);
        }

        for (var i = 0; i < scores.GetLength(0); i++)
        {
            for (var j = 0; j < scores.GetLength(1); j++)
            {
                if (!double.IsFinite(scores[i, j]))
                {
                    throw new ArgumentException($"Score [{i}, {j}] is {scores[i, j]}; scores must be finite (no NaN or Inf).", name);
                }
            }
        }
    }

    /// <summary>Checks a score matrix and a target matrix of the same shape.</summary>
    public static void Pair(double[,] scores, bool[,] targets, string scoresName = "scores", string targetsName = "targets")
    {
        Scores(scores, scoresName);
        ArgumentNullException.ThrowIfNull(targets, targetsName);
        if (targets.GetLength(0) != scores.GetLength(0) || targets.GetLength(1) != scores.GetLength(1))
        {
            throw new ArgumentException($"Targets are {targets.GetLength(0)} x {targets.GetLength(1)} but scores are {scores.GetLength(0)} x {scores.GetLength(1)}; both must be [images, classes].", targetsName);
        }
    }

    /// <summary>Checks 1 &lt;= k &lt;= limit.</summary>
    public static void K(int k, int limit, string name = "k")
    {
        if (k < 1 || k > limit)
        {
            throw new ArgumentOutOfRangeException(name, k, $"k must be between 1 and the number of classes ({limit}).");
        }
    }

    /// <summary>Checks a threshold is finite.</summary>
    public static void Threshold(double threshold, string name = "threshold")
    {
        if (!double.IsFinite(threshold))
        {
            throw new ArgumentException($"The threshold is {threshold}; it must be finite.", name);
        }
    }
}
