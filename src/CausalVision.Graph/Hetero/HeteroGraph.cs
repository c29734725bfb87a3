// One unbatched heterogeneous graph (VSCNet eq. 9: G_h = {(r, t_f, p), A_h}), the input of
// HeteroGraphBatch.Pad.
using static TorchSharp.torch;

namespace CausalVision.Graph.Hetero;

/// <summary>
/// A single heterogeneous graph with <c>N</c> real nodes, as a non-owning view of three tensors
/// (the caller keeps ownership; <see cref="HeteroGraphBatch.Pad"/> copies them).
/// </summary>
/// <param name="X">Node features, shape [N, D], floating point.</param>
/// <param name="NodeTypes">Node kinds, shape [N], int64 values of <see cref="NodeType"/>.</param>
/// <param name="Adjacency">Weighted adjacency, shape [N, N], non-negative; row i holds the weights of the messages node i receives.</param>
public sealed record HeteroGraph(Tensor X, Tensor NodeTypes, Tensor Adjacency);
