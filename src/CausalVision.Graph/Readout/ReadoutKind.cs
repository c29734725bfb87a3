// Graph readouts (global pooling) as in PyG's global_add/mean/max_pool and gated attention
// pooling (Ilse, Tomczak & Welling, "Attention-based Deep Multiple Instance Learning", ICML 2018, eq. 9).
namespace CausalVision.Graph.Readout;

/// <summary>How node features are pooled into one graph feature.</summary>
public enum ReadoutKind
{
    /// <summary>Σ over real nodes (PyG global_add_pool; CAL's default).</summary>
    Sum = 0,

    /// <summary>Mean over real nodes (PyG global_mean_pool); zero for a graph without nodes.</summary>
    Mean = 1,

    /// <summary>Element-wise max over real nodes (PyG global_max_pool); zero for a graph without nodes.</summary>
    Max = 2,

    /// <summary>Gated attention pooling (Ilse et al. 2018, eq. 9), softmax over real nodes only.</summary>
    Attention = 3,
}
