// Batched heterogeneous graph for VSCNet's G_h (Meng et al., AAAI 2025, eq. 9:
// G_h = {(r, t_f, p), A_h}) and the masked graphs G_c / G_n of eq. 10-11.
// Dense layout as in PyG's to_dense_batch / to_dense_adj: X [B, N, D], A [B, N, N] and a
// padding mask [B, N] so that graphs of different sizes share one batch.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Graph.Hetero;

/// <summary>
/// A batch of <c>B</c> heterogeneous graphs padded to <c>N</c> nodes: node features, node
/// kinds (<see cref="NodeType"/>), dense weighted adjacency and a padding mask.
/// </summary>
/// <remarks>
/// <para>Conventions: <c>Adjacency[b, i, j]</c> is the weight of the message node <c>j</c> sends
/// to node <c>i</c> (row = receiver), so GCN degrees are row sums. Weights are non-negative.
/// Padded nodes (<c>Mask[b, i] == false</c>) have no edges and zero features.</para>
/// <para>The batch owns its four tensors and disposes them in <see cref="Dispose"/>. The
/// constructor takes ownership of the tensors passed in; pass <c>t.alias()</c> to keep yours.</para>
/// Shapes:
/// <list type="bullet">
/// <item><c>X</c>: [B, N, D] floating point.</item>
/// <item><c>NodeTypes</c>: [B, N] int64 (values of <see cref="NodeType"/>; padded entries are ignored).</item>
/// <item><c>Adjacency</c>: [B, N, N], same dtype and device as <c>X</c>.</item>
/// <item><c>Mask</c>: [B, N] bool, true = real node.</item>
/// </list>
/// </remarks>
public sealed class HeteroGraphBatch : IDisposable
{
    private bool disposed;

    /// <summary>
    /// Initializes a new instance of the <see cref="HeteroGraphBatch"/> class and takes ownership
    /// of the tensors.
    /// </summary>
    /// <param name="x">Node features [B, N, D].</param>
    /// <param name="nodeTypes">Node kinds [B, N] (int64).</param>
    /// <param name="adjacency">Adjacency [B, N, N].</param>
    /// <param name="mask">Padding mask [B, N] (bool); null = every node is real.</param>
    /// <param name="requireSymmetric">When true, the adjacency must equal its transpose (undirected graph). Default <c>false</c>.</param>
    /// <param name="validate">When true (default), the contents are checked (NaN/Inf, negative weights, edges touching padding, node-type values); shapes are always checked.</param>
    /// <exception cref="ArgumentException">A tensor has the wrong shape, dtype, device or contents.</exception>
    public HeteroGraphBatch(Tensor x, Tensor nodeTypes, Tensor adjacency, Tensor? mask = null, bool requireSymmetric = false, bool validate = true)
    {
        Guard.Rank(x, 3, nameof(x), "[B, N, D]");
        Guard.Floating(x, nameof(x));
        long b = x.shape[0], n = x.shape[1];
        Guard.Rank(nodeTypes, 2, nameof(nodeTypes), "[B, N]");
        if (nodeTypes.shape[0] != b || nodeTypes.shape[1] != n)
        {
            throw new ArgumentException($"nodeTypes must have shape [{b}, {n}] to match x, got [{string.Join(", ", nodeTypes.shape)}].", nameof(nodeTypes));
        }

        if (nodeTypes.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"nodeTypes must be int64 (values of NodeType), got {nodeTypes.dtype}.", nameof(nodeTypes));
        }

        Guard.Rank(adjacency, 3, nameof(adjacency), "[B, N, N]");
        if (adjacency.shape[0] != b || adjacency.shape[1] != n || adjacency.shape[2] != n)
        {
            throw new ArgumentException($"adjacency must have shape [{b}, {n}, {n}] to match x, got [{string.Join(", ", adjacency.shape)}].", nameof(adjacency));
        }

        if (adjacency.dtype != x.dtype)
        {
            throw new ArgumentException($"adjacency dtype ({adjacency.dtype}) must match x ({x.dtype}).", nameof(adjacency));
        }

        Guard.PaddingMask(mask, b, n, nameof(mask));
        foreach (var (t, name) in new[] { (nodeTypes, nameof(nodeTypes)), (adjacency, nameof(adjacency)), (mask, nameof(mask)) })
        {
            if (t is not null && !Guard.SameDevice(t, x))
            {
                throw new ArgumentException($"{name} is on {t.device} but x is on {x.device}; all tensors of a graph batch must share one device.", name);
            }
        }

