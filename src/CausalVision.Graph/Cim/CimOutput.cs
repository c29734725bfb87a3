// Output of VSCNet's CIM module (Meng et al., AAAI 2025, eq. 10-13): the three features, the three
// classifier outputs, the masks (for explanations) and the confounder pairing that was used.
using static TorchSharp.torch;

namespace CausalVision.Graph.Cim;

/// <summary>What <see cref="CimModule"/> computes for one batch; owns its tensors.</summary>
/// <remarks>
/// Shapes: features [B, H] (F_m: [B, 2H] with <see cref="CimInterventionMode.Concat"/>), logits [B, C],
/// node mask [B, N, 2], edge mask [B, N, N, 2] (column 1 = causal, as <see cref="Masks.CausalGraphSplitResult"/>),
/// permutation [B] int64 or null.
/// </remarks>
public sealed class CimOutput : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="CimOutput"/> class and takes ownership of the tensors.</summary>
    /// <param name="causalFeatures">F_c = δ_c(G_c).</param>
    /// <param name="trivialFeatures">F_n = δ_n(G_n).</param>
    /// <param name="interventionFeatures">F_m.</param>
    /// <param name="causalLogits">f_c(F_c).</param>
    /// <param name="trivialLogits">f_n(F_n).</param>
    /// <param name="interventionLogits">f_m(F_m).</param>
    /// <param name="nodeMask">Node mask [B, N, 2].</param>
    /// <param name="edgeMask">Edge mask [B, N, N, 2].</param>
    /// <param name="permutation">The pairing (null for <see cref="CimConfounders.BatchMean"/>).</param>
    /// <param name="confounders">The confounders used.</param>
    public CimOutput(Tensor causalFeatures, Tensor trivialFeatures, Tensor interventionFeatures, Tensor causalLogits, Tensor trivialLogits, Tensor interventionLogits, Tensor nodeMask, Tensor edgeMask, Tensor? permutation, CimConfounders confounders)
    {
        CausalFeatures = causalFeatures ?? throw new ArgumentNullException(nameof(causalFeatures));
        TrivialFeatures = trivialFeatures ?? throw new ArgumentNullException(nameof(trivialFeatures));
        InterventionFeatures = interventionFeatures ?? throw new ArgumentNullException(nameof(interventionFeatures));
        CausalLogits = causalLogits ?? throw new ArgumentNullException(nameof(causalLogits));
        TrivialLogits = trivialLogits ?? throw new ArgumentNullException(nameof(trivialLogits));
        InterventionLogits = interventionLogits ?? throw new ArgumentNullException(nameof(interventionLogits));
        NodeMask = nodeMask ?? throw new ArgumentNullException(nameof(nodeMask));
        EdgeMask = edgeMask ?? throw new ArgumentNullException(nameof(edgeMask));
        Permutation = permutation;
        Confounders = confounders;
    }

    /// <summary>Gets the causal feature F_c [B, H] (the one fused with F_v in eq. 14).</summary>
    public Tensor CausalFeatures { get; }

    /// <summary>Gets the non-causal feature F_n [B, H].</summary>
    public Tensor TrivialFeatures { get; }

    /// <summary>Gets the intervened feature F_m [B, H] (Add) or [B, 2H] (Concat).</summary>
    public Tensor InterventionFeatures { get; }

    /// <summary>Gets f_c(F_c) [B, C]: CIM's own class prediction.</summary>
    public Tensor CausalLogits { get; }

    /// <summary>Gets f_n(F_n) [B, C] (trained towards the uniform distribution).</summary>
    public Tensor TrivialLogits { get; }

    /// <summary>Gets f_m(F_m) [B, C].</summary>
    public Tensor InterventionLogits { get; }

    /// <summary>Gets the node mask [B, N, 2] (column 1 = M_X, causal; 0 on padding).</summary>
    public Tensor NodeMask { get; }

    /// <summary>Gets the edge mask [B, N, N, 2] (column 1 = M_A, causal; 0 on pairs touching padding).</summary>
    public Tensor EdgeMask { get; }

    /// <summary>Gets the pairing [B] (int64): sample i was combined with <c>F_n[Permutation[i]]</c>; identity for
    /// <see cref="CimConfounders.None"/>, null for <see cref="CimConfounders.BatchMean"/>.</summary>
    public Tensor? Permutation { get; }

    /// <summary>Gets the confounders that were used for F_m.</summary>
    public CimConfounders Confounders { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        CausalFeatures.Dispose();
        TrivialFeatures.Dispose();
        InterventionFeatures.Dispose();
        CausalLogits.Dispose();
        TrivialLogits.Dispose();
        InterventionLogits.Dispose();
        NodeMask.Dispose();
        EdgeMask.Dispose();
        Permutation?.Dispose();
    }
}
