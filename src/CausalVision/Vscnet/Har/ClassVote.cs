// VSCNet's class prediction P_k from the visual-semantic exemplar hierarchy (Meng et al., AAAI 2025, eq. 6 and 14):
// matched prototypes p_r carry class predictions P_r. The scoring "similarity x tag probability" and the top tags per
// step follow the authors' code (yibuxulong/Fine-grained-visual-semantic-causal, build_model.py:
// HAF.getKnowledgeFiltering); re-implemented on tensors, no code copied.
using CausalVision.Vscnet.Fva;
using static TorchSharp.torch;

namespace CausalVision.Vscnet.Har;

/// <summary>
/// Computes the hierarchy's class vote P_k <c>[B, S]</c> from region-to-prototype similarities, the regions' tag
/// probabilities and the prototypes' class distributions.
/// </summary>
/// <remarks>
/// <para>Each prototype p belongs to one tag <c>tag(p)</c> and carries a class distribution <c>C_p</c> (e.g. the one-hot of
/// its dominant class, or its members' class histogram). The score of step j of image b against prototype p is</para>
/// <code>
/// w_bjp = max(sim_bjp, 0) * t_bj[tag(p)]      (t_bj restricted to the step's top TopTagsPerStep tags)
/// </code>
/// <para>and the vote is, by <see cref="ClassVoteOptions.Mode"/>: <c>sum_j w_bjp* C_p*</c> over each step's best prototype
/// p* (PerStepWinner, default); <c>sum_jp w_bjp C_p</c> (Weighted); or <c>C_p*</c> of the single best pair (BestMatch).
/// The vote is normalised to sum to 1; an image whose scores are all 0 gets the uniform distribution 1/S. The authors'
/// fallback (a tag without clusters is compared with all clusters) is left to the caller, who can pass a similarity
/// computed that way.</para>
/// <para>Shapes: similarity <c>[B, J, P]</c>; tag probabilities <c>[B, J, M]</c>; prototype tag ids <c>[P]</c> (Int64);
/// prototype class distributions <c>[P, S]</c>; output <c>[B, S]</c>.</para>
/// </remarks>
public sealed class ClassVote
{
    private readonly ClassVoteOptions options;

    /// <summary>Initializes a new instance of the <see cref="ClassVote"/> class.</summary>
    /// <param name="options">Options; <see langword="null"/> means the defaults. Validated.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public ClassVote(ClassVoteOptions? options = null)
    {
        options ??= new ClassVoteOptions();
        options.Validate();
        this.options = options;
    }

    /// <summary>Computes P_k.</summary>
    /// <param name="similarity">Region-to-prototype similarity <c>[B, J, P]</c> (e.g. fuzzy Jaccard in [0, 1]; negative
    /// values, e.g. from cosine, count as 0).</param>
    /// <param name="tagProbabilities">Tag probabilities of every step <c>[B, J, M]</c> (e.g. refined t_f).</param>
    /// <param name="prototypeTagIds">Tag of every prototype <c>[P]</c>, ids in [0, M).</param>
    /// <param name="prototypeClasses">Class distribution of every prototype <c>[P, S]</c>, non-negative.</param>
    /// <returns>The class vote <c>[B, S]</c>, rows summing to 1 (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Shapes or sizes do not match, an id is out of range, a distribution is negative,
    /// or an input holds NaN/Inf.</exception>
    public Tensor Vote(Tensor similarity, Tensor tagProbabilities, Tensor prototypeTagIds, Tensor prototypeClasses)
    {
        Guard.NonEmptyRank(similarity, 3, nameof(similarity), "[B, J, P]");
        Guard.Floating(similarity, nameof(similarity));
        Guard.NonEmptyRank(tagProbabilities, 3, nameof(tagProbabilities), "[B, J, M]");
        Guard.Floating(tagProbabilities, nameof(tagProbabilities));
        Guard.NonEmptyRank(prototypeTagIds, 1, nameof(prototypeTagIds), "[P]");
        Guard.Integral(prototypeTagIds, nameof(prototypeTagIds));
        Guard.NonEmptyRank(prototypeClasses, 2, nameof(prototypeClasses), "[P, S]");
        Guard.Floating(prototypeClasses, nameof(prototypeClasses));
        var batch = similarity.shape[0];
        var steps = similarity.shape[1];
        var prototypes = similarity.shape[2];
        Guard.Dim(tagProbabilities, 0, batch, nameof(tagProbabilities), "images (the batch size of similarity)");
        Guard.Dim(tagProbabilities, 1, steps, nameof(tagProbabilities), "steps (the J of similarity)");
        Guard.Dim(prototypeTagIds, 0, prototypes, nameof(prototypeTagIds), "prototypes (the P of similarity)");
        Guard.Dim(prototypeClasses, 0, prototypes, nameof(prototypeClasses), "prototypes (the P of similarity)");
        var tagCount = tagProbabilities.shape[2];
        Guard.IdsInRange(prototypeTagIds, 0, tagCount, nameof(prototypeTagIds), "tag ids");
        Guard.Finite(similarity, nameof(similarity));
        Guard.Finite(tagProbabilities, nameof(tagProbabilities));
        Guard.Finite(prototypeClasses, nameof(prototypeClasses));
        using (var check = NewDisposeScope())
        {
            if (prototypeClasses.lt(0).any().item<bool>())
            {
                throw new ArgumentException("prototypeClasses must be non-negative class distributions.", nameof(prototypeClasses));
            }
        }

        using var scope = NewDisposeScope();
        var probs = tagProbabilities;
        if (options.TopTagsPerStep > 0 && options.TopTagsPerStep < tagCount)
        {
            var top = probs.topk(options.TopTagsPerStep, dim: -1).indexes;
            var keep = zeros_like(probs).scatter_(-1, top, ones_like(top, dtype: probs.dtype));
            probs = probs * keep;
        }

        var ids = prototypeTagIds.to_type(ScalarType.Int64).to(probs.device);
        var weights = similarity.clamp_min(0) * probs.index_select(2, ids);
        var classes = prototypeClasses.to_type(weights.dtype);
        Tensor vote;
        switch (options.Mode)
        {
            case ClassVoteMode.Weighted:
                vote = einsum("bjp,ps->bs", weights, classes);
                break;
            case ClassVoteMode.BestMatch:
                {
                    var (best, index) = weights.reshape(batch, steps * prototypes).max(1);
                    var proto = index.remainder(prototypes);
                    vote = classes.index_select(0, proto) * best.unsqueeze(1);
                    break;
                }

            default:
                {
                    var (best, index) = weights.max(2);
                    var chosen = classes.index_select(0, index.reshape(-1)).reshape(batch, steps, classes.shape[1]);
                    vote = (chosen * best.unsqueeze(2)).sum(1);
                    break;
                }
        }

        var total = vote.sum(1, keepdim: true);
        var uniform = full_like(vote, 1.0 / vote.shape[1]);
        var normalised = where(total.gt(0), vote / total.clamp_min(1e-30), uniform);
        return normalised.MoveToOuterDisposeScope();
    }
}
