// Argument checks shared by the graph modules: every public entry point turns bad tensors
// into an ArgumentException whose message names the argument and the problem.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Graph.Internal;

/// <summary>Tensor argument validation with readable messages.</summary>
internal static class Guard
{
    /// <summary>Throws when <paramref name="t"/> is null or not of rank <paramref name="rank"/>.</summary>
    public static void Rank(Tensor? t, int rank, string name, string layout)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.Dimensions != rank)
        {
            throw new ArgumentException($"{name} must have shape {layout} (rank {rank}), got [{string.Join(", ", t.shape)}].", name);
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

    /// <summary>Throws unless dimension <paramref name="dim"/> of <paramref name="t"/> equals <paramref name="expected"/>.</summary>
    public static void Dim(Tensor t, int dim, long expected, string name, string what)
    {
        if (t.shape[dim] != expected)
        {
            throw new ArgumentException($"{name} dimension {dim} ({what}) must be {expected}, got {t.shape[dim]} (shape [{string.Join(", ", t.shape)}]).", name);
        }
    }

    /// <summary>Validates an optional padding mask against [B, N]; returns nothing, throws on mismatch.</summary>
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

    /// <summary>Validates x [B, N, F] (floating, finite).</summary>
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
}
