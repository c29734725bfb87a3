// Options of the paper-B causal label head ("In Pursuit of Causal Label Correlations for
// Multi-label Image Recognition", Chen, Jin, Ge, Chan). No public code exists; every default that
// the slides do not fix is marked "(choice)" and explained.
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.CausalLabels;

/// <summary>How the confounder dictionary enters <see cref="ConfounderIntervention"/>.</summary>
public enum InterventionForm
{
    /// <summary>
    /// z_i = x_i + sum_c softmax_c(W_q x_i . W_k c / sqrt(d)) P(c) W_v c per label feature, then
    /// each label query cross-attends over z_1..z_L (VC R-CNN z_dic; the default).
    /// </summary>
    Grounded,

    /// <summary>
    /// The grounded form with the weights renormalised, w_c = softmax_c(W_q x_i . W_k c / sqrt(d) + log P(c)),
    /// so that they sum to 1 and the confounder term has the scale of W_v c (VC R-CNN's weights sum
    /// to at most max_c P(c), about 1/K).
    /// </summary>
    GroundedNormalized,

    /// <summary>
    /// The slides read literally: sum_c P(c) fc2(CA(q, X + c, X + c)). Depends on the dictionary
    /// only through E_P[c] (the softmax ignores a constant added to every key).
    /// </summary>
    Literal,

    /// <summary>sum_c P(c) fc2(CA(q, LN(X + c), LN(X + c))): the literal form with a LayerNorm patch.</summary>
    LayerNorm,
}

/// <summary>Where the decoder layers put LayerNorm.</summary>
public enum NormPlacement
{
    /// <summary>After each residual add (DETR / Query2Label default, <c>pre_norm=False</c>).</summary>
    Post,

    /// <summary>Before each sub-layer (pre-norm; often more stable for deep decoders).</summary>
    Pre,
}

/// <summary>What the intervention's cross-attention uses as the query q_j of label j.</summary>
public enum InterventionQuery
{
    /// <summary>The learnable label query embedding of the decoder (shared weights; default).</summary>
    LabelEmbedding,

    /// <summary>The decoded label-specific feature x_j itself.</summary>
    LabelFeature,
}

/// <summary>How the intervened (causal) prediction fuses with the baseline prediction.</summary>
public enum CausalFusion
{
    /// <summary>logits = baseline + causal (default).</summary>
    SumLogits,

    /// <summary>sigmoid(logits) = (sigmoid(baseline) + sigmoid(causal)) / 2; returned as its logit, computed in log space without a clamp (no ties at saturation).</summary>
    AverageProbabilities,

    /// <summary>logits = (1 - w) baseline + w causal with w = sigmoid(a), a learnable scalar initialised to 0 (w = 0.5).</summary>
    LearnedWeight,

    /// <summary>logits = causal (the baseline branch is still computed and reported).</summary>
    CausalOnly,
}

/// <summary>
/// Options of <see cref="CausalLabelHead"/>: the label-query decoder ("Decouple"), the group-wise
/// baseline classifier and the confounder intervention ("Causal", NWGM backdoor adjustment).
/// </summary>
public sealed class CausalLabelOptions : IValidatableObject
{
    /// <summary>Gets or sets the number of labels L.</summary>
    /// <value>No default (0 is invalid); 80 for MS-COCO, 81 for NUS-WIDE, 171 for COCO-Stuff.</value>
    [Range(1, 100_000)]
    public int NumLabels { get; set; }

    /// <summary>Gets or sets the backbone's token dimension Dv (the input projection maps Dv to d).</summary>
    /// <value>Default 2048 (ResNet-50/101 final stage, as the slides' backbones).</value>
    [Range(1, 65_536)]
    public int InputDim { get; set; } = 2048;

    /// <summary>Gets or sets the model dimension d of label features, queries and confounders.</summary>
    /// <value>Default 256 (choice: Query2Label uses 2048 for its large models; 256 keeps the head CPU-sized).</value>
    [Range(1, 65_536)]
    public int ModelDim { get; set; } = 256;

    /// <summary>Gets or sets the attention heads (must divide <see cref="ModelDim"/>).</summary>
    /// <value>Default 8 (DETR / Query2Label).</value>
    [Range(1, 1024)]
    public int Heads { get; set; } = 8;

    /// <summary>Gets or sets the decoder layers.</summary>
    /// <value>Default 2 (Query2Label's decoder depth).</value>
    [Range(1, 64)]
    public int DecoderLayers { get; set; } = 2;

    /// <summary>Gets or sets the hidden width of each decoder layer's feed-forward block.</summary>
    /// <value>Default 1024 (4 d, choice).</value>
    [Range(1, 1_000_000)]
    public int FeedForwardDim { get; set; } = 1024;

