// Options of VSCNet's multi-view fusion (Meng et al., AAAI 2025, eq. 14 and the text before it):
// F_e = F_c ⊕ F_v (linear projection of both, then add), P_e = φ(F_e), P_f = Softmax(P_e) ⊗ Softmax(P_k).
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Vscnet.Fusion;

/// <summary>Options for <see cref="MultiViewFusion"/>.</summary>
/// <remarks>
/// Eq. 14 reads <c>P_f = Softmax(P_e) ⊗ Softmax(P_k)</c> with ⊗ "the summation of predictions";
/// we compute <c>P_f = w_e·softmax(P_e) + w_k·K(P_k)</c> where K is the identity for
/// probabilities (softmax of a probability vector would flatten it, which eq. 14 cannot intend
/// for a vote that already is a distribution) and softmax for logits, optionally after reducing
/// P_k to its top-1 one-hot decision. Paper: w_e = w_k = 1, s_c = s_v = 1.
/// <see cref="AuthorsCode"/> gives the choices of the authors' public code (yibuxulong/Fine-grained-visual-semantic-causal).
/// </remarks>
public sealed class FusionOptions
{
    /// <summary>Gets or sets the width H of the causal feature F_c.</summary>
    /// <value>Default 0: must be set (&gt; 0).</value>
    [Range(1, long.MaxValue)]
    public long CausalFeatures { get; set; }

    /// <summary>Gets or sets the width D_v of the global visual feature F_v.</summary>
    /// <value>Default 0: must be set (&gt; 0).</value>
    [Range(1, long.MaxValue)]
    public long VisualFeatures { get; set; }

    /// <summary>Gets or sets the common width W of the two projections (the width of F_e); 0 = the visual width D_v.</summary>
    /// <value>Default 0, i.e. W = D_v (the paper does not give it; the authors' code projects both views to D_v).</value>
    [Range(0, long.MaxValue)]
    public long FusedFeatures { get; set; }

    /// <summary>Gets or sets the number of classes C.</summary>
    /// <value>Default 0: must be set (≥ 2).</value>
    [Range(2, int.MaxValue)]
    public int Classes { get; set; }

    /// <summary>Gets or sets s_c, the factor on the projected causal feature: F_e = s_c·Lin(F_c) + s_v·Lin(F_v).</summary>
    /// <value>Default 1 (the paper's plain add); the authors' code uses 0.6 (its <c>beta</c> on the graph branch).</value>
    [Range(0.0, double.MaxValue)]
    public double CausalScale { get; set; } = 1.0;

    /// <summary>Gets or sets s_v, the factor on the projected visual feature.</summary>
    /// <value>Default 1 (the paper's plain add); the authors' code uses 0.4 (1 − beta).</value>
    [Range(0.0, double.MaxValue)]
    public double VisualScale { get; set; } = 1.0;

    /// <summary>Gets or sets w_e, the weight of softmax(P_e) in P_f.</summary>
    /// <value>Default 1 (eq. 14); the authors' code 0.7 (1 − beta_fusion).</value>
    [Range(0.0, double.MaxValue)]
    public double EvidenceWeight { get; set; } = 1.0;

    /// <summary>Gets or sets w_k, the weight of the hierarchy's vote in P_f.</summary>
    /// <value>Default 1 (eq. 14); the authors' code blends the hierarchy's decision with 0.3 (beta_fusion) at test time.</value>
    [Range(0.0, double.MaxValue)]
    public double KnowledgeWeight { get; set; } = 1.0;

    /// <summary>Gets or sets how P_k is given.</summary>
    /// <value>Default <see cref="KnowledgeInput.Probabilities"/>.</value>
    [EnumDataType(typeof(KnowledgeInput))]
    public KnowledgeInput Knowledge { get; set; } = KnowledgeInput.Probabilities;

    /// <summary>
    /// Gets or sets a value indicating whether P_k is first reduced to the hierarchy's top-1 decision
    /// (the one-hot of its argmax); <see cref="Knowledge"/> then applies to that one-hot
    /// (<see cref="KnowledgeInput.Logits"/>: softmax(one_hot), which is what the authors' code computes).
    /// </summary>
    /// <value>Default <c>false</c> (eq. 14 sums the distributions); the authors' code blends the top-1 decision.</value>
    public bool KnowledgeTopOne { get; set; }

    /// <summary>
    /// The authors' public code (yibuxulong/Fine-grained-visual-semantic-causal, FeatureFusion and test.py):
    /// F_e = 0.6·Lin(F_c) + 0.4·Lin(F_v) at width D_v, P_f = 0.7·softmax(P_e) + 0.3·softmax(one_hot(argmax P_k)).
    /// </summary>
    /// <param name="causalFeatures">Width of F_c.</param>
    /// <param name="visualFeatures">Width of F_v.</param>
    /// <param name="classes">Number of classes.</param>
    /// <returns>New options.</returns>
    public static FusionOptions AuthorsCode(long causalFeatures, long visualFeatures, int classes) => new()
    {
        CausalFeatures = causalFeatures,
        VisualFeatures = visualFeatures,
        Classes = classes,
        FusedFeatures = 0,
        CausalScale = 0.6,
        VisualScale = 0.4,
        EvidenceWeight = 0.7,
        KnowledgeWeight = 0.3,
        Knowledge = KnowledgeInput.Logits,
        KnowledgeTopOne = true,
    };

    /// <summary>Checks every option (the attribute rules, via <see cref="FusionOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new FusionOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="FusionOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class FusionOptionsValidator : IValidateOptions<FusionOptions>
{
}
