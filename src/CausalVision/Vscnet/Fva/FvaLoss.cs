// VSCNet's stage-1 objective (Meng et al., AAAI 2025): L_s of eq. 3 (class + per-step tag cross-entropy),
// the locating loss L_l of eq. 4 and L_AL = L_s + alpha_l L_l of eq. 15. Step targets follow the authors'
// code (yibuxulong/Fine-grained-visual-semantic-causal, loss.py: step j is supervised with the j-th present tag
// in ascending tag-id order); re-implemented, no code copied.
using CausalVision.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Vscnet.Fva;

/// <summary>
/// The stage-1 objective of the Cascaded Spatial Net: <c>L_AL = L_s + alpha_l L_l</c> (eq. 15) with
/// <c>L_s = -(sum_i y_i log y^_i + sum_j sum_i t_ji log t^_ji)</c> (eq. 3).
/// </summary>
/// <remarks>
/// <para>Tag targets: eq. 3 needs one tag t_j per step. As in the authors' code, step j is supervised with the j-th
/// distinct tag of the image in ascending tag-id order (<see cref="SelectStepTargets(IReadOnlyList{IReadOnlyList{int}}, int, int, Device?)"/>).
/// An image with fewer than J tags leaves its last steps without a target (id -1): they are masked out of the tag term
/// (and, with <see cref="FvaLossOptions.LocateSupervisedStepsOnly"/>, out of L_l). An image with more than J tags keeps
/// only its J smallest tag ids (the code would fail there).</para>
/// <para>Class term: integer labels <c>[B]</c> give the usual cross-entropy; float targets <c>[B, S]</c> give
/// <c>-sum_i y_i log softmax(logits)_i</c> averaged over the batch (eq. 3 read literally, for multi-label data).</para>
/// <para>Defaults: class weight 1, tag weight 1, tag CE summed over steps and averaged over images, alpha_l = 1
/// (<see cref="FvaLossOptions.AuthorsCode"/> gives the code's choices).</para>
/// <para>Shapes: class logits <c>[B, S]</c>, labels <c>[B]</c> (Int64) or <c>[B, S]</c> (float), step targets <c>[B, J]</c>
/// (Int64, -1 = none), network output as <see cref="CascadedSpatialNetOutput"/>; every loss is a scalar.</para>
/// </remarks>
public sealed class FvaLoss
{
    /// <summary>The step-target value of a step without a tag.</summary>
    public const long NoTarget = -1;

    private readonly FvaLossOptions options;
    private readonly LocatingLoss locating;

    /// <summary>Initializes a new instance of the <see cref="FvaLoss"/> class.</summary>
    /// <param name="options">Options; <see langword="null"/> means the defaults. Validated.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public FvaLoss(FvaLossOptions? options = null)
    {
        options ??= new FvaLossOptions();
        options.Validate();
        this.options = options;
        locating = new LocatingLoss(options.Locating);
    }

    /// <summary>
    /// Builds the per-step tag targets from each image's tag ids: step j gets the j-th distinct tag id in ascending
    /// order, steps beyond the image's tag count get <see cref="NoTarget"/>; tags beyond the J-th are dropped.
    /// </summary>
    /// <param name="tagIds">Tag ids of each image (any order, duplicates allowed).</param>
    /// <param name="steps">J.</param>
    /// <param name="tagCount">Vocabulary size M; every id must lie in [0, M).</param>
    /// <param name="device">Device of the result; <see langword="null"/> means the CPU.</param>
    /// <returns>Int64 targets <c>[B, J]</c>.</returns>
    /// <exception cref="ArgumentException">The batch is empty, J or M is not positive, or an id is outside the vocabulary.</exception>
    public static Tensor SelectStepTargets(IReadOnlyList<IReadOnlyList<int>> tagIds, int steps, int tagCount, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(tagIds);
        if (tagIds.Count == 0)
        {
            throw new ArgumentException("tagIds must hold at least one image.", nameof(tagIds));
        }

        if (steps <= 0)
        {
            throw new ArgumentException($"steps must be positive but is {steps}.", nameof(steps));
        }

        if (tagCount <= 0)
        {
            throw new ArgumentException($"tagCount must be positive but is {tagCount}.", nameof(tagCount));
        }

        var data = new long[tagIds.Count * steps];
        Array.Fill(data, NoTarget);
        for (var b = 0; b < tagIds.Count; b++)
        {
            var tags = tagIds[b] ?? throw new ArgumentException($"tagIds[{b}] is null.", nameof(tagIds));
            foreach (var t in tags)
            {
                if (t < 0 || t >= tagCount)
                {
                    throw new ArgumentException($"tagIds[{b}] contains tag id {t}, outside the vocabulary [0, {tagCount - 1}].", nameof(tagIds));
                }
            }

            var j = 0;
            foreach (var t in tags.Distinct().Order().Take(steps))
            {
                data[(b * steps) + j++] = t;
            }
        }

        return tensor(data, new long[] { tagIds.Count, steps }, device: device);
    }

