// Functional GCN propagation: Kipf & Welling, "Semi-Supervised Classification with Graph
// Convolutional Networks", ICLR 2017, eq. 2: H' = D̃^-1/2 Ã D̃^-1/2 H W with Ã = A + I and
// D̃_ii = sum_j Ã_ij, generalised to weighted edges and a configurable self-loop weight as in
// PyG's gcn_norm (fill_value). Used by VSCNet's delta_c / delta_n (Meng et al., AAAI 2025,
// eq. 10-11) and CAL's per-branch GCNConv (yongduosui/CAL).
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Graph.Conv;

/// <summary>
/// Functional form of the GCN propagation rule with symmetric normalisation, for batched dense
/// adjacency with a padding mask.
/// </summary>
/// <remarks>
/// <c>Â = D̃^-1/2 (A + w·I) D̃^-1/2</c> where <c>w</c> is the self-loop weight (default 1, Kipf's
/// <c>Ã = A + I</c>) and <c>D̃_ii = Σ_j (A + w·I)_ij</c> (row sums: row <c>i</c> collects the
/// messages node <c>i</c> receives). Self loops are added on real nodes only and added to any
/// diagonal that <c>A</c> already has (Kipf's <c>A + I</c>; PyG's <c>add_remaining_self_loops</c>
/// would instead keep an existing diagonal weight). Nodes of zero degree get <c>D̃^-1/2 = 0</c>
/// (as PyG, which masks the infinity). Padded nodes (mask false) lose every edge and self loop,
/// so they neither send nor receive messages and their output rows are zero.
/// </remarks>
public static class Gcn
{
    /// <summary>Default density (non-zero share of B·N·N) below which <see cref="GcnPropagation.Auto"/> takes the sparse path.</summary>
    /// <remarks>1%: on a shared 2-core CPU (B = 64, F = 64, N = 64/256) the sparse path only broke even
    /// below about 1% density (measurements noisy); calibrate per device with GcnConvBenchmarks.</remarks>
    public const double DefaultSparseDensityThreshold = 0.01;