        mask ??= ones(b, n, ScalarType.Bool, x.device);
        if (validate)
        {
            Validate(x, nodeTypes, adjacency, mask, requireSymmetric);
        }

        X = x;
        NodeTypes = nodeTypes;
        Adjacency = adjacency;
        Mask = mask;
    }

    /// <summary>Gets the node features [B, N, D].</summary>
    public Tensor X { get; }

    /// <summary>Gets the node kinds [B, N] (int64 values of <see cref="NodeType"/>).</summary>
    public Tensor NodeTypes { get; }

    /// <summary>Gets the weighted adjacency [B, N, N] (row = receiving node).</summary>
    public Tensor Adjacency { get; }

    /// <summary>Gets the padding mask [B, N] (bool, true = real node).</summary>
    public Tensor Mask { get; }

    /// <summary>Gets the number of graphs B.</summary>
    public long BatchSize => X.shape[0];

    /// <summary>Gets the padded node count N.</summary>
    public long MaxNodes => X.shape[1];

    /// <summary>Gets the node feature width D.</summary>
    public long Features => X.shape[2];

    /// <summary>Gets the device the tensors live on.</summary>
    public Device Device => X.device;

    /// <summary>Counts the real nodes of every graph (one host copy).</summary>
    /// <returns>B node counts.</returns>
    public long[] NodeCounts()
    {
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        return Mask.sum(1, type: ScalarType.Int64).cpu().data<long>().ToArray();
    }

    /// <summary>
    /// Batches graphs of different sizes: each graph's nodes come first, then padding up to the
    /// largest node count (zero features, no edges, <see cref="NodeType.Region"/> type, mask false).
    /// The inputs are copied; the caller keeps them.
    /// </summary>
    /// <param name="graphs">At least one graph; all with the same feature width, dtype and device.</param>
    /// <param name="requireSymmetric">When true, every adjacency must be symmetric.</param>
    /// <returns>A new batch that owns its tensors.</returns>
    /// <exception cref="ArgumentException">The list is empty, or a graph is malformed.</exception>
    public static HeteroGraphBatch Pad(IReadOnlyList<HeteroGraph> graphs, bool requireSymmetric = false)
    {
        ArgumentNullException.ThrowIfNull(graphs);
        if (graphs.Count == 0)
        {
            throw new ArgumentException("graphs is empty; Pad needs at least one graph.", nameof(graphs));
        }

        long d = -1, maxN = 0;
        ScalarType dtype = ScalarType.Float32;
        Device? device = null;
        for (var i = 0; i < graphs.Count; i++)
        {
            var g = graphs[i] ?? throw new ArgumentException($"graphs[{i}] is null.", nameof(graphs));
            var where = $"graphs[{i}]";
            Guard.Rank(g.X, 2, $"{where}.X", "[N, D]");
            Guard.Floating(g.X, $"{where}.X");
            var n = g.X.shape[0];
            Guard.Rank(g.NodeTypes, 1, $"{where}.NodeTypes", "[N]");
            Guard.Rank(g.Adjacency, 2, $"{where}.Adjacency", "[N, N]");
            if (g.NodeTypes.shape[0] != n || g.Adjacency.shape[0] != n || g.Adjacency.shape[1] != n)
            {
                throw new ArgumentException($"{where} has {n} nodes in X but NodeTypes [{string.Join(", ", g.NodeTypes.shape)}] and Adjacency [{string.Join(", ", g.Adjacency.shape)}] disagree.", nameof(graphs));
            }

            if (d < 0)
            {
                d = g.X.shape[1];
                dtype = g.X.dtype;
                device = g.X.device;
            }
            else if (g.X.shape[1] != d || g.X.dtype != dtype || !Guard.SameDevice(g.X, graphs[0].X))
            {
                throw new ArgumentException($"{where}.X is [{n}, {g.X.shape[1]}] {g.X.dtype} on {g.X.device}, but graphs[0] has width {d}, {dtype} on {device}; all graphs must match.", nameof(graphs));
            }

            maxN = Math.Max(maxN, n);
        }

        var b = graphs.Count;
        using var scope = NewDisposeScope();
        var x = zeros(new long[] { b, maxN, d }, dtype, device);
        var types = zeros(new long[] { b, maxN }, ScalarType.Int64, device);
        var adj = zeros(new long[] { b, maxN, maxN }, dtype, device);
        var mask = zeros(new long[] { b, maxN }, ScalarType.Bool, device);
        for (var i = 0; i < b; i++)
        {
            var g = graphs[i];
            var n = g.X.shape[0];
            if (n == 0)
            {
                continue;
            }

            var nodes = TensorIndex.Slice(0, n);
            x[i, nodes] = g.X;
            types[i, nodes] = g.NodeTypes.to(ScalarType.Int64, device!);
            adj[i, nodes, nodes] = g.Adjacency.to(dtype, device!);
            mask[i, nodes] = true;
        }

        var batch = new HeteroGraphBatch(x, types, adj, mask, requireSymmetric);
        x.MoveToOuterDisposeScope();
        types.MoveToOuterDisposeScope();
        adj.MoveToOuterDisposeScope();
        mask.MoveToOuterDisposeScope();
        return batch;
    }

    /// <summary>
    /// Returns a new batch with the same node types and mask (aliased) and new features and
    /// adjacency (ownership of which passes to the new batch). Used for the masked graphs of eq. 10-11.
    /// </summary>
    /// <remarks>The two aliases are new tensor handles: call this outside a dispose scope that
    /// would otherwise dispose them, or move the result's tensors out of it.</remarks>
    /// <param name="x">New features [B, N, D'].</param>
    /// <param name="adjacency">New adjacency [B, N, N].</param>
    /// <param name="validate">Whether to check the contents (see the constructor).</param>
    /// <returns>The new batch.</returns>
    public HeteroGraphBatch With(Tensor x, Tensor adjacency, bool validate = false)
    {
        ThrowIfDisposed();
        return new HeteroGraphBatch(x, NodeTypes.alias(), adjacency, Mask.alias(), requireSymmetric: false, validate: validate);
    }

    /// <summary>Copies graph <paramref name="index"/> without its padding.</summary>
    /// <param name="index">The graph index in [0, B).</param>
    /// <returns>Its features [n, D], node types [n] and adjacency [n, n] (owned by the caller).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the batch.</exception>
    public HeteroGraph Unpad(long index)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BatchSize);
        using var scope = NewDisposeScope();
        var idx = Mask[index].nonzero().squeeze(1);
        var x = X[index].index_select(0, idx);
        var types = NodeTypes[index].index_select(0, idx);
        var adj = Adjacency[index].index_select(0, idx).index_select(1, idx);
        return new HeteroGraph(x.MoveToOuterDisposeScope(), types.MoveToOuterDisposeScope(), adj.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        X.Dispose();
        NodeTypes.Dispose();
        Adjacency.Dispose();
        Mask.Dispose();
    }

    private static void Validate(Tensor x, Tensor nodeTypes, Tensor adjacency, Tensor mask, bool requireSymmetric)
    {
        Guard.Finite(x, nameof(x));
        Guard.Finite(adjacency, nameof(adjacency));
        using var scope = NewDisposeScope();
        if (adjacency.lt(0).any().item<bool>())
        {
            throw new ArgumentException("adjacency has negative edge weights; edge weights must be >= 0.", nameof(adjacency));
        }

        var pad = mask.logical_not();
        if (x.index(pad).ne(0).any().item<bool>())
        {
            throw new ArgumentException("x has non-zero features on padded nodes (mask false); padded nodes must be all zero.", nameof(x));
        }

        var pairReal = mask.unsqueeze(2).logical_and(mask.unsqueeze(1));
        if (adjacency.ne(0).logical_and(pairReal.logical_not()).any().item<bool>())
        {
            throw new ArgumentException("adjacency has edges to or from padded nodes (mask false); padded nodes must have no edges.", nameof(adjacency));
        }

        var realTypes = nodeTypes.index(mask);
        if (realTypes.numel() > 0 && (realTypes.lt((long)NodeType.Region).any().item<bool>() || realTypes.gt((long)NodeType.Prototype).any().item<bool>()))
        {
            throw new ArgumentException($"nodeTypes has values outside NodeType (0 = Region, 1 = Tag, 2 = Prototype) on real nodes.", nameof(nodeTypes));
        }

        if (requireSymmetric)
        {
            var tolerance = 1e-6 * Math.Max(1.0, adjacency.abs().max().to(ScalarType.Float64).item<double>());
            if ((adjacency - adjacency.transpose(1, 2)).abs().gt(tolerance).any().item<bool>())
            {
                throw new ArgumentException("adjacency must be symmetric (an undirected graph), but A differs from its transpose.", nameof(adjacency));
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}
