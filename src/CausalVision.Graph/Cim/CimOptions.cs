// Options of VSCNet's CIM module (Meng et al., "Causal Inference over Visual-Semantic-Aligned
// Graph for Image Classification", AAAI 2025, eq. 10-13). The paper gives the loss (eq. 13,
// weight 1 per term, L2 for the supervised terms) but no sizes; the authors' code has no CIM, so
// the architecture defaults follow CAL (Sui et al., KDD 2022; yongduosui/CAL).
using System.ComponentModel.DataAnnotations;
using CausalVision.Graph.Conv;
using CausalVision.Graph.Readout;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Graph.Cim;

/// <summary>Options for <see cref="CimModule"/> and <see cref="CimLoss"/>.</summary>
/// <remarks>
/// Defaults follow the paper where it says something (eq. 13: L2 terms, unit weights; the
/// intervention pairs a graph with non-causal features "from other graphs") and CAL where it
/// does not (hidden 128, BatchNorm → GCN → ReLU, sum readout, mask layers reading GCN states).
/// <see cref="Cal"/> returns CAL's own training recipe.
/// </remarks>
public sealed class CimOptions
{
    /// <summary>Gets or sets the node feature width D of G_h.</summary>
    /// <value>Default 0: must be set (&gt; 0).</value>
    [Range(1, long.MaxValue)]
    public long InFeatures { get; set; }

    /// <summary>Gets or sets the number of classes C.</summary>
    /// <value>Default 0: must be set (≥ 2).</value>
    [Range(2, int.MaxValue)]
    public int Classes { get; set; }

    /// <summary>Gets or sets the width H of F_c and F_n (and of the mask encoder).</summary>
    /// <value>Default 128 (CAL's <c>--hidden</c>).</value>
    [Range(1, long.MaxValue)]
    public long HiddenFeatures { get; set; } = 128;

    /// <summary>Gets or sets the number of GCN layers of each branch encoder δ_c and δ_n.</summary>
    /// <value>Default 1 (CAL's per-branch encoder; the paper says "GCN layers").</value>
    [Range(1, 64)]
    public int Layers { get; set; } = 1;

    /// <summary>
    /// Gets or sets the number of GCN layers that encode G_h into the node states the masks read.
    /// 0 = the masks read the node features X directly.
    /// </summary>
    /// <value>Default 1 (CAL computes its masks from GCN-encoded node states; the paper only says "self-learning masks").</value>
    [Range(0, 64)]
    public int MaskEncoderLayers { get; set; } = 1;

    /// <summary>Gets or sets the normalisation inside the GCN encoders.</summary>
    /// <value>Default <see cref="GcnNorm.BatchNorm"/> (CAL).</value>
    [EnumDataType(typeof(GcnNorm))]
    public GcnNorm Norm { get; set; } = GcnNorm.BatchNorm;

    /// <summary>Gets or sets the readout of δ_c and δ_n.</summary>
    /// <value>Default <see cref="ReadoutKind.Sum"/> (CAL's global_add_pool).</value>
    [EnumDataType(typeof(ReadoutKind))]
    public ReadoutKind Readout { get; set; } = ReadoutKind.Sum;

    /// <summary>Gets or sets the classifiers f_c, f_n, f_m.</summary>
    /// <value>Default <see cref="CimHeadKind.Linear"/> (the paper: "classifiers"); CAL uses <see cref="CimHeadKind.Mlp"/>.</value>
    [EnumDataType(typeof(CimHeadKind))]
    public CimHeadKind Head { get; set; } = CimHeadKind.Linear;

    /// <summary>Gets or sets the loss of the causal and intervened terms.</summary>
    /// <value>Default <see cref="CimLossKind.L2"/> (eq. 13); CAL uses <see cref="CimLossKind.CrossEntropy"/>.</value>
    [EnumDataType(typeof(CimLossKind))]
    public CimLossKind LossKind { get; set; } = CimLossKind.L2;

