// Normalisation before each GCN layer of GcnEncoder (CAL, yongduosui/CAL: BatchNorm -> GCNConv -> ReLU).
namespace CausalVision.Graph.Conv;

/// <summary>Normalisation applied to node features before each <see cref="GcnConv"/>.</summary>
public enum GcnNorm
{
    /// <summary>No normalisation.</summary>
    None = 0,

    /// <summary>BatchNorm1d over the real nodes of the batch (padding excluded from the statistics), as CAL.</summary>
    BatchNorm = 1,

    /// <summary>LayerNorm over each node's features.</summary>
    LayerNorm = 2,
}