    /// <summary>Gets or sets the dropout of the decoder and attention.</summary>
    /// <value>Default 0.1 (DETR / Query2Label).</value>
    [Range(0.0, 0.99)]
    public double Dropout { get; set; } = 0.1;

    /// <summary>Gets or sets where the decoder layers normalise.</summary>
    /// <value>Default <see cref="NormPlacement.Post"/> (Query2Label).</value>
    [EnumDataType(typeof(NormPlacement))]
    public NormPlacement Norm { get; set; } = NormPlacement.Post;

    /// <summary>Gets or sets a value indicating whether the causal intervention branch exists (false = "Decouple" only, slides' Table 3 row 2).</summary>
    /// <value>Default true.</value>
    public bool UseIntervention { get; set; } = true;

    /// <summary>Gets or sets the number of confounders K (cluster centres).</summary>
    /// <value>Default 80 (the slides' best in Table 4).</value>
    [Range(1, 100_000)]
    public int NumConfounders { get; set; } = 80;

    /// <summary>
    /// Gets or sets the confounder dictionary's feature dimension Dc; null means d (centres added to
    /// X as they are). When it differs from d, a learnable linear map Dc -&gt; d (no bias) projects the
    /// centres (choice: the slides cluster backbone features, e.g. 2048-d ResNet or 1024-d BEiT-3,
    /// while X is d-dimensional, and do not say how they meet).
    /// </summary>
    /// <value>Default null (= <see cref="ModelDim"/>).</value>
    [Range(1, 65_536)]
    public int? ConfounderDim { get; set; }

    /// <summary>Gets or sets the query of the intervention's cross-attention.</summary>
    /// <value>Default <see cref="InterventionQuery.LabelEmbedding"/>.</value>
    [EnumDataType(typeof(InterventionQuery))]
    public InterventionQuery Query { get; set; } = InterventionQuery.LabelEmbedding;

    /// <summary>
    /// Gets or sets how the confounder dictionary enters the intervention (see
    /// <see cref="ConfounderIntervention"/>). <see cref="InterventionForm.Grounded"/> (default) lets
    /// each label feature query the dictionary, as VC R-CNN's z_dic does;
    /// <see cref="InterventionForm.Literal"/> and <see cref="InterventionForm.LayerNorm"/> add one
    /// centre to every key and are kept for the ablation (the literal form depends on the
    /// dictionary only through E_P[c]).
    /// </summary>
    /// <value>Default <see cref="InterventionForm.Grounded"/>.</value>
    [EnumDataType(typeof(InterventionForm))]
    public InterventionForm InterventionForm { get; set; } = InterventionForm.Grounded;

    /// <summary>Gets or sets how the causal prediction fuses with the baseline.</summary>
    /// <value>Default <see cref="CausalFusion.SumLogits"/> (choice; the slides name f_merge but not the final fusion).</value>
    [EnumDataType(typeof(CausalFusion))]
    public CausalFusion Fusion { get; set; } = CausalFusion.SumLogits;

    /// <summary>Gets the effective confounder dimension (<see cref="ConfounderDim"/> or d).</summary>
    public int EffectiveConfounderDim => ConfounderDim ?? ModelDim;

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem (see <see cref="Problems"/>).</summary>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new CausalLabelOptionsValidator(), this);

    /// <summary>Lists every problem without throwing.</summary>
    /// <returns>The problems (empty when the options are valid).</returns>
    public IReadOnlyList<string> Problems()
    {
        var result = new CausalLabelOptionsValidator().Validate(null, this);
        return result.Failed ? [.. result.Failures ?? [result.FailureMessage]] : [];
    }

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (Heads > 0 && ModelDim % Heads != 0)
        {
            yield return new ValidationResult($"CausalLabelOptions.ModelDim ({ModelDim}) must be divisible by Heads ({Heads}).", [nameof(ModelDim)]);
        }

        if (!UseIntervention && Fusion != CausalFusion.SumLogits)
        {
            yield return new ValidationResult($"CausalLabelOptions.Fusion is {Fusion} but UseIntervention is false; there is no causal prediction to fuse (leave Fusion at SumLogits).", [nameof(Fusion)]);
        }
    }

    /// <summary>Returns a copy.</summary>
    /// <returns>A new options object with the same values.</returns>
    public CausalLabelOptions Clone() => (CausalLabelOptions)MemberwiseClone();
}

/// <summary>Source-generated validator of <see cref="CausalLabelOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class CausalLabelOptionsValidator : IValidateOptions<CausalLabelOptions>
{
}
