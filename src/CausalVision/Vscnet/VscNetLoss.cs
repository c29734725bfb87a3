// VSCNet's objectives (Meng et al., AAAI 2025): stage 1 L_AL = L_s + alpha_l L_l (eq. 15, with eq. 3-4 from
// CausalVision.Vscnet.Fva.FvaLoss and its options VscNetOptions.Fva.Loss, whose LocatingLossWeight is alpha_l);
// stage 2 L_ff = L_cls(P_e, Y) + alpha_gf L_gf (eq. 16) with
// L_gf = KL(f_n(F_n) || U) + L2(f_c(F_c), y) + L2(f_m(F_m), y) (eq. 13). The KL direction follows eq. 13 as written
// (prediction to uniform: sum_i p_i log(p_i S)); CAL's cross-entropy is available
// (VscNetOptions.Cim.LossKind). L_gf is computed by Graph/Cim/CimLoss.
using CausalVision.Vscnet.Fva;
using CausalVision.Graph.Cim;
using CausalVision.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Vscnet;

/// <summary>The terms of a VSCNet objective (scalars owned by the caller).</summary>
public sealed class VscNetLossTerms : IDisposable
{
    /// <summary>Gets the total loss to back-propagate.</summary>
    public required Tensor Total { get; init; }

    /// <summary>Gets the class term: the class part of L_s in stage 1, L_cls(P_e, Y) in stage 2.</summary>
    public required Tensor Classification { get; init; }

    /// <summary>Gets the per-step tag term of L_s (stage 1 with +L).</summary>
    public Tensor? Tags { get; init; }

    /// <summary>Gets L_l, unweighted (stage 1 with +L).</summary>
    public Tensor? Locating { get; init; }

    /// <summary>Gets L_gf, unweighted by alpha_gf (stage 2 with +C).</summary>
    public Tensor? GraphLoss { get; init; }

    /// <summary>Gets the weighted KL(f_n(F_n) || U) term of L_gf.</summary>
    public Tensor? Kl { get; init; }

    /// <summary>Gets the weighted causal term of L_gf.</summary>
    public Tensor? Causal { get; init; }

    /// <summary>Gets the weighted intervened term of L_gf.</summary>
    public Tensor? Intervened { get; init; }

    /// <summary>Disposes every term.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { Total, Classification, Tags, Locating, GraphLoss, Kl, Causal, Intervened })
        {
            t?.Dispose();
        }
    }
}

/// <summary>The stage-1 and stage-2 objectives of VSCNet.</summary>
public static class VscNetLoss
{
    /// <summary>Stage 1: L_AL = L_s + alpha_l L_l (eq. 15); the Base model's class cross-entropy only.</summary>
    /// <param name="model">The model (for its options and ablation).</param>
    /// <param name="output">Its output in stage 1.</param>
    /// <param name="labels">Class ids <c>[B]</c> (Int64) or, for multi-label, multi-hot targets <c>[B, S]</c> (float).</param>
    /// <param name="stepTargets">Tag id per step <c>[B, J]</c> (-1 = none), e.g. from
    /// <see cref="FvaLoss.SelectStepTargets(Tensor, int)"/>; ignored without +L.</param>
    /// <returns>The terms (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Shapes or ids do not match.</exception>
    public static VscNetLossTerms Stage1(VscNet model, VscNetOutput output, Tensor labels, Tensor? stepTargets)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        CheckLabels(model, output.VisualLogits, labels);
        using var scope = NewDisposeScope();
        if (output.Fva is null)
        {
            var cls = ClassLoss(model, output.VisualLogits, labels);
            return new VscNetLossTerms { Total = cls.alias().MoveToOuterDisposeScope(), Classification = cls.MoveToOuterDisposeScope() };
        }

        if (stepTargets is null)
        {
            throw new ArgumentException("stepTargets are required for a model with the Locating component.", nameof(stepTargets));
        }

