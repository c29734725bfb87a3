// Causal inference with graphical masking (CIM): VSCNet (Meng et al., "Causal Inference over
// Visual-Semantic-Aligned Graph for Image Classification", AAAI 2025), eq. 10-12 and the text
// around them. The authors' public code has no CIM; where the paper is vague this follows CAL
// (Sui et al., "Causal Attention for Interpretable and Generalizable Graph Classification",
// KDD 2022; yongduosui/CAL model.py), as the comments say.
using CausalVision.Runtime;
using CausalVision.Graph.Conv;
using CausalVision.Graph.Hetero;
using CausalVision.Graph.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Graph.Cim;

/// <summary>
/// VSCNet's CIM module: learned node/edge masks split G_h into G_c and G_n (eq. 10-11), two GCN
/// encoders give F_c = δ_c(G_c) and F_n = δ_n(G_n), classifiers f_c, f_n, f_m read F_c, F_n and
/// the intervened feature F_m (eq. 12, approximated as CAL does).
/// </summary>
/// <remarks>
/// <para><b>Masks.</b> <c>M_X</c>, <c>M_A</c> come from <see cref="CausalGraphSplit"/>. They read
/// <c>maskFeatures</c> when given; otherwise the node states of a small GCN over G_h
/// (<see cref="CimOptions.MaskEncoderLayers"/> layers, CAL's choice: its masks read GCN-encoded
/// states), or X itself when that is 0. As eq. 10-11 say, the masks multiply the graph's own X and A
/// (CAL multiplies its encoded states instead).</para>
/// <para><b>Intervention (eq. 12).</b> The backdoor sum over confounders n is approximated at the
/// representation level (the paper's "implicit intervention", CAL's method): sample i's F_c is
/// combined with the non-causal feature of another sample, <c>F_m[i] = F_c[i] + F_n[perm[i]]</c>
/// (<see cref="CimInterventionMode.Add"/>) or <c>[F_c[i]; F_n[perm[i]]]</c> (Concat), perm a random
/// permutation of the batch (a cyclic derangement when <see cref="CimOptions.ExcludeSelfPairing"/>);
/// or with the batch mean of F_n. Training mode uses <see cref="CimOptions.TrainingConfounders"/>,
/// evaluation mode <see cref="CimOptions.EvaluationConfounders"/> (default None: identity pairing,
/// so no sample's outputs depend on the rest of the batch). Gradients of f_m flow into both
/// encoders (CAL does not detach either side).</para>
/// <para><b>Prediction.</b> CIM's class prediction is f_c(F_c) (CAL evaluates its causal branch);
/// VSCNet fuses F_c with the global feature F_v (eq. 14, <c>CausalVision.Vscnet.Fusion.MultiViewFusion</c> in the CausalVision package).</para>
/// <para><b>Mask placement.</b> With <see cref="CimMaskPlacement.AfterNorm"/> X is normalised once over the real nodes
/// (<c>input_norm</c>) before the masks multiply it, and the branch encoders skip their first normalisation, so a mask
/// of 0 removes a node instead of turning it into <c>-mean / std</c>.</para>
/// <para>State-dict keys: <c>mask_encoder.*</c> (absent when 0 layers), <c>input_norm.*</c> (masks after the norm only), <c>split.*</c>,
/// <c>causal_encoder.*</c>, <c>trivial_encoder.*</c>, <c>causal_head.*</c>, <c>trivial_head.*</c>,
/// <c>intervention_head.*</c>.</para>
/// Shapes:
/// <list type="bullet">
/// <item>graph: X [B, N, D], A [B, N, N], mask [B, N]; maskFeatures: [B, N, H_m] or null
/// (H_m = <see cref="MaskFeatures"/>: H with a mask encoder, else D).</item>
/// <item>permutation (optional): [B] integer, a permutation of 0..B−1.</item>
/// <item>output: <see cref="CimOutput"/> (F_c, F_n [B, H]; F_m [B, H] or [B, 2H]; logits [B, C]).</item>
/// </list>
/// </remarks>
public sealed class CimModule : nn.Module<HeteroGraphBatch, Tensor?, CimOutput>
{
    private readonly GcnEncoder? mask_encoder;
    private readonly CausalGraphSplit split;
    private readonly GcnEncoder causal_encoder;
    private readonly GcnEncoder trivial_encoder;
    private readonly nn.Module<Tensor, Tensor> causal_head;
    private readonly nn.Module<Tensor, Tensor> trivial_head;
    private readonly nn.Module<Tensor, Tensor> intervention_head;
    private readonly nn.Module<Tensor, Tensor>? input_norm;
    private Generator? generator;

