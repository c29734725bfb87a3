// Region-to-prototype similarity for VSCNet's prototype matching phi_K (AAAI 2025, eq. 6).
// The authors' code compares complement-coded regions h with prototypes w by the fuzzy Jaccard
// similarity |h ^ w|_1 / |h v w|_1 (fuzzy AND = element-wise min, OR = max), restricted to the
// prototypes of each candidate tag, falling back to all prototypes when the tag has none
// (the VSCNet authors' code, its matching step). Cosine similarity is offered as the common alternative.
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Clustering.Hierarchy;

/// <summary>Batched similarity between queries and prototypes, and tag-restricted best matches.</summary>
/// <remarks>
/// Shapes: queries [..., F] (e.g. [M, F] or [B, J, F]), prototypes [P, F] -&gt; similarity [..., P];
/// candidate tags [..., K] -&gt; best prototype index and score [..., K]. Differentiable in the queries.
/// </remarks>
public static class PrototypeSimilarity
{
    /// <summary>
    /// Fuzzy Jaccard similarity s = |h ^ w|_1 / |h v w|_1 = I / (|h|_1 + |w|_1 - I), with I = sum min(h, w);
    /// 0 where both vectors are zero. Inputs should be non-negative (complement-coded).
    /// </summary>
    /// <param name="queries">Queries [..., F].</param>
    /// <param name="prototypes">Prototypes [P, F].</param>
    /// <returns>Similarities [..., P] in [0, 1].</returns>
    public static Tensor FuzzyJaccard(Tensor queries, Tensor prototypes)
    {
        Check(queries, prototypes);
        using var scope = NewDisposeScope();
        var lead = queries.shape[..^1];
        var f = prototypes.shape[1];
        var p = prototypes.shape[0];
        var q = queries.reshape(-1, f).to(prototypes.dtype, prototypes.device);
        var m = q.shape[0];
        var qNorm = q.sum(1, keepdim: true);
        var pNorm = prototypes.sum(1).unsqueeze(0);
        // sum min(h, w) = (|h|_1 + |w|_1 - |h - w|_1) / 2 for any h, w: one L1 distance (cdist) instead of an
        // [M, P, F] temporary of minima (about 4x faster on the CPU at P ~ 1600, F = 1024).
        var inter = (ScalarSafe.Add(qNorm, pNorm) - cdist(q.unsqueeze(0), prototypes.unsqueeze(0), p: 1).squeeze(0)) / 2;
        var union = ScalarSafe.Add(qNorm, pNorm) - inter;
        var sim = where(union > 0, inter / where(union > 0, union, ones_like(union)), zeros_like(inter));
        return sim.reshape(lead.Append(p).ToArray()).MoveToOuterDisposeScope();
    }

    /// <summary>Cosine similarity (q . w) / (|q|_2 |w|_2) (eps 1e-12 in the norms).</summary>
    /// <param name="queries">Queries [..., F].</param>
    /// <param name="prototypes">Prototypes [P, F].</param>
    /// <returns>Similarities [..., P] in [-1, 1].</returns>
    public static Tensor Cosine(Tensor queries, Tensor prototypes)
    {
        Check(queries, prototypes);
        using var scope = NewDisposeScope();
        var q = nn.functional.normalize(queries.to(prototypes.dtype, prototypes.device), p: 2, dim: -1, eps: 1e-12);
        var w = nn.functional.normalize(prototypes, p: 2, dim: -1, eps: 1e-12);
        return q.matmul(w.t()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// For every query and candidate tag, the best prototype of that tag (highest similarity), or the
    /// best of all prototypes when no prototype has the tag (the authors' fallback).
    /// </summary>
    /// <param name="similarity">Similarities [..., P] (from <see cref="FuzzyJaccard"/> or <see cref="Cosine"/>).</param>
    /// <param name="candidateTags">Candidate tag ids [..., K] (int64), e.g. each region's top-5 predicted tags.</param>
    /// <param name="prototypeTags">The tag of each prototype [P].</param>
    /// <returns>Best prototype index [..., K], its similarity [..., K], and whether the fallback was used [..., K].</returns>
    public static TagMatch BestByTag(Tensor similarity, Tensor candidateTags, IReadOnlyList<long> prototypeTags)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        ArgumentNullException.ThrowIfNull(candidateTags);
        ArgumentNullException.ThrowIfNull(prototypeTags);
        var p = prototypeTags.Count;
        if (p == 0)
        {
            throw new ArgumentException("prototypeTags is empty: the hierarchy has no prototypes to match.", nameof(prototypeTags));
        }

        if (similarity.dim() < 1 || similarity.shape[^1] != p)
        {
            throw new ArgumentException($"similarity must be [..., P] with P = {p}, got [{string.Join(", ", similarity.shape)}].", nameof(similarity));
        }

        if (candidateTags.dim() != similarity.dim() || !candidateTags.shape[..^1].SequenceEqual(similarity.shape[..^1]))
        {
            throw new ArgumentException($"candidateTags must be [..., K] with the same leading shape as similarity [{string.Join(", ", similarity.shape[..^1])}], got [{string.Join(", ", candidateTags.shape)}].", nameof(candidateTags));
        }

        if (candidateTags.is_floating_point())
        {
            throw new ArgumentException($"candidateTags must hold integer tag ids, got {candidateTags.dtype}.", nameof(candidateTags));
        }

        using var scope = NewDisposeScope();
        var protoTags = tensor(prototypeTags.ToArray(), device: similarity.device);
        var cands = candidateTags.to(ScalarType.Int64, similarity.device);
        var mask = cands.unsqueeze(-1) == protoTags; // [..., K, P]
        var has = mask.any(-1, keepdim: true);
        var allowed = mask | has.logical_not();
        var sims = similarity.unsqueeze(-2).expand(mask.shape);
        var masked = where(allowed, sims, full_like(sims, double.NegativeInfinity));
        var (score, index) = masked.max(-1);
        var fell = has.squeeze(-1).logical_not();
        return new TagMatch(index.MoveToOuterDisposeScope(), score.MoveToOuterDisposeScope(), fell.MoveToOuterDisposeScope());
    }

    private static void Check(Tensor queries, Tensor prototypes)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(prototypes);
        if (prototypes.dim() != 2 || prototypes.shape[0] == 0)
        {
            throw new ArgumentException($"prototypes must be a non-empty [P, F] tensor, got [{string.Join(", ", prototypes.shape)}].", nameof(prototypes));
        }

        if (queries.dim() < 1 || queries.shape[^1] != prototypes.shape[1])
        {
            throw new ArgumentException($"queries has last dimension {(queries.dim() == 0 ? 0 : queries.shape[^1])} but prototypes have F = {prototypes.shape[1]} (dimension mismatch).", nameof(queries));
        }

        if (!queries.is_floating_point() || !prototypes.is_floating_point())
        {
            throw new ArgumentException("queries and prototypes must be floating point.", nameof(queries));
        }

        Guard.Finite(queries, nameof(queries));
        Guard.Finite(prototypes, nameof(prototypes));
    }
}
