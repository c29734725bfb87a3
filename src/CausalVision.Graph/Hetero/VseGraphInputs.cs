// Inputs of VseGraphBuilder: the quantities of VSCNet's HAR (Meng et al., AAAI 2025, eq. 5-9)
// as plain tensors, so the Graph package does not depend on the model packages.
using static TorchSharp.torch;

namespace CausalVision.Graph.Hetero;

/// <summary>What <see cref="VseGraphBuilder.Build"/> reads (non-owning; the caller keeps the tensors).</summary>
/// <remarks>
/// All node features share one width D: project region features, tag embeddings and prototypes
/// to a common width before building (the paper concatenates the three node kinds, eq. 11 text).
/// </remarks>
public sealed class VseGraphInputs
{
    /// <summary>Gets the region features r_j, shape [B, J, D] (eq. 1-3).</summary>
    public required Tensor RegionFeatures { get; init; }

    /// <summary>Gets the refined tag probabilities t_f per region, shape [B, J, T] (eq. 7).</summary>
    public required Tensor RefinedTagProbabilities { get; init; }

    /// <summary>Gets the tag node features (one embedding per vocabulary tag), shape [T, D].</summary>
    public required Tensor TagEmbeddings { get; init; }

    /// <summary>Gets the prototype features p of the VSE hierarchy, shape [P, D] (eq. 5); needed with prototypes.</summary>
    public Tensor? PrototypeFeatures { get; init; }

    /// <summary>Gets each region's best-matching prototype id, shape [B, J] int64 in [0, P), or -1 for none (eq. 6).</summary>
    public Tensor? MatchedPrototypes { get; init; }

    /// <summary>Gets the match similarity of each region to its prototype, shape [B, J] (optional edge weight, eq. 6).</summary>
    public Tensor? MatchSimilarity { get; init; }

    /// <summary>Gets each prototype's tag distribution t_r, shape [P, T] (eq. 6); a one-hot row for a single-tag prototype.</summary>
    public Tensor? PrototypeTagDistribution { get; init; }
}