    /// <summary>Initializes a new instance of the <see cref="CimModule"/> class.</summary>
    /// <param name="options">The options (validated here; a copy of the values is kept).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="dtype">Parameter dtype (default float32).</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public CimModule(CimOptions options, Device? device = null, ScalarType? dtype = null)
        : base(nameof(CimModule))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        InFeatures = options.InFeatures;
        HiddenFeatures = options.HiddenFeatures;
        Classes = options.Classes;
        InterventionMode = options.InterventionMode;
        Head = options.Head;
        TrainingConfounders = options.TrainingConfounders;
        EvaluationConfounders = options.EvaluationConfounders;
        ExcludeSelfPairing = options.ExcludeSelfPairing;
        if (options.MaskEncoderLayers > 0)
        {
            // Sum readout: parameter-free, unused here (only the node states feed the masks).
            var maskOptions = options.EncoderOptions(options.MaskEncoderLayers);
            maskOptions.Readout = Readout.ReadoutKind.Sum;
            mask_encoder = new GcnEncoder(maskOptions, device, dtype);
        }

        MaskFeatures = options.MaskEncoderLayers > 0 ? options.HiddenFeatures : options.InFeatures;
        split = new CausalGraphSplit(MaskFeatures, device, dtype);
        MaskPlacement = options.MaskPlacement;
        NormKind = options.Norm;
        var afterNorm = options.MaskPlacement == CimMaskPlacement.AfterNorm && options.Norm != GcnNorm.None;
        if (afterNorm)
        {
            input_norm = options.Norm == GcnNorm.BatchNorm
                ? GcnEncoder.InitBatchNorm(nn.BatchNorm1d(options.InFeatures, device: device, dtype: dtype))
                : nn.LayerNorm(options.InFeatures, device: device, dtype: dtype);
        }

        causal_encoder = new GcnEncoder(options.EncoderOptions(options.Layers, normalizeInput: !afterNorm), device, dtype);
        trivial_encoder = new GcnEncoder(options.EncoderOptions(options.Layers, normalizeInput: !afterNorm), device, dtype);
        var h = options.HiddenFeatures;
        causal_head = CreateHead(options.Head, h, h, options.Classes, device, dtype);
        trivial_head = CreateHead(options.Head, h, h, options.Classes, device, dtype);
        intervention_head = CreateHead(options.Head, options.InterventionMode == CimInterventionMode.Concat ? 2 * h : h, h, options.Classes, device, dtype);
        if (options.Seed is long seed)
        {
            generator = new Generator(unchecked((ulong)seed));
        }

