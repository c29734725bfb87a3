// VSCNet's tag prediction refinement (Meng et al., AAAI 2025, eq. 7):
//   t_f = (1 - alpha_f) Softmax(t) + alpha_f Softmax(t_r).
// The per-step min-max / max-over-steps aggregation and the multi-hot t_r of matched tags are the
// authors' code (yibuxulong/Fine-grained-visual-semantic-causal, build_model.py: HCG.refine_word_pre);
// re-implemented, no code copied.
using CausalVision.Runtime;
using CausalVision.Vscnet.Fva;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Vscnet.Har;

/// <summary>
/// Refines the Cascaded Spatial Net's tag predictions with the tag distribution t_r of the matched visual prototypes:
/// <c>t_f = (1 - alpha_f) softmax(t) + alpha_f softmax(t_r / τ)</c> (eq. 7; τ = 1 as the paper writes it, see
/// <see cref="TagRefinementOptions.PrototypeTemperature"/>), then keeps the top-k tags.
/// </summary>
/// <remarks>
/// <para>With <see cref="TagStepAggregation.PerStep"/> (default) each step's logits <c>t_j</c> are refined with
/// <c>t_r</c> of that step (<c>[B, J, M]</c>) or of the image (<c>[B, M]</c>, broadcast to every step).</para>
/// <para>With <see cref="TagStepAggregation.MinMaxThenMax"/> (the authors' code) the logits are first scaled per step to
/// [0, 1] over the vocabulary, <c>(t - min) / (max - min)</c> (a constant step becomes 0 instead of the code's NaN), then
/// the maximum over steps gives one score per tag; a per-step <c>t_r</c> is summed over steps (the code's sum of one-hot
/// matched tags). Note that softmax is applied to these scores as eq. 7 says, so the code's t_r is a count vector and
/// softmax(t_r) is not a multi-hot mask.</para>
/// <para>Defaults: alpha_f = 0.1, τ = 1, per step, top k = 9.</para>
/// <para>Shapes: logits <c>[B, J, M]</c>; t_r <c>[B, M]</c> or <c>[B, J, M]</c>; refined <c>[B, J, M]</c> (per step) or
/// <c>[B, M]</c>; top-k ids and scores <c>[..., k]</c>, highest first.</para>
/// </remarks>
public sealed class TagRefinement
{
    private readonly TagRefinementOptions options;

    /// <summary>Initializes a new instance of the <see cref="TagRefinement"/> class.</summary>
    /// <param name="options">Options; <see langword="null"/> means the defaults. Validated.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public TagRefinement(TagRefinementOptions? options = null)
    {
        options ??= new TagRefinementOptions();
        options.Validate();
        this.options = options;
    }

    /// <summary>
    /// Turns the tags matched by the prototype matching into the code's t_r: for each image, how many steps matched
    /// each tag (the sum over steps of one-hot vectors). Ids equal to <see cref="FvaLoss.NoTarget"/> (-1) are skipped.
    /// </summary>
    /// <param name="matchedTagIds">Matched tag id per step, <c>[B, J]</c> (Int64/Int32, -1 = none).</param>
    /// <param name="tagCount">Vocabulary size M.</param>
    /// <returns>Float counts <c>[B, M]</c>.</returns>
    /// <exception cref="ArgumentException">A shape is wrong or an id lies outside [-1, M).</exception>
    public static Tensor MatchedTagCounts(Tensor matchedTagIds, int tagCount)
    {
        Guard.NonEmptyRank(matchedTagIds, 2, nameof(matchedTagIds), "[B, J]");
        Guard.Integral(matchedTagIds, nameof(matchedTagIds));
        if (tagCount <= 0)
        {
            throw new ArgumentException($"tagCount must be positive but is {tagCount}.", nameof(tagCount));
        }

        Guard.IdsInRange(matchedTagIds, FvaLoss.NoTarget, tagCount, nameof(matchedTagIds), "tag ids");
        using var scope = NewDisposeScope();
        var ids = matchedTagIds.to_type(ScalarType.Int64);
        var valid = ids.ge(0);

        // Shift to [0, M] so that -1 lands in an extra column that is dropped.
        var shifted = where(valid, ids, full_like(ids, tagCount));
        var oneHot = F.one_hot(shifted, tagCount + 1).to_type(ScalarType.Float32);
        return oneHot.sum(1)[.., ..tagCount].MoveToOuterDisposeScope();
    }

