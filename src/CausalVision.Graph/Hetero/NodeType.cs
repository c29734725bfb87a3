// Node kinds of the VSCNet heterogeneous graph G_h (Meng et al., "Causal Inference over Visual-Semantic-Aligned Graph for Image Classification", AAAI 2025, eq. 8-9).
namespace CausalVision.Graph.Hetero;

/// <summary>The kind of a node in a heterogeneous visual-semantic graph (VSCNet eq. 9).</summary>
public enum NodeType
{
    /// <summary>A visual region r_j found by CSNet.</summary>
    Region = 0,

    /// <summary>A (refined) semantic tag t_f.</summary>
    Tag = 1,

    /// <summary>A visual prototype p from the visual-semantic exemplar hierarchy.</summary>
    Prototype = 2,
}