        RegisterComponents();
    }

    /// <summary>Gets the node feature width D.</summary>
    public long InFeatures { get; }

    /// <summary>Gets where the node mask acts relative to the normalisation.</summary>
    public CimMaskPlacement MaskPlacement { get; }

    /// <summary>Gets the normalisation kind of the encoders (and of the shared input norm with masks after it).</summary>
    public GcnNorm NormKind { get; }

    /// <summary>Gets the width H of F_c and F_n.</summary>
    public long HiddenFeatures { get; }

    /// <summary>Gets the width H_m of the features the masks read (H with a mask encoder, else D).</summary>
    public long MaskFeatures { get; }

    /// <summary>Gets the number of classes C.</summary>
    public int Classes { get; }

    /// <summary>Gets the kind of the classifiers f_c, f_n, f_m.</summary>
    public CimHeadKind Head { get; }

    /// <summary>Gets how F_m is formed.</summary>
    public CimInterventionMode InterventionMode { get; }

    /// <summary>Gets the confounders used in training mode.</summary>
    public CimConfounders TrainingConfounders { get; }

    /// <summary>Gets the confounders used in evaluation mode.</summary>
    public CimConfounders EvaluationConfounders { get; }

    /// <summary>Gets a value indicating whether random pairings avoid pairing a sample with itself.</summary>
    public bool ExcludeSelfPairing { get; }

    /// <summary>Restarts the module's own permutation generator from <paramref name="seed"/> (e.g. when resuming).</summary>
    /// <param name="seed">The seed.</param>
    public void Reseed(long seed)
    {
        generator?.Dispose();
        generator = new Generator(unchecked((ulong)seed));
    }

    /// <summary>Runs CIM with the confounders of the current mode (training / evaluation).</summary>
    /// <param name="graph">G_h.</param>
    /// <param name="maskFeatures">Features [B, N, H_m] the masks read, or null (see the remarks).</param>
    /// <returns>The output (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Bad shapes, an empty batch, or NaN/Inf inputs.</exception>
    public override CimOutput forward(HeteroGraphBatch graph, Tensor? maskFeatures) => forward(graph, maskFeatures, null);

    /// <summary>Runs CIM, pairing sample i with <c>F_n[permutation[i]]</c> when a permutation is given (any mode).</summary>
    /// <param name="graph">G_h.</param>
    /// <param name="maskFeatures">Features [B, N, H_m] the masks read, or null.</param>
    /// <param name="permutation">A permutation [B] of 0..B−1, or null to use the mode's confounders.</param>
    /// <returns>The output (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Bad shapes, an empty batch, NaN/Inf inputs, a permutation that is not one,
    /// or a batch of 1 in training mode with <see cref="CimHeadKind.Mlp"/> heads.</exception>
    public CimOutput forward(HeteroGraphBatch graph, Tensor? maskFeatures, Tensor? permutation)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var b = graph.BatchSize;
        if (b == 0 || graph.MaxNodes == 0)
        {
            throw new ArgumentException($"graph is empty ([{b}, {graph.MaxNodes}] nodes); CIM needs at least one graph with nodes.", nameof(graph));
        }

        if (graph.Features != InFeatures)
        {
            throw new ArgumentException($"graph.X has {graph.Features} features per node but this CimModule expects {InFeatures}.", nameof(graph));
        }

        if (training && b == 1 && Head == CimHeadKind.Mlp)
        {
            throw new ArgumentException("CimModule with MLP heads (BatchNorm) needs at least 2 graphs per batch in training mode; got 1. Use eval() or a larger batch.", nameof(graph));
        }

        Guard.Finite(graph.X, "graph.X");
        Guard.Finite(graph.Adjacency, "graph.Adjacency");
        if (maskFeatures is not null)
        {
            Guard.NodeFeatures(maskFeatures, nameof(maskFeatures));
        }

        if (permutation is not null)
        {
            CheckPermutation(permutation, b);
        }

        var confounders = permutation is not null ? CimConfounders.RandomPermutation : (training ? TrainingConfounders : EvaluationConfounders);
        using var scope = NewDisposeScope();
        var h = maskFeatures ?? mask_encoder?.EncodeNodes(graph.X, graph.Adjacency, graph.Mask);

        // The split result and its graphs (aliases of graph's types and mask included) belong to
        // this scope; only the masks are moved out.
        var toSplit = graph;
        if (input_norm is not null)
        {
            // Masks after the normalisation: normalise X over the real nodes once, then let the split mask it.
            toSplit = graph.With(GcnEncoder.ApplyNorm(NormKind, input_norm, graph.X, graph.Mask), graph.Adjacency.alias());
        }

        var parts = split.call(toSplit, h);
        var fc = causal_encoder.call(parts.Causal);
        var fn = trivial_encoder.call(parts.Trivial);
        var zc = causal_head.call(fc);
        var zn = trivial_head.call(fn);

        Tensor? perm = null;
        Tensor confounder;
        switch (confounders)
        {
            case CimConfounders.BatchMean:
                confounder = fn.mean(new long[] { 0 }, keepdim: true).expand(b, fn.shape[1]);
                break;
            case CimConfounders.None:
                perm = arange(b, ScalarType.Int64, fc.device);
                confounder = fn;
                break;
            default:
                perm = permutation is not null ? permutation.to(ScalarType.Int64).to(fc.device).clone() : SamplePermutation(b, fc.device);
                confounder = fn.index_select(0, perm);
                break;
        }

        var fm = InterventionMode == CimInterventionMode.Add ? ScalarSafe.Add(fc, confounder) : cat(new[] { fc, confounder }, 1);
        var zm = intervention_head.call(fm);
        return new CimOutput(
            fc.MoveToOuterDisposeScope(),
            fn.MoveToOuterDisposeScope(),
            fm.MoveToOuterDisposeScope(),
            zc.MoveToOuterDisposeScope(),
            zn.MoveToOuterDisposeScope(),
            zm.MoveToOuterDisposeScope(),
            parts.NodeMask.MoveToOuterDisposeScope(),
            parts.EdgeMask.MoveToOuterDisposeScope(),
            perm?.MoveToOuterDisposeScope(),
            confounders);
    }

    /// <summary>Runs CIM on G_h, the masks reading the mask encoder's states (or X).</summary>
    /// <param name="graph">G_h.</param>
    /// <returns>The output.</returns>
    public CimOutput call(HeteroGraphBatch graph) => call(graph, null);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            mask_encoder?.Dispose();
            split.Dispose();
            causal_encoder.Dispose();
            trivial_encoder.Dispose();
            causal_head.Dispose();
            trivial_head.Dispose();
            intervention_head.Dispose();
            input_norm?.Dispose();
            generator?.Dispose();
            generator = null;
        }

        base.Dispose(disposing);
    }

    private static nn.Module<Tensor, Tensor> CreateHead(CimHeadKind kind, long input, long hidden, long classes, Device? device, ScalarType? dtype)
    {
        if (kind == CimHeadKind.Linear)
        {
            return nn.Linear(input, classes, device: device, dtype: dtype);
        }

        // CAL's readout MLP: BN -> Linear(in->H) -> ReLU -> BN -> Linear(H->C); BN weight 1, bias 1e-4 as CAL.
        var bn1 = nn.BatchNorm1d(input, device: device, dtype: dtype);
        var bn2 = nn.BatchNorm1d(hidden, device: device, dtype: dtype);
        using (no_grad())
        {
            foreach (var bn in new[] { bn1, bn2 })
            {
                bn.weight!.fill_(1.0);
                bn.bias!.fill_(1e-4);
            }
        }

        return nn.Sequential(
            ("bn1", bn1),
            ("fc1", nn.Linear(input, hidden, device: device, dtype: dtype)),
            ("relu", nn.ReLU()),
            ("bn2", bn2),
            ("fc2", nn.Linear(hidden, classes, device: device, dtype: dtype)));
    }

    private static void CheckPermutation(Tensor permutation, long b)
    {
        if (permutation.Dimensions != 1 || permutation.shape[0] != b)
        {
            throw new ArgumentException($"permutation must have shape [{b}] (one index per graph), got [{string.Join(", ", permutation.shape)}].", nameof(permutation));
        }

        if (permutation.is_floating_point() || permutation.dtype == ScalarType.Bool || permutation.is_complex())
        {
            throw new ArgumentException($"permutation must hold integer indices, got {permutation.dtype}.", nameof(permutation));
        }

        using var scope = NewDisposeScope();
        var sorted = permutation.to(ScalarType.Int64).cpu().sort().Values;
        if (!sorted.eq(arange(b, ScalarType.Int64)).all().item<bool>())
        {
            throw new ArgumentException($"permutation must contain every index 0..{b - 1} exactly once.", nameof(permutation));
        }
    }

    // A uniformly random permutation (CAL's shuffle), or, with ExcludeSelfPairing, a uniformly
    // random cyclic permutation (a single B-cycle: no graph is paired with itself).
    internal Tensor SamplePermutation(long b, Device device)
    {
        using var scope = NewDisposeScope();
        var p = randperm(b, generator: generator);
        if (ExcludeSelfPairing && b > 1)
        {
            // q[p[i]] = p[i + 1 mod B]: following the cycle p[0] -> p[1] -> ... -> p[B-1] -> p[0].
            p = zeros_like(p).scatter_(0, p, p.roll(-1, 0));
        }

        return p.to(device).MoveToOuterDisposeScope();
    }
}