    /// <summary>Gets or sets the direction of the KL-to-uniform term.</summary>
    /// <value>Default <see cref="CimKlDirection.PredictionToUniform"/>; CAL computes <see cref="CimKlDirection.UniformToPrediction"/>.</value>
    [EnumDataType(typeof(CimKlDirection))]
    public CimKlDirection KlDirection { get; set; } = CimKlDirection.PredictionToUniform;

    /// <summary>Gets or sets the weight of the KL term KL(f_n(F_n), U).</summary>
    /// <value>Default 1 (eq. 13); CAL 0.5.</value>
    [Range(0.0, double.MaxValue)]
    public double KlWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the weight of the causal term loss(f_c(F_c), y).</summary>
    /// <value>Default 1 (eq. 13 and CAL).</value>
    [Range(0.0, double.MaxValue)]
    public double CausalWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the weight of the intervened term loss(f_m(F_m), y).</summary>
    /// <value>Default 1 (eq. 13); CAL 0.5.</value>
    [Range(0.0, double.MaxValue)]
    public double InterventionWeight { get; set; } = 1.0;

    /// <summary>Gets or sets where the node mask acts relative to the encoders' normalisation.</summary>
    /// <value>Default <see cref="CimMaskPlacement.BeforeNorm"/> (eq. 10-11 literally, CAL's order);
    /// <see cref="CimMaskPlacement.AfterNorm"/> lets the mask survive BatchNorm.</value>
    [EnumDataType(typeof(CimMaskPlacement))]
    public CimMaskPlacement MaskPlacement { get; set; } = CimMaskPlacement.BeforeNorm;

    /// <summary>Gets or sets the objective of the non-causal branch.</summary>
    /// <value>Default <see cref="CimTrivialObjective.KlToUniform"/> (eq. 13); <see cref="CimTrivialObjective.GeneralizedCrossEntropy"/>
    /// is DisC's (Fan et al., NeurIPS 2022). With GCE, <see cref="KlWeight"/> weights the GCE term.</value>
    [EnumDataType(typeof(CimTrivialObjective))]
    public CimTrivialObjective TrivialObjective { get; set; } = CimTrivialObjective.KlToUniform;

    /// <summary>Gets or sets the exponent q of the generalized cross-entropy <c>(1 - p_y^q) / q</c>.</summary>
    /// <value>Default 0.7 (DisC and Zhang &amp; Sabuncu's default).</value>
    [Range(1e-3, 1.0)]
    public double GceQ { get; set; } = 0.7;

    /// <summary>Gets or sets the node-mask budget r: the share of a graph's nodes the causal graph may keep on average
    /// before the budget term costs.</summary>
    /// <value>Default 0.5. Used only when <see cref="MaskBudgetWeight"/> &gt; 0.</value>
    [Range(1e-3, 1.0 - 1e-3)]
    public double MaskBudget { get; set; } = 0.5;

    /// <summary>
    /// Gets or sets the weight of the mask budget term <c>mean_b max(mean_nodes(M_X) - r, 0)</c> (ours; a one-sided form
    /// of GSAT's budget, Miao et al., ICML 2022, and of GNNExplainer's size penalty; see <see cref="CimLoss.MaskBudgetTerm"/>).
    /// It makes keeping nodes beyond the budget cost something, so the causal graph keeps the nodes the causal term needs
    /// most. GSAT's two-sided <c>KL(Bern(m) ‖ Bern(r))</c> pulled every node to r in our toy test (no separation).
    /// </summary>
    /// <value>Default 0 (neither the paper nor CAL has it).</value>
    [Range(0.0, double.MaxValue)]
    public double MaskBudgetWeight { get; set; }

    /// <summary>
    /// Creates options in which the masks select (ours): the masks read the node features X directly (a GCN over a dense
    /// graph gives every node nearly the same state, hence the same mask), act after the normalisation, and a node-mask
    /// budget r = 0.3 (weight 1) makes keeping nodes cost; eq. 13's KL-to-uniform with CAL's cross-entropy terms.
    /// Everything else keeps its default. In the toy test (one causal node, one node tied to the class 90 % of the time)
    /// this keeps the causal node (mask 0.87) and drops the shortcut one (0.23); the paper's literal form ends with both at
    /// 1.00.
    /// </summary>
    /// <param name="inFeatures">Node feature width D.</param>
    /// <param name="classes">Number of classes C.</param>
    /// <returns>New options.</returns>
    public static CimOptions Selective(long inFeatures, int classes) => new()
    {
        InFeatures = inFeatures,
        Classes = classes,
        MaskEncoderLayers = 0,
        MaskPlacement = CimMaskPlacement.AfterNorm,
        LossKind = CimLossKind.CrossEntropy,
        MaskBudget = 0.3,
        MaskBudgetWeight = 1.0,
    };

