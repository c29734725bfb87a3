// What VscNet returns for a batch: the final prediction and every intermediate that the losses (eq. 13, 15, 16)
// and the explanations need. Meng et al., AAAI 2025.
using CausalVision.Vscnet.Fva;
using static TorchSharp.torch;

namespace CausalVision.Vscnet;

/// <summary>
/// The output of <see cref="VscNet"/>. The caller owns every tensor: dispose the output (or let an enclosing dispose
/// scope collect it). Members a configuration does not compute are <see langword="null"/>.
/// </summary>
/// <remarks>
/// Shapes: B images, S classes, J regions, M tags, H hidden size, K tag nodes, P_max prototype nodes, N = J + K + P_max
/// graph nodes.
/// </remarks>
public sealed class VscNetOutput : IDisposable
{
    /// <summary>Gets the logits of the final linear classifier, <c>[B, S]</c>: P_e (eq. 14) in stage 2 of a model with
    /// +L, otherwise the visual classifier's logits.</summary>
    public required Tensor Logits { get; init; }

    /// <summary>Gets the final class probabilities, <c>[B, S]</c>: P_f (eq. 14, normalised by w_e + w_k) with +F,
    /// otherwise softmax (sigmoid for multi-label) of <see cref="Logits"/>.</summary>
    public required Tensor Probabilities { get; init; }

    /// <summary>Gets the logits of the classifier on the global feature F_v, <c>[B, S]</c> (the stage-1 class term of
    /// eq. 3 and the Base model).</summary>
    public required Tensor VisualLogits { get; init; }

    /// <summary>Gets the global feature F_v, <c>[B, D]</c>.</summary>
    public required Tensor VisualFeatures { get; init; }

    /// <summary>Gets the Cascaded Spatial Net's output (thetas, regions, hidden states, tag logits), or
    /// <see langword="null"/> without +L.</summary>
    public CascadedSpatialNetOutput? Fva { get; init; }

    /// <summary>Gets the tag probabilities the graph reads, <c>[B, J, M]</c>: refined t_f (eq. 7) with +K, else
    /// softmax of the tag logits; <see langword="null"/> in stage 1.</summary>
    public Tensor? TagProbabilities { get; init; }

    /// <summary>Gets each region's matched prototype, <c>[B, J]</c> (Int64), with +K.</summary>
    public Tensor? MatchedPrototypes { get; init; }

    /// <summary>Gets the similarity of each region to its matched prototype, <c>[B, J]</c>, with +K.</summary>
    public Tensor? MatchSimilarity { get; init; }

    /// <summary>Gets the hierarchy's class vote P_k, <c>[B, S]</c> (rows sum to 1), with +K.</summary>
    public Tensor? KnowledgeVote { get; init; }

    /// <summary>Gets the vocabulary id of every tag node, <c>[B, K]</c>, with +G.</summary>
    public Tensor? GraphTagIds { get; init; }

    /// <summary>Gets the prototype id of every prototype node slot, <c>[B, P_max]</c> (-1 = padding), with +G and +K.</summary>
    public Tensor? GraphPrototypeIds { get; init; }

    /// <summary>Gets the graph's weighted adjacency A_h, <c>[B, N, N]</c>, with +G.</summary>
    public Tensor? Adjacency { get; init; }

    /// <summary>Gets the graph feature that enters the fusion, <c>[B, H_g]</c>: F_c with +C, the single GCN's readout with
    /// +G, the mean tag embedding otherwise; <see langword="null"/> in stage 1.</summary>
    public Tensor? GraphFeatures { get; init; }

    /// <summary>Gets the node mask M_X, <c>[B, N, 2]</c> (column 1 causal), with +C.</summary>
    public Tensor? NodeMask { get; init; }

    /// <summary>Gets the edge mask M_A, <c>[B, N, N, 2]</c> (column 1 causal), with +C.</summary>
    public Tensor? EdgeMask { get; init; }

    /// <summary>Gets f_c(F_c), <c>[B, S]</c>, with +C.</summary>
    public Tensor? CausalLogits { get; init; }

    /// <summary>Gets f_n(F_n), <c>[B, S]</c>, with +C.</summary>
    public Tensor? TrivialLogits { get; init; }

    /// <summary>Gets f_m(F_m), the intervened logits, <c>[B, S]</c>, with +C.</summary>
    public Tensor? InterventionLogits { get; init; }

    /// <summary>Gets the permutation that paired each causal feature with another sample's non-causal one, <c>[B]</c>,
    /// or <see langword="null"/> when no intervention ran.</summary>
    public Tensor? Permutation { get; init; }

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        Logits.Dispose();
        Probabilities.Dispose();
        VisualLogits.Dispose();
        VisualFeatures.Dispose();
        Fva?.Dispose();
        foreach (var t in new[] { TagProbabilities, MatchedPrototypes, MatchSimilarity, KnowledgeVote, GraphTagIds, GraphPrototypeIds, Adjacency, GraphFeatures, NodeMask, EdgeMask, CausalLogits, TrivialLogits, InterventionLogits, Permutation })
        {
            t?.Dispose();
        }
    }
}
