// Argument checks on tensors shared by the FVA and HAR entry points: one clear ArgumentException per problem.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Fva;

/// <summary>Shape, dtype and finiteness checks that throw <see cref="ArgumentException"/> naming the argument.</summary>
internal static class TensorChecks
{
    public static void NotNull(Tensor? t, string name)
    {
        if (t is null)
        {
            throw new ArgumentNullException(name);
        }

        if (t.IsInvalid)
        {
            throw new ArgumentException($"{name} is a disposed tensor.", name);
        }
    }

    public static void Rank(Tensor t, int rank, string name, string layout)
    {
        NotNull(t, name);
        if (t.dim() != rank)
        {
            throw new ArgumentException($"{name} must have shape {layout} (rank {rank}) but has shape [{string.Join(", ", t.shape)}].", name);
        }

        for (var i = 0; i < t.dim(); i++)
        {
            if (t.shape[i] == 0)
            {
                throw new ArgumentException($"{name} must not be empty but has shape [{string.Join(", ", t.shape)}].", name);
            }
        }
    }

    public static void Floating(Tensor t, string name)
    {
        if (!t.is_floating_point())
        {
            throw new ArgumentException($"{name} must be a floating-point tensor but is {t.dtype}.", name);
        }
    }

    public static void Integral(Tensor t, string name)
    {
        if (t.dtype != ScalarType.Int64 && t.dtype != ScalarType.Int32)
        {
            throw new ArgumentException($"{name} must be an Int64 or Int32 tensor of ids but is {t.dtype}.", name);
        }
    }

    public static void Finite(Tensor t, string name)
    {
        using var scope = NewDisposeScope();
        if (!isfinite(t).all().item<bool>())
        {
            throw new ArgumentException($"{name} contains NaN or infinite values.", name);
        }
    }

    public static void Dim(Tensor t, int dim, long expected, string name, string meaning)
    {
        if (t.shape[dim] != expected)
        {
            throw new ArgumentException($"{name} has {t.shape[dim]} {meaning} (dimension {dim} of shape [{string.Join(", ", t.shape)}]) but {expected} were expected.", name);
        }
    }

    public static void IdsInRange(Tensor ids, long min, long maxExclusive, string name, string meaning)
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
            throw new ArgumentException($"{name} contains {meaning} outside [{min}, {maxExclusive - 1}] (found min {lo}, max {hi}).", name);
        }
    }
}