    /// <summary>
    /// Creates the <see cref="Selective(long, int)"/> options with <see cref="InFeatures"/> and <see cref="Classes"/> left
    /// unset (0, as a new instance has them), for a host that derives them (e.g. VSCNet's options).
    /// </summary>
    /// <returns>New options.</returns>
    public static CimOptions Selective() => Selective(0, 0);

    /// <summary>Gets or sets how F_c and the confounder feature are combined into F_m.</summary>
    /// <value>Default <see cref="CimInterventionMode.Add"/> (CAL's default).</value>
    [EnumDataType(typeof(CimInterventionMode))]
    public CimInterventionMode InterventionMode { get; set; } = CimInterventionMode.Add;

    /// <summary>Gets or sets the confounders used in training mode.</summary>
    /// <value>Default <see cref="CimConfounders.RandomPermutation"/> (CAL; the paper's implicit backdoor adjustment).</value>
    [EnumDataType(typeof(CimConfounders))]
    public CimConfounders TrainingConfounders { get; set; } = CimConfounders.RandomPermutation;

    /// <summary>Gets or sets the confounders used in evaluation mode.</summary>
    /// <value>Default <see cref="CimConfounders.None"/>: the prediction is f_c(F_c) and nothing depends on the rest of the batch.</value>
    [EnumDataType(typeof(CimConfounders))]
    public CimConfounders EvaluationConfounders { get; set; } = CimConfounders.None;

    /// <summary>
    /// Gets or sets a value indicating whether a random permutation must pair every sample with
    /// another one (a random cyclic derangement) rather than any permutation.
    /// </summary>
    /// <value>Default <c>true</c>: eq. 12's text integrates F_c "with non-causal features F_n from other graphs";
    /// CAL's plain shuffle (false) may pair a graph with itself. Ignored for a batch of 1.</value>
    public bool ExcludeSelfPairing { get; set; } = true;

    /// <summary>Gets or sets the seed of the module's own permutation generator; null = torch's global generator (<c>torch.manual_seed</c>).</summary>
    /// <value>Default null.</value>
    public long? Seed { get; set; }

    /// <summary>CAL's recipe: MLP heads, cross-entropy, KL(U ‖ p), weights 0.5 / 1.0 / 0.5, plain shuffle.</summary>
    /// <param name="inFeatures">Node feature width D.</param>
    /// <param name="classes">Number of classes C.</param>
    /// <returns>New options (the rest at their defaults).</returns>
    public static CimOptions Cal(long inFeatures, int classes) => new()
    {
        InFeatures = inFeatures,
        Classes = classes,
        Head = CimHeadKind.Mlp,
        LossKind = CimLossKind.CrossEntropy,
        KlDirection = CimKlDirection.UniformToPrediction,
        KlWeight = 0.5,
        CausalWeight = 1.0,
        InterventionWeight = 0.5,
        ExcludeSelfPairing = false,
    };

    /// <summary>Checks every option (the attribute rules, via <see cref="CimOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new CimOptionsValidator(), this);

    /// <summary>Options of a GCN encoder of this module.</summary>
    internal GcnEncoderOptions EncoderOptions(int layers, bool normalizeInput = true) => new()
    {
        NormalizeInput = normalizeInput,
        InFeatures = InFeatures,
        HiddenFeatures = HiddenFeatures,
        Layers = layers,
        Norm = Norm,
        Readout = Readout,
    };
}

/// <summary>Source-generated validator of <see cref="CimOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class CimOptionsValidator : IValidateOptions<CimOptions>
{
}