        var classTargets = labels;
        if (model.MultiLabel)
        {
            // eq. 3 with a multi-hot y: normalise to a distribution so that -sum y log y^ is a cross-entropy.
            classTargets = labels / labels.sum(1, keepdim: true).clamp_min(1);
        }

        using var terms = new FvaLoss(model.Options.Fva.Loss).Compute(output.Fva, output.VisualLogits, classTargets, stepTargets);
        return new VscNetLossTerms
        {
            Total = terms.Total.alias().MoveToOuterDisposeScope(),
            Classification = terms.ClassTerm.alias().MoveToOuterDisposeScope(),
            Tags = terms.TagTerm.alias().MoveToOuterDisposeScope(),
            Locating = terms.Locating.Total.alias().MoveToOuterDisposeScope(),
        };
    }

    /// <summary>Stage 2: L_ff = L_cls(P_e, Y) + alpha_gf L_gf (eq. 16), L_gf of eq. 13 with +C.</summary>
    /// <param name="model">The model.</param>
    /// <param name="output">Its output in stage 2.</param>
    /// <param name="labels">Class ids <c>[B]</c> (Int64) or multi-hot targets <c>[B, S]</c> (float, multi-label).</param>
    /// <returns>The terms (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Shapes or ids do not match.</exception>
    public static VscNetLossTerms Stage2(VscNet model, VscNetOutput output, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        CheckLabels(model, output.Logits, labels);
        using var scope = NewDisposeScope();
        var cls = ClassLoss(model, output.Logits, labels);
        if (output.CausalLogits is null)
        {
            return new VscNetLossTerms { Total = cls.alias().MoveToOuterDisposeScope(), Classification = cls.MoveToOuterDisposeScope() };
        }

        var c = model.CimOptions!;
        using var terms = new CimLoss(c).Compute(output.CausalLogits, output.TrivialLogits!, output.InterventionLogits!, labels, output.NodeMask);
        var kl = terms.Kl * c.KlWeight;
        var causal = terms.Causal * c.CausalWeight;
        var intervened = terms.Intervened * c.InterventionWeight;
        var gf = terms.Total.alias();
        var total = ScalarSafe.Add(cls, gf * model.Options.Training.AlphaGf);
        return new VscNetLossTerms
        {
            Total = total.MoveToOuterDisposeScope(),
            Classification = cls.MoveToOuterDisposeScope(),
            GraphLoss = gf.MoveToOuterDisposeScope(),
            Kl = kl.MoveToOuterDisposeScope(),
            Causal = causal.MoveToOuterDisposeScope(),
            Intervened = intervened.MoveToOuterDisposeScope(),
        };
    }

    private static Tensor ClassLoss(VscNet model, Tensor logits, Tensor labels) => model.MultiLabel
        ? F.binary_cross_entropy_with_logits(logits, labels.to_type(logits.dtype))
        : F.cross_entropy(logits, labels);

    private static void CheckLabels(VscNet model, Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var batch = logits.shape[0];
        if (model.MultiLabel)
        {
            if (labels.dim() != 2 || labels.shape[0] != batch || labels.shape[1] != model.ClassCount || !labels.is_floating_point())
            {
                throw new ArgumentException($"Multi-label targets must be float [{batch}, {model.ClassCount}] but are {labels.dtype} [{string.Join(", ", labels.shape)}].", nameof(labels));
            }

            return;
        }

        if (labels.dim() != 1 || labels.shape[0] != batch || labels.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"labels must be Int64 [{batch}] (one class id per image) but are {labels.dtype} [{string.Join(", ", labels.shape)}].", nameof(labels));
        }

        using var scope = NewDisposeScope();
        if (labels.numel() > 0 && (labels.min().item<long>() < 0 || labels.max().item<long>() >= model.ClassCount))
        {
            throw new ArgumentException($"labels hold a class id outside [0, {model.ClassCount - 1}].", nameof(labels));
        }
    }
}