    /// <summary>Builds the per-step tag targets from a multi-hot tag matrix (the authors' data layout): step j gets
    /// the j-th tag whose entry is positive, in ascending id order; missing steps get <see cref="NoTarget"/>.</summary>
    /// <param name="tagMultiHot">Multi-hot tags <c>[B, M]</c> (any numeric type; entries &gt; 0 are present).</param>
    /// <param name="steps">J.</param>
    /// <returns>Int64 targets <c>[B, J]</c> on the device of <paramref name="tagMultiHot"/>.</returns>
    /// <exception cref="ArgumentException">The matrix is not <c>[B, M]</c> or J is not positive.</exception>
    public static Tensor SelectStepTargets(Tensor tagMultiHot, int steps)
    {
        Guard.NonEmptyRank(tagMultiHot, 2, nameof(tagMultiHot), "[B, M]");
        if (steps <= 0)
        {
            throw new ArgumentException($"steps must be positive but is {steps}.", nameof(steps));
        }

        using var scope = NewDisposeScope();
        var present = tagMultiHot.gt(0);
        var tagCount = tagMultiHot.shape[1];

        // Present tags keep their id as sort key, absent ones sort last (key M); the first J keys are the targets.
        var ids = arange(tagCount, dtype: ScalarType.Int64, device: tagMultiHot.device).expand(tagMultiHot.shape[0], tagCount);
        var keys = where(present, ids, full_like(ids, tagCount));
        var sorted = keys.sort(1).Values;
        var k = Math.Min(steps, tagCount);
        var first = sorted[.., ..(int)k];
        var targets = where(first.eq(tagCount), full_like(first, NoTarget), first);
        if (k < steps)
        {
            targets = cat(new[] { targets, full(new long[] { tagMultiHot.shape[0], steps - k }, NoTarget, dtype: ScalarType.Int64, device: tagMultiHot.device) }, 1);
        }

        return targets.MoveToOuterDisposeScope();
    }

    /// <summary>Computes L_s (eq. 3), L_l (eq. 4) and L_AL = L_s + alpha_l L_l (eq. 15).</summary>
    /// <param name="output">The Cascaded Spatial Net's output for the batch.</param>
    /// <param name="classLogits">Class logits <c>[B, S]</c>; may be <see langword="null"/> only when the class weight is 0.</param>
    /// <param name="labels">Class labels <c>[B]</c> (Int64) or soft/multi-hot targets <c>[B, S]</c> (float); may be
    /// <see langword="null"/> only when the class weight is 0.</param>
    /// <param name="stepTargets">Tag target per step <c>[B, J]</c> (Int64; <see cref="NoTarget"/> = masked), e.g. from
    /// <see cref="SelectStepTargets(IReadOnlyList{IReadOnlyList{int}}, int, int, Device?)"/>.</param>
    /// <returns>Every term and the total (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Batch sizes or shapes do not match, a label or tag id is out of range, or an input holds NaN/Inf.</exception>
    public FvaLossTerms Compute(CascadedSpatialNetOutput output, Tensor? classLogits, Tensor? labels, Tensor stepTargets)
    {
        ArgumentNullException.ThrowIfNull(output);
        var logits = output.TagLogits;
        Guard.NonEmptyRank(logits, 3, "output.TagLogits", "[B, J, M]");
        var batch = logits.shape[0];
        var steps = logits.shape[1];
        var tagCount = logits.shape[2];
        Guard.NonEmptyRank(stepTargets, 2, nameof(stepTargets), "[B, J]");
        Guard.Integral(stepTargets, nameof(stepTargets));
        Guard.Dim(stepTargets, 0, batch, nameof(stepTargets), "images (the batch size of the network output)");
        Guard.Dim(stepTargets, 1, steps, nameof(stepTargets), "steps (the network's J)");
        Guard.IdsInRange(stepTargets, NoTarget, tagCount, nameof(stepTargets), "tag ids");
        Guard.Finite(logits, "output.TagLogits");
        CheckClassInputs(classLogits, labels, batch);

        using var scope = NewDisposeScope();
        var targets = stepTargets.to_type(ScalarType.Int64).to(logits.device);
        var supervised = targets.ne(NoTarget);
        var perStep = F.cross_entropy(logits.reshape(batch * steps, tagCount), targets.reshape(batch * steps), ignore_index: NoTarget, reduction: nn.Reduction.None);
        var tagTerm = options.TagLossReduction == TagLossReduction.SumOverSteps
            ? perStep.sum() / batch
            : perStep.sum() / supervised.sum().clamp_min(1).to_type(perStep.dtype);
        tagTerm = tagTerm * options.TagLossWeight;

        Tensor classTerm;
        if (classLogits is null || options.ClassLossWeight == 0)
        {
            classTerm = zeros(new long[0], dtype: logits.dtype, device: logits.device);
        }
        else if (labels!.is_floating_point())
        {
            classTerm = -(labels * F.log_softmax(classLogits, 1)).sum(1).mean() * options.ClassLossWeight;
        }
        else
        {
            classTerm = F.cross_entropy(classLogits, labels.to_type(ScalarType.Int64)) * options.ClassLossWeight;
        }

        var semantic = ScalarSafe.Add(classTerm, tagTerm);
        var locTerms = locating.Compute(output.Thetas, options.LocateSupervisedStepsOnly ? supervised : null);
        var total = ScalarSafe.Add(semantic, locTerms.Total * options.LocatingLossWeight);
        return new FvaLossTerms(
            total.MoveToOuterDisposeScope(),
            semantic.MoveToOuterDisposeScope(),
            classTerm.MoveToOuterDisposeScope(),
            tagTerm.MoveToOuterDisposeScope(),
            new LocatingLossTerms(
                locTerms.Total.MoveToOuterDisposeScope(),
                locTerms.Diversity.MoveToOuterDisposeScope(),
                locTerms.OutlierShift.MoveToOuterDisposeScope(),
                locTerms.OutlierScale.MoveToOuterDisposeScope(),
                locTerms.Rotation.MoveToOuterDisposeScope(),
                locTerms.ScaleUpper.MoveToOuterDisposeScope(),
                locTerms.ScaleLower.MoveToOuterDisposeScope())
            {
                Containment = locTerms.Containment?.MoveToOuterDisposeScope(),
            });
    }

