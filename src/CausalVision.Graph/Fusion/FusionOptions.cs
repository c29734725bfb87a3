// Options of VSCNet's multi-view fusion (Meng et al., AAAI 2025, eq. 14 and the text before it):
// F_e = F_c ⊕ F_v (linear projection of both, then add), P_e = φ(F_e), P_f = Softmax(P_e) ⊗ Softmax(P_k).
using System.ComponentModel.DataAnnotations;

namespace CausalVision.Graph.Fusion;

/// <summary>Options for <see cref="MultiViewFusion"/>.</summary>
/// <remarks>
/// Eq. 14 reads <c>P_f = Softmax(P_e) ⊗ Softmax(P_k)</c> with ⊗ "the summation of predictions";
/// we compute <c>P_f = w_e·softmax(P_e) + w_k·K(P_k)</c> where K is the identity for
/// probabilities (softmax of a probability vector would flatten it, which eq. 14 cannot intend
/// for a vote that already is a distribution) and softmax for logits. Paper: w_e = w_k = 1.
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

    /// <summary>Gets or sets the common width of the two projections (the width of F_e).</summary>
    /// <value>Default 512 (the paper does not give it; ResNet-18's feature width).</value>
    [Range(1, long.MaxValue)]
    public long FusedFeatures { get; set; } = 512;

    /// <summary>Gets or sets the number of classes C.</summary>
    /// <value>Default 0: must be set (≥ 2).</value>
    [Range(2, int.MaxValue)]
    public int Classes { get; set; }

    /// <summary>Gets or sets the factor on the projected causal feature: F_e = s·Lin(F_c) + Lin(F_v).</summary>
    /// <value>Default 1 (the paper's plain add); the authors' code weights the graph branch 0.6.</value>
    [Range(0.0, double.MaxValue)]
    public double CausalScale { get; set; } = 1.0;

    /// <summary>Gets or sets w_e, the weight of softmax(P_e) in P_f.</summary>
    /// <value>Default 1 (eq. 14).</value>
    [Range(0.0, double.MaxValue)]
    public double EvidenceWeight { get; set; } = 1.0;

    /// <summary>Gets or sets w_k, the weight of the hierarchy's vote in P_f.</summary>
    /// <value>Default 1 (eq. 14); the authors' code blends the hierarchy's decision with 0.3 at test time.</value>
    [Range(0.0, double.MaxValue)]
    public double KnowledgeWeight { get; set; } = 1.0;

    /// <summary>Gets or sets how P_k is given.</summary>
    /// <value>Default <see cref="KnowledgeInput.Probabilities"/>.</value>
    public KnowledgeInput Knowledge { get; set; } = KnowledgeInput.Probabilities;

    /// <summary>Gets or sets a value indicating whether only the hierarchy's top-1 decision (one-hot of its argmax) enters P_f.</summary>
    /// <value>Default <c>false</c> (eq. 14 sums the distributions); the authors' code blends the top-1 decision.</value>
    public bool KnowledgeTopOne { get; set; }

    /// <summary>The authors' public code (yibuxulong/Fine-grained-visual-semantic-causal): graph branch scaled 0.6,
    /// the hierarchy's top-1 decision blended with weight 0.3 (an additive blend here; the code's exact blend was not re-verified).</summary>
    /// <param name="causalFeatures">Width of F_c.</param>
    /// <param name="visualFeatures">Width of F_v.</param>
    /// <param name="classes">Number of classes.</param>
    /// <returns>New options.</returns>
    public static FusionOptions AuthorsCode(long causalFeatures, long visualFeatures, int classes) => new()
    {
        CausalFeatures = causalFeatures,
        VisualFeatures = visualFeatures,
        Classes = classes,
        CausalScale = 0.6,
        EvidenceWeight = 1.0,
        KnowledgeWeight = 0.3,
        KnowledgeTopOne = true,
    };

    /// <summary>Checks every option.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            var first = results[0];
            throw new ArgumentException($"Invalid FusionOptions.{string.Join(", ", first.MemberNames)}: {first.ErrorMessage}");
        }

        if (!Enum.IsDefined(Knowledge))
        {
            throw new ArgumentException("Invalid FusionOptions.Knowledge: not a defined enum value.");
        }

        foreach (var (w, name) in new[] { (CausalScale, nameof(CausalScale)), (EvidenceWeight, nameof(EvidenceWeight)), (KnowledgeWeight, nameof(KnowledgeWeight)) })
        {
            if (!double.IsFinite(w))
            {
                throw new ArgumentException($"Invalid FusionOptions.{name}: must be finite, got {w}.");
            }
        }
    }
}