    /// <summary>
    /// Computes <c>Â = D̃^-1/2 (A + w·I) D̃^-1/2</c> for a batch, with padded rows and columns zero.
    /// </summary>
    /// <param name="adj">Adjacency [B, N, N], non-negative, floating point.</param>
    /// <param name="mask">Padding mask [B, N] (bool, true = real node); null = no padding.</param>
    /// <param name="selfLoopWeight">Weight <c>w</c> of the added self loops (default 1; 0 = none; PyG's <c>improved=True</c> is 2).</param>
    /// <returns>The normalised adjacency [B, N, N] (differentiable in <paramref name="adj"/>).</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, NaN/Inf or negative weights.</exception>
    public static Tensor Normalize(Tensor adj, Tensor? mask = null, double selfLoopWeight = 1.0)
    {
        Guard.Rank(adj, 3, nameof(adj), "[B, N, N]");
        Guard.Adjacency(adj, adj.shape[0], adj.shape[1], nameof(adj));
        Guard.PaddingMask(mask, adj.shape[0], adj.shape[1]);
        CheckSelfLoopWeight(selfLoopWeight);
        using var scope = NewDisposeScope();
        var (a, dinv, real) = Prepare(adj, mask, selfLoopWeight);
        var offDiagonal = dinv.unsqueeze(2) * a * dinv.unsqueeze(1);
        return ScalarSafe.Add(offDiagonal, diag_embed(selfLoopWeight * dinv.square() * real)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Propagates node features over the normalised adjacency: <c>Â X</c> (no weight, no bias).
    /// </summary>
    /// <param name="x">Node features [B, N, F].</param>
    /// <param name="adj">Adjacency [B, N, N] (raw, not normalised), non-negative.</param>
    /// <param name="mask">Padding mask [B, N]; null = no padding.</param>
    /// <param name="selfLoopWeight">Self-loop weight <c>w</c> (default 1).</param>
    /// <param name="propagation">Dense, sparse, or automatic choice (default <see cref="GcnPropagation.Auto"/>).</param>
    /// <param name="sparseDensityThreshold">Density below which Auto goes sparse (default <see cref="DefaultSparseDensityThreshold"/>).</param>
    /// <returns>[B, N, F]; rows of padded nodes are zero.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices, NaN/Inf or negative weights.</exception>
    public static Tensor Propagate(Tensor x, Tensor adj, Tensor? mask = null, double selfLoopWeight = 1.0, GcnPropagation propagation = GcnPropagation.Auto, double sparseDensityThreshold = DefaultSparseDensityThreshold)
    {
        CheckInputs(x, adj, mask);
        CheckSelfLoopWeight(selfLoopWeight);
        if (!(sparseDensityThreshold >= 0 && sparseDensityThreshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(sparseDensityThreshold), sparseDensityThreshold, "sparseDensityThreshold must lie in [0, 1].");
        }

        return PropagateUnchecked(x, adj, mask, selfLoopWeight, propagation, sparseDensityThreshold);
    }

    /// <summary>Shape, dtype, device and content checks shared by the GCN entry points.</summary>
    internal static void CheckInputs(Tensor x, Tensor adj, Tensor? mask, bool contents = true)
    {
        Guard.Rank(x, 3, nameof(x), "[B, N, F]");
        Guard.Floating(x, nameof(x));
        Guard.Rank(adj, 3, nameof(adj), "[B, N, N]");
        if (adj.shape[0] != x.shape[0] || adj.shape[1] != x.shape[1] || adj.shape[2] != x.shape[1])
        {
            throw new ArgumentException($"adj must have shape [{x.shape[0]}, {x.shape[1]}, {x.shape[1]}] to match x [{string.Join(", ", x.shape)}], got [{string.Join(", ", adj.shape)}].", nameof(adj));
        }

        if (adj.dtype != x.dtype)
        {
            throw new ArgumentException($"adj dtype ({adj.dtype}) must match x ({x.dtype}).", nameof(adj));
        }

        if (!Guard.SameDevice(adj, x) || (mask is not null && !Guard.SameDevice(mask, x)))
        {
            throw new ArgumentException($"x, adj and mask must share one device (x on {x.device}, adj on {adj.device}).", nameof(adj));
        }

        Guard.PaddingMask(mask, x.shape[0], x.shape[1]);
        if (contents)
        {
            Guard.Finite(x, nameof(x));
            Guard.Adjacency(adj, x.shape[0], x.shape[1], nameof(adj));
        }
    }

    /// <summary>Throws unless the self-loop weight is finite and non-negative.</summary>
    internal static void CheckSelfLoopWeight(double selfLoopWeight)
    {
        if (!(selfLoopWeight >= 0) || double.IsInfinity(selfLoopWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(selfLoopWeight), selfLoopWeight, "selfLoopWeight must be finite and >= 0.");
        }
    }

    /// <summary>Propagation without argument checks (callers have checked).</summary>
    internal static Tensor PropagateUnchecked(Tensor x, Tensor adj, Tensor? mask, double selfLoopWeight, GcnPropagation propagation, double sparseDensityThreshold)
    {
        using var scope = NewDisposeScope();
        var (a, dinv, real) = Prepare(adj, mask, selfLoopWeight);
        var sparse = propagation switch
        {
            GcnPropagation.Dense => false,
            GcnPropagation.Sparse => true,
            _ => a.count_nonzero().item<long>() < sparseDensityThreshold * a.numel(),
        };
        var neighbours = sparse ? SparseProduct(x, a, dinv) : DenseProduct(x, a, dinv);

        // The self loops form the diagonal of Â: w · D̃^-1 on real nodes (zero on padding).
        var self = (selfLoopWeight * dinv.square() * real).unsqueeze(2) * x;
        return ScalarSafe.Add(neighbours, self).MoveToOuterDisposeScope();
    }

    // Adjacency with padded rows/columns zeroed, D̃^-1/2 (zero on isolated and padded nodes) and
    // the real-node indicator. The self loops enter D̃ here and the product as a diagonal term.
    private static (Tensor Adjacency, Tensor InvSqrtDegree, Tensor Real) Prepare(Tensor adj, Tensor? mask, double selfLoopWeight)
    {
        var a = adj;
        Tensor real;
        if (mask is not null)
        {
            real = mask.to(adj.dtype);
            a = a * (real.unsqueeze(2) * real.unsqueeze(1));
        }
        else
        {
            real = ones(adj.shape[0], adj.shape[1], adj.dtype, adj.device);
        }

        // Kipf's Ã = A + w·I on real nodes: the self loop's weight is part of the degree.
        var degree = ScalarSafe.Add(a.sum(2), selfLoopWeight * real);
        var positive = degree.gt(0);
        // where() on a safe denominator keeps the backward free of 0 * inf = NaN.
        var dinv = where(positive, where(positive, degree, ones_like(degree)).rsqrt(), zeros_like(degree));
        return (a, dinv, real);
    }

    private static Tensor DenseProduct(Tensor x, Tensor a, Tensor dinv)
    {
        var norm = dinv.unsqueeze(2) * a * dinv.unsqueeze(1);
        return bmm(norm, x);
    }

    // Sparse path over the block-diagonal batch: node (b, i) becomes row b·N + i of one
    // [B·N, B·N] operator held as an edge list (COO). The product is computed as
    // S · (w ⊙ X[sender]) with S the constant [B·N, E] COO incidence of the receiving nodes:
    // TorchSharp 0.107's sparse_coo_tensor returns a leaf (the values lose their autograd
    // history), so the differentiable edge weights w live in the dense factor, which keeps
    // gradients to adj (e.g. a learned edge mask) and to x exact. Self loops are added by the
    // caller as a diagonal term, so they are not stored as edges. Work grows with E, not N².
    private static Tensor SparseProduct(Tensor x, Tensor a, Tensor dinv)
    {
        long b = x.shape[0], n = x.shape[1], f = x.shape[2];
        var edges = a.detach().nonzero(); // [E, 3]: (graph, receiver, sender)
        var e = edges.shape[0];
        var graph = edges[.., 0];
        var receiver = ScalarSafe.Add(graph * n, edges[.., 1]);
        var sender = ScalarSafe.Add(graph * n, edges[.., 2]);
        var dflat = dinv.reshape(b * n);
        var weights = a.reshape(b * n * n).index_select(0, ScalarSafe.Add(receiver * n, edges[.., 2])) * dflat.index_select(0, receiver) * dflat.index_select(0, sender);
        var messages = weights.unsqueeze(1) * x.reshape(b * n, f).index_select(0, sender);
        var incidence = sparse_coo_tensor(stack(new[] { receiver, arange(e, ScalarType.Int64, x.device) }), ones(e, x.dtype, x.device), new[] { b * n, e });
        return mm(incidence, messages).reshape(b, n, f);
    }
}