    private void CheckClassInputs(Tensor? classLogits, Tensor? labels, long batch)
    {
        if (options.ClassLossWeight == 0 && classLogits is null)
        {
            return;
        }

        if (classLogits is null || labels is null)
        {
            throw new ArgumentException("classLogits and labels are required when ClassLossWeight > 0.", classLogits is null ? nameof(classLogits) : nameof(labels));
        }

        Guard.NonEmptyRank(classLogits, 2, nameof(classLogits), "[B, S]");
        Guard.Floating(classLogits, nameof(classLogits));
        Guard.Dim(classLogits, 0, batch, nameof(classLogits), "rows (the batch size of the network output)");
        Guard.Finite(classLogits, nameof(classLogits));
        var classes = classLogits.shape[1];
        if (labels.is_floating_point())
        {
            Guard.NonEmptyRank(labels, 2, nameof(labels), "[B, S]");
            if (labels.shape[0] != batch || labels.shape[1] != classes)
            {
                throw new ArgumentException($"labels has shape [{string.Join(", ", labels.shape)}] but [{batch}, {classes}] was expected.", nameof(labels));
            }

            Guard.Finite(labels, nameof(labels));
        }
        else
        {
            Guard.NonEmptyRank(labels, 1, nameof(labels), "[B]");
            Guard.Integral(labels, nameof(labels));
            Guard.Dim(labels, 0, batch, nameof(labels), "labels (the batch size of the network output)");
            Guard.IdsInRange(labels, 0, classes, nameof(labels), "class ids");
        }
    }
}

/// <summary>The terms of the stage-1 objective (scalars owned by the caller).</summary>
/// <param name="Total">L_AL = L_s + alpha_l L_l (eq. 15).</param>
/// <param name="Semantic">L_s = class term + tag term (eq. 3).</param>
/// <param name="ClassTerm">The weighted class cross-entropy.</param>
/// <param name="TagTerm">The weighted per-step tag cross-entropy.</param>
/// <param name="Locating">The terms of L_l (not multiplied by alpha_l).</param>
public sealed record FvaLossTerms(Tensor Total, Tensor Semantic, Tensor ClassTerm, Tensor TagTerm, LocatingLossTerms Locating) : IDisposable
{
    /// <summary>Disposes every term.</summary>
    public void Dispose()
    {
        Total.Dispose();
        Semantic.Dispose();
        ClassTerm.Dispose();
        TagTerm.Dispose();
        Locating.Dispose();
    }
}
