// Options of VSCNet's tag prediction refinement (Meng et al., AAAI 2025, eq. 7).
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using CausalVision.Vscnet.Fva;
using Microsoft.Extensions.Options;

namespace CausalVision.Vscnet.Har;

/// <summary>How <see cref="TagRefinement"/> treats the J per-step tag predictions.</summary>
public enum TagStepAggregation
{
    /// <summary>Refine every step's prediction separately (eq. 7 applied to each region's t^_j): output <c>[B, J, M]</c>.</summary>
    PerStep,

    /// <summary>The authors' code: min-max scale each step's logits over the vocabulary, take the maximum over steps,
    /// then refine once per image: output <c>[B, M]</c>.</summary>
    MinMaxThenMax,
}

/// <summary>Options of <see cref="TagRefinement"/>.</summary>
public sealed class TagRefinementOptions
{
    /// <summary>Gets or sets alpha_f, the weight of the prototypes' tag distribution in eq. 7.</summary>
    /// <value>Default 0.1 (the authors' <c>beta_know</c>; the paper selects alpha_f from 0.1 to 0.5). Any value in [0, 1]
    /// is accepted: 0 turns refinement off (ablation rows without +K).</value>
    [Range(0.0, 1.0)]
    public double AlphaF { get; set; } = 0.1;

    /// <summary>
    /// Gets or sets the temperature τ of the prototypes' tag distribution: eq. 7 becomes
    /// <c>t_f = (1 - alpha_f) softmax(t) + alpha_f softmax(t_r / τ)</c>.
    /// </summary>
    /// <value>Default 1 (eq. 7 as written). t_r is a probability vector, so <c>softmax(t_r)</c> has max/min at most e and is
    /// nearly flat over M tags: at alpha_f = 0.1 it cannot move the ranking of tags whose probabilities differ by more than
    /// about <c>alpha_f (e - 1) / M</c>. A small τ (e.g. 0.05, ours) makes it follow t_r's peaks.</value>
    [Range(1e-4, 1e4)]
    public double PrototypeTemperature { get; set; } = 1.0;

    /// <summary>Gets or sets how the per-step predictions are aggregated.</summary>
    /// <value>Default <see cref="TagStepAggregation.PerStep"/> (the paper refines each region's tags);
    /// <see cref="TagStepAggregation.MinMaxThenMax"/> is the authors' code.</value>
    [EnumDataType(typeof(TagStepAggregation))]
    public TagStepAggregation StepAggregation { get; set; } = TagStepAggregation.PerStep;

    /// <summary>Gets or sets how many refined tags are kept (highest first); 0 keeps the whole vocabulary.</summary>
    /// <value>Default 9 (the authors' <c>topk</c>).</value>
    [Range(0, int.MaxValue)]
    public int TopK { get; set; } = 9;

    /// <summary>Checks every option (the attribute rules, via <see cref="TagRefinementOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new TagRefinementOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="TagRefinementOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class TagRefinementOptionsValidator : IValidateOptions<TagRefinementOptions>
{
}
