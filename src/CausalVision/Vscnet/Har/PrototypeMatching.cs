// HAR's prototype matching (Meng et al., AAAI 2025, eq. 6) as VSCNet runs it: every region's GRU hidden state is
// projected into the hierarchy's feature space and compared with every prototype (fuzzy Jaccard, or cosine); the
// matched prototype is the best of the region's top-k candidate tags by similarity x tag probability, and t_r (the
// input of eq. 7) is that prototype's tag distribution. The candidate rule is the authors' code
// (yibuxulong/Fine-grained-visual-semantic-causal); re-implemented, no code copied.
using CausalVision.Clustering.Hierarchy;
using static TorchSharp.torch;

namespace CausalVision.Vscnet.Har;

/// <summary>The result of <see cref="PrototypeMatching.Match"/> (tensors in the caller's dispose scope).</summary>
/// <param name="Similarity">Region-prototype similarities [B, J, P].</param>
/// <param name="Matched">The matched prototype of every region [B, J] (int64).</param>
/// <param name="MatchSimilarity">Its similarity [B, J].</param>
/// <param name="PrototypeTags">t_r: the matched prototype's tag distribution [B, J, M].</param>
internal readonly record struct PrototypeMatch(Tensor Similarity, Tensor Matched, Tensor MatchSimilarity, Tensor PrototypeTags);

/// <summary>HAR's prototype matching (eq. 6) with the authors' candidate-tag rule.</summary>
/// <remarks>
/// Shapes: hidden states [B, J, H], tag logits and probabilities [B, J, M]; outputs as in <see cref="PrototypeMatch"/>.
/// Every tensor it creates belongs to the caller's dispose scope.
/// </remarks>
internal static class PrototypeMatching
{
    /// <summary>Matches every region with a prototype of <paramref name="hierarchy"/>.</summary>
    /// <param name="hierarchy">The exemplar hierarchy built after stage 1.</param>
    /// <param name="hiddenStates">The FVA GRU hidden states H_j [B, J, H].</param>
    /// <param name="tagLogits">The tag logits [B, J, M] (the candidates are their top k, without gradient).</param>
    /// <param name="tagProbabilities">The tag probabilities [B, J, M] that weight the candidates.</param>
    /// <param name="kind">The similarity of eq. 6.</param>
    /// <param name="candidateTags">k, the candidate tags per region (at most M).</param>
    /// <returns>The similarities, the matched prototypes, their similarity and their tag distributions.</returns>
    public static PrototypeMatch Match(ExemplarHierarchy hierarchy, Tensor hiddenStates, Tensor tagLogits, Tensor tagProbabilities, PrototypeSimilarityKind kind, int candidateTags)
    {
        var (batch, regions, tags) = (tagLogits.shape[0], tagLogits.shape[1], tagLogits.shape[2]);
        var projected = hierarchy.Project(hiddenStates);
        var similarity = kind == PrototypeSimilarityKind.Cosine
            ? PrototypeSimilarity.Cosine(projected, hierarchy.Prototypes)
            : PrototypeSimilarity.FuzzyJaccard(projected, hierarchy.Prototypes);
        var k = (int)Math.Min(candidateTags, tags);
        var candidates = tagLogits.detach().topk(k, dim: 2).indexes;
        using var match = PrototypeSimilarity.BestByTag(similarity, candidates, hierarchy.PrototypeTags);
        var candidateProbs = tagProbabilities.gather(2, candidates);
        var best = (match.Score.clamp_min(0) * candidateProbs).argmax(2, keepdim: true);
        var matched = match.Index.gather(2, best).squeeze(2);
        var matchSim = match.Score.gather(2, best).squeeze(2);
        var tr = hierarchy.TagDistribution.index_select(0, matched.reshape(-1)).reshape(batch, regions, tags);
        return new PrototypeMatch(similarity, matched, matchSim, tr);
    }
}
