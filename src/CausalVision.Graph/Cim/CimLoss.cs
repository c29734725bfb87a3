// VSCNet's graph loss (Meng et al., AAAI 2025, eq. 13):
// L_gf = L_KL(f_n(F_n), U) + L_2(f_c(F_c), y) + L_2(f_m(F_m), y),
// with CAL's alternative (Sui et al., KDD 2022; yongduosui/CAL train_causal.py):
// 0.5 * kl_div(log p_n, U) + 1.0 * NLL(objects) + 0.5 * NLL(intervened).
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Graph.Cim;

/// <summary>The CIM loss L_gf of eq. 13, with the paper's L2 and CAL's cross-entropy both available.</summary>
/// <remarks>
/// <para><b>KL term</b> (batch mean): <see cref="CimKlDirection.PredictionToUniform"/>
/// <c>KL(p ‖ U) = Σ_c p_c log p_c + log C</c>, or CAL's <see cref="CimKlDirection.UniformToPrediction"/>
/// <c>KL(U ‖ p) = −log C − (1/C) Σ_c log p_c</c>; both are 0 exactly when p is uniform.</para>
/// <para><b>Supervised terms.</b> Labels are either class indices [B] (integer; single-label) or
/// multi-hot targets [B, C] (floating, values in [0, 1]; multi-label, NUS-WIDE).
/// <see cref="CimLossKind.L2"/>: <c>‖softmax(z) − t‖²₂</c> summed over classes and averaged over
/// the batch, t = one-hot(y) or, for multi-hot y, the target distribution <c>y / Σ_c y_c</c>
/// (the paper says "L2 norm loss"; the squared norm, i.e. the Brier score, is our reading; a
/// multi-hot row without a positive class is rejected). <see cref="CimLossKind.CrossEntropy"/>:
/// mean NLL of log-softmax for indices; binary cross-entropy with logits averaged over batch and
/// classes for multi-hot targets (the usual multi-label choice; a softmax CE against several
/// positives would make the classes compete).</para>
/// Shapes: logits [B, C]; labels [B] or [B, C] → scalars.
/// </remarks>
public sealed class CimLoss
{
    /// <summary>Initializes a new instance of the <see cref="CimLoss"/> class.</summary>
    /// <param name="options">The CIM options (loss kind, KL direction, weights, classes; validated here).</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public CimLoss(CimOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Classes = options.Classes;
        Kind = options.LossKind;
        KlDirection = options.KlDirection;
        KlWeight = options.KlWeight;
        CausalWeight = options.CausalWeight;
        InterventionWeight = options.InterventionWeight;
        TrivialObjective = options.TrivialObjective;
        GceQ = options.GceQ;
        MaskBudget = options.MaskBudget;
        MaskBudgetWeight = options.MaskBudgetWeight;
    }

    /// <summary>Gets the objective of the non-causal branch.</summary>
    public CimTrivialObjective TrivialObjective { get; }

    /// <summary>Gets the generalized cross-entropy exponent q.</summary>
    public double GceQ { get; }

    /// <summary>Gets the node-mask budget r.</summary>
    public double MaskBudget { get; }

    /// <summary>Gets the weight of the mask budget term.</summary>
    public double MaskBudgetWeight { get; }

    /// <summary>Gets the number of classes C.</summary>
    public int Classes { get; }

    /// <summary>Gets the loss of the supervised terms.</summary>
    public CimLossKind Kind { get; }

    /// <summary>Gets the direction of the KL term.</summary>
    public CimKlDirection KlDirection { get; }

    /// <summary>Gets the weight of the KL term.</summary>
    public double KlWeight { get; }

    /// <summary>Gets the weight of the causal term.</summary>
    public double CausalWeight { get; }

    /// <summary>Gets the weight of the intervened term.</summary>
    public double InterventionWeight { get; }

    /// <summary>Computes L_gf from a <see cref="CimModule"/> output.</summary>
    /// <param name="output">The CIM output.</param>
    /// <param name="labels">Class indices [B] or multi-hot targets [B, C].</param>
    /// <returns>The terms and the weighted total (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Bad labels or logits (shape, range, NaN/Inf).</exception>
    public CimLossResult Compute(CimOutput output, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(output);
        return Compute(output.CausalLogits, output.TrivialLogits, output.InterventionLogits, labels, output.NodeMask);
    }

    /// <summary>Computes L_gf from the three logits and, for the budget term, the node mask.</summary>
    /// <param name="causalLogits">f_c(F_c) [B, C].</param>
    /// <param name="trivialLogits">f_n(F_n) [B, C].</param>
    /// <param name="interventionLogits">f_m(F_m) [B, C].</param>
    /// <param name="labels">Class indices [B] or multi-hot targets [B, C].</param>
    /// <param name="nodeMask">The node mask [B, N, 2] (<see cref="CimOutput.NodeMask"/>; zero rows on padding), or null
    /// (then the budget term is 0).</param>
    /// <returns>The terms and the weighted total (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Bad labels, logits or mask.</exception>
    public CimLossResult Compute(Tensor causalLogits, Tensor trivialLogits, Tensor interventionLogits, Tensor labels, Tensor? nodeMask)
    {
        if (nodeMask is not null && (nodeMask.Dimensions != 3 || nodeMask.shape[2] != 2 || nodeMask.shape[0] != causalLogits.shape[0]))
        {
            throw new ArgumentException($"nodeMask must have shape [B, N, 2] with B = {causalLogits.shape[0]}, got [{string.Join(", ", nodeMask.shape)}].", nameof(nodeMask));
        }

        return ComputeCore(causalLogits, trivialLogits, interventionLogits, labels, nodeMask);
    }

    /// <summary>Computes L_gf from the three logits.</summary>
    /// <param name="causalLogits">f_c(F_c) [B, C].</param>
    /// <param name="trivialLogits">f_n(F_n) [B, C].</param>
    /// <param name="interventionLogits">f_m(F_m) [B, C].</param>
    /// <param name="labels">Class indices [B] or multi-hot targets [B, C].</param>
    /// <returns>The terms and the weighted total (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Bad labels or logits (shape, range, NaN/Inf).</exception>
    public CimLossResult Compute(Tensor causalLogits, Tensor trivialLogits, Tensor interventionLogits, Tensor labels) =>
        ComputeCore(causalLogits, trivialLogits, interventionLogits, labels, null);

    /// <summary>
    /// The budget term on the causal node mask: the mean over graphs of <c>max(mean_nodes(m) - r, 0)</c>, m = column 1 of
    /// <paramref name="nodeMask"/> over the graph's real nodes. Ours: a one-sided form of GSAT's budget (Miao et al., ICML
    /// 2022, which pulls every node's mask to r with <c>KL(Bern(m) ‖ Bern(r))</c>) and of GNNExplainer's mask-size penalty
    /// (Ying et al., NeurIPS 2019). Keeping more than the budget costs; which nodes stay is left to the causal term.
    /// </summary>
    /// <param name="nodeMask">[B, N, 2], zero rows on padding.</param>
    /// <param name="budget">r in (0, 1).</param>
    /// <returns>Scalar.</returns>
    /// <exception cref="ArgumentException">Bad shape or budget.</exception>
    public static Tensor MaskBudgetTerm(Tensor nodeMask, double budget)
    {
        ArgumentNullException.ThrowIfNull(nodeMask);
        if (nodeMask.Dimensions != 3 || nodeMask.shape[2] != 2)
        {
            throw new ArgumentException($"nodeMask must have shape [B, N, 2], got [{string.Join(", ", nodeMask.shape)}].", nameof(nodeMask));
        }

        if (!(budget > 0 && budget < 1))
        {
            throw new ArgumentException($"budget must lie in (0, 1), got {budget}.", nameof(budget));
        }

        using var scope = NewDisposeScope();
        var real = nodeMask.sum(-1).gt(0.5).to(nodeMask.dtype);
        var kept = (nodeMask[.., .., 1] * real).sum(1) / real.sum(1).clamp_min(1.0);
        return nn.functional.relu(kept - budget).mean().MoveToOuterDisposeScope();
    }

    private CimLossResult ComputeCore(Tensor causalLogits, Tensor trivialLogits, Tensor interventionLogits, Tensor labels, Tensor? nodeMask)
    {
        CheckLogits(causalLogits, nameof(causalLogits), Classes);
        var b = causalLogits.shape[0];
        CheckLogits(trivialLogits, nameof(trivialLogits), Classes, b);
        CheckLogits(interventionLogits, nameof(interventionLogits), Classes, b);
        CheckLabels(labels, b, Classes, Kind);
        foreach (var (t, name) in new[] { (trivialLogits, nameof(trivialLogits)), (interventionLogits, nameof(interventionLogits)), (labels, nameof(labels)) })
        {
            if (!Guard.SameDevice(t, causalLogits))
            {
                throw new ArgumentException($"{name} is on {t.device} but causalLogits is on {causalLogits.device}; move them to one device.", name);
            }
        }

        using var scope = NewDisposeScope();
        Tensor kl, causal, intervened;
        if (TrivialObjective == CimTrivialObjective.KlToUniform)
        {
            kl = KlUnchecked(trivialLogits, KlDirection);
            causal = SupervisedUnchecked(causalLogits, labels, Kind);
            intervened = SupervisedUnchecked(interventionLogits, labels, Kind);
        }
        else
        {
            // DisC: the bias branch learns the easy (shortcut) samples by GCE; the causal terms weight each sample by
            // its relative difficulty W = CE_n / (CE_c + CE_n), detached.
            kl = GeneralizedCrossEntropyUnchecked(trivialLogits, labels, GceQ);
            Tensor weights;
            using (no_grad())
            {
                var ceN = PerSample(trivialLogits.detach(), labels, CimLossKind.CrossEntropy);
                var ceC = PerSample(causalLogits.detach(), labels, CimLossKind.CrossEntropy);
                weights = ceN / (ScalarSafe.Add(ceC, ceN) + 1e-8);
            }

            causal = (PerSample(causalLogits, labels, Kind) * weights).mean();
            intervened = (PerSample(interventionLogits, labels, Kind) * weights).mean();
        }

        var total = ScalarSafe.Add(ScalarSafe.Add(kl * KlWeight, causal * CausalWeight), intervened * InterventionWeight);
        Tensor? budgetTerm = null;
        if (MaskBudgetWeight > 0 && nodeMask is not null)
        {
            budgetTerm = MaskBudgetTerm(nodeMask, MaskBudget);
            total = ScalarSafe.Add(total, budgetTerm * MaskBudgetWeight);
        }

        return new CimLossResult(kl.MoveToOuterDisposeScope(), causal.MoveToOuterDisposeScope(), intervened.MoveToOuterDisposeScope(), total.MoveToOuterDisposeScope())
        {
            Budget = budgetTerm?.MoveToOuterDisposeScope(),
        };
    }

    /// <summary>KL divergence between softmax(logits) and the uniform distribution, batch mean.</summary>
    /// <param name="logits">[B, C], C ≥ 2.</param>
    /// <param name="direction">Which KL (default KL(p ‖ U)).</param>
    /// <returns>Scalar.</returns>
    /// <exception cref="ArgumentException">Bad logits.</exception>
    public static Tensor KlToUniform(Tensor logits, CimKlDirection direction = CimKlDirection.PredictionToUniform)
    {
        CheckLogits(logits, nameof(logits), classes: null);
        return KlUnchecked(logits, direction);
    }

    /// <summary>The paper's L2 term: ‖softmax(z) − t‖² summed over classes, batch mean.</summary>
    /// <param name="logits">[B, C].</param>
    /// <param name="labels">Indices [B] (t one-hot) or multi-hot [B, C] (t = y / Σ y).</param>
    /// <returns>Scalar.</returns>
    /// <exception cref="ArgumentException">Bad logits or labels.</exception>
    public static Tensor L2(Tensor logits, Tensor labels)
    {
        CheckLogits(logits, nameof(logits), classes: null);
        CheckLabels(labels, logits.shape[0], (int)logits.shape[1], CimLossKind.L2);
        return SupervisedUnchecked(logits, labels, CimLossKind.L2);
    }

    /// <summary>CAL's cross-entropy (indices) or binary cross-entropy with logits (multi-hot), batch mean.</summary>
    /// <param name="logits">[B, C].</param>
    /// <param name="labels">Indices [B] or multi-hot [B, C].</param>
    /// <returns>Scalar.</returns>
    /// <exception cref="ArgumentException">Bad logits or labels.</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels)
    {
        CheckLogits(logits, nameof(logits), classes: null);
        CheckLabels(labels, logits.shape[0], (int)logits.shape[1], CimLossKind.CrossEntropy);
        return SupervisedUnchecked(logits, labels, CimLossKind.CrossEntropy);
    }

    private static Tensor KlUnchecked(Tensor logits, CimKlDirection direction)
    {
        using var scope = NewDisposeScope();
        var c = logits.shape[1];
        var logC = Math.Log(c);
        var logp = nn.functional.log_softmax(logits, 1);
        var perSample = direction == CimKlDirection.PredictionToUniform
            ? (logp.exp() * (logp + logC)).sum(1)
            : (-logp).mean(new long[] { 1 }) - logC;
        return perSample.mean().MoveToOuterDisposeScope();
    }

    private static Tensor GeneralizedCrossEntropyUnchecked(Tensor logits, Tensor labels, double q)
    {
        using var scope = NewDisposeScope();
        Tensor p;
        if (labels.is_floating_point())
        {
            var y = labels.to(logits.dtype);
            var s = logits.sigmoid();
            p = ScalarSafe.Add(y * s, (1 - y) * (1 - s));
        }
        else
        {
            p = logits.softmax(1).gather(1, labels.to(ScalarType.Int64).unsqueeze(1)).squeeze(1);
        }

        return ((1 - p.clamp_min(1e-8).pow(q)) / q).mean().MoveToOuterDisposeScope();
    }

    // The supervised loss per sample [B]: its batch mean is SupervisedUnchecked.
    private static Tensor PerSample(Tensor logits, Tensor labels, CimLossKind kind)
    {
        using var scope = NewDisposeScope();
        var multiLabel = labels.is_floating_point();
        Tensor loss;
        if (kind == CimLossKind.L2)
        {
            var target = multiLabel
                ? labels.to(logits.dtype) / labels.to(logits.dtype).sum(1, keepdim: true)
                : nn.functional.one_hot(labels.to(ScalarType.Int64), logits.shape[1]).to(logits.dtype);
            loss = (logits.softmax(1) - target).square().sum(1);
        }
        else if (multiLabel)
        {
            loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype), reduction: nn.Reduction.None).mean(new long[] { 1 });
        }
        else
        {
            loss = nn.functional.nll_loss(nn.functional.log_softmax(logits, 1), labels.to(ScalarType.Int64), reduction: nn.Reduction.None);
        }

        return loss.MoveToOuterDisposeScope();
    }

    private static Tensor SupervisedUnchecked(Tensor logits, Tensor labels, CimLossKind kind)
    {
        using var scope = NewDisposeScope();
        var multiLabel = labels.is_floating_point();
        Tensor loss;
        if (kind == CimLossKind.L2)
        {
            var target = multiLabel
                ? labels.to(logits.dtype) / labels.to(logits.dtype).sum(1, keepdim: true)
                : nn.functional.one_hot(labels.to(ScalarType.Int64), logits.shape[1]).to(logits.dtype);
            loss = (logits.softmax(1) - target).square().sum(1).mean();
        }
        else if (multiLabel)
        {
            loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype));
        }
        else
        {
            loss = nn.functional.nll_loss(nn.functional.log_softmax(logits, 1), labels.to(ScalarType.Int64));
        }

        return loss.MoveToOuterDisposeScope();
    }

    private static void CheckLogits(Tensor? logits, string name, int? classes, long? batch = null)
    {
        Guard.Rank(logits, 2, name, "[B, C]");
        Guard.Floating(logits!, name);
        if (logits!.shape[0] == 0)
        {
            throw new ArgumentException($"{name} is empty (batch size 0).", name);
        }

        if (batch is long b && logits.shape[0] != b)
        {
            throw new ArgumentException($"{name} has batch size {logits.shape[0]} but causalLogits has {b}.", name);
        }

        if (classes is int c ? logits.shape[1] != c : logits.shape[1] < 2)
        {
            throw new ArgumentException($"{name} must have {(classes is int cc ? cc.ToString(System.Globalization.CultureInfo.InvariantCulture) : "at least 2")} classes, got [{string.Join(", ", logits.shape)}].", name);
        }

        Guard.Finite(logits, name);
    }

    private static void CheckLabels(Tensor? labels, long batch, int classes, CimLossKind kind)
    {
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        if (labels.is_floating_point())
        {
            if (labels.Dimensions != 2 || labels.shape[0] != batch || labels.shape[1] != classes)
            {
                throw new ArgumentException($"multi-hot labels must have shape [{batch}, {classes}] to match the logits, got [{string.Join(", ", labels.shape)}].", nameof(labels));
            }

            Guard.Finite(labels, nameof(labels));
            if (labels.lt(0).any().item<bool>() || labels.gt(1).any().item<bool>())
            {
                throw new ArgumentException("multi-hot labels must lie in [0, 1].", nameof(labels));
            }

            if (kind == CimLossKind.L2 && labels.sum(1).le(0).any().item<bool>())
            {
                throw new ArgumentException("multi-hot labels have a row without any positive class; the L2 loss needs a target distribution y / Σ y.", nameof(labels));
            }

            return;
        }

        if (labels.dtype == ScalarType.Bool || labels.is_complex())
        {
            throw new ArgumentException($"labels must be class indices (integer [B]) or multi-hot targets (floating [B, C]), got {labels.dtype}.", nameof(labels));
        }

        if (labels.Dimensions != 1 || labels.shape[0] != batch)
        {
            throw new ArgumentException($"class-index labels must have shape [{batch}] to match the logits' batch size, got [{string.Join(", ", labels.shape)}].", nameof(labels));
        }

        if (labels.lt(0).any().item<bool>() || labels.ge(classes).any().item<bool>())
        {
            throw new ArgumentException($"labels must lie in [0, {classes}); got values from {labels.min().to(ScalarType.Int64).item<long>()} to {labels.max().to(ScalarType.Int64).item<long>()}.", nameof(labels));
        }
    }
}