    /// <summary>Applies eq. 7 and keeps the top-k tags.</summary>
    /// <param name="tagLogits">The network's tag logits <c>[B, J, M]</c>.</param>
    /// <param name="prototypeTags">t_r: scores of the matched prototypes' tags, <c>[B, M]</c> or <c>[B, J, M]</c>
    /// (softmax is applied here, as in eq. 7).</param>
    /// <returns>The refined probabilities and the top-k tags (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Shapes or batch sizes do not match, or an input holds NaN/Inf.</exception>
    public TagRefinementResult Refine(Tensor tagLogits, Tensor prototypeTags)
    {
        Guard.NonEmptyRank(tagLogits, 3, nameof(tagLogits), "[B, J, M]");
        Guard.Floating(tagLogits, nameof(tagLogits));
        Guard.NotNull(prototypeTags, nameof(prototypeTags));
        if (prototypeTags.dim() != 2 && prototypeTags.dim() != 3)
        {
            throw new ArgumentException($"prototypeTags must have shape [B, M] or [B, J, M] but has shape [{string.Join(", ", prototypeTags.shape)}].", nameof(prototypeTags));
        }

        Guard.Floating(prototypeTags, nameof(prototypeTags));
        Guard.Dim(prototypeTags, 0, tagLogits.shape[0], nameof(prototypeTags), "images (the batch size of tagLogits)");
        Guard.Dim(prototypeTags, (int)prototypeTags.dim() - 1, tagLogits.shape[2], nameof(prototypeTags), "tags (the vocabulary size of tagLogits)");
        if (prototypeTags.dim() == 3)
        {
            Guard.Dim(prototypeTags, 1, tagLogits.shape[1], nameof(prototypeTags), "steps (the J of tagLogits)");
        }

        Guard.Finite(tagLogits, nameof(tagLogits));
        Guard.Finite(prototypeTags, nameof(prototypeTags));

        using var scope = NewDisposeScope();
        Tensor scores;
        Tensor reference;
        if (options.StepAggregation == TagStepAggregation.PerStep)
        {
            scores = tagLogits;
            reference = prototypeTags.dim() == 2 ? prototypeTags.unsqueeze(1).expand_as(tagLogits) : prototypeTags;
        }
        else
        {
            var min = tagLogits.amin(new long[] { 2 }, keepdim: true);
            var range = tagLogits.amax(new long[] { 2 }, keepdim: true) - min;
            var scaled = (tagLogits - min) / range.clamp_min(1e-12);
            scores = scaled.amax(new long[] { 1 });
            reference = prototypeTags.dim() == 3 ? prototypeTags.sum(1) : prototypeTags;
        }

        var alpha = options.AlphaF;
        var tau = options.PrototypeTemperature;
        var refined = ScalarSafe.Add(F.softmax(scores, -1) * (1.0 - alpha), F.softmax(tau == 1.0 ? reference : reference / tau, -1) * alpha);
        var tagCount = refined.shape[^1];
        var k = options.TopK == 0 ? tagCount : Math.Min(options.TopK, tagCount);
        var (values, indices) = refined.topk((int)k, dim: -1, largest: true, sorted: true);
        return new TagRefinementResult(
            refined.MoveToOuterDisposeScope(),
            indices.MoveToOuterDisposeScope(),
            values.MoveToOuterDisposeScope());
    }
}

/// <summary>The refined tag probabilities and the kept top-k tags (owned by the caller).</summary>
/// <param name="Refined">t_f: <c>[B, J, M]</c> (per step) or <c>[B, M]</c>; each row sums to 1.</param>
/// <param name="TopKIds">Ids of the k most probable refined tags, highest first, <c>[B, J, k]</c> or <c>[B, k]</c>.</param>
/// <param name="TopKScores">Their refined probabilities, same shape as <paramref name="TopKIds"/>.</param>
public sealed record TagRefinementResult(Tensor Refined, Tensor TopKIds, Tensor TopKScores) : IDisposable
{
    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        Refined.Dispose();
        TopKIds.Dispose();
        TopKScores.Dispose();
    }
}
