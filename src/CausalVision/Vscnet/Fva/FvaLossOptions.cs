// Options of VSCNet's stage-1 objective L_AL = L_s + alpha_l L_l (eq. 15), with L_s of eq. 3 and
// L_l of eq. 4 (see LocatingLossOptions).
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Vscnet.Fva;

/// <summary>How the per-step tag cross-entropies of eq. 3 are reduced over steps and images.</summary>
public enum TagLossReduction
{
    /// <summary>Sum over the supervised steps of an image, then mean over the batch (eq. 3 read literally).</summary>
    SumOverSteps,

    /// <summary>Mean over every supervised (image, step) pair of the batch (the authors' code:
    /// <c>CrossEntropyLoss</c> over the concatenated valid steps).</summary>
    MeanOverSupervisedSteps,
}

/// <summary>Options of <see cref="FvaLoss"/>: eq. 3 (L_s), eq. 4 (L_l) and their combination eq. 15 (L_AL).</summary>
public sealed class FvaLossOptions
{
    /// <summary>Gets or sets the weight of the class term <c>-sum_i y_i log y^_i</c> of eq. 3.</summary>
    /// <value>Default 1 (the paper). The authors' code trains CSNet without a class term (0).</value>
    [Range(0.0, 1e6)]
    public double ClassLossWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the weight of the per-step tag term of eq. 3.</summary>
    /// <value>Default 1 (the paper). The authors' code uses <c>w_semantic</c> = 5.</value>
    [Range(0.0, 1e6)]
    public double TagLossWeight { get; set; } = 1.0;

    /// <summary>Gets or sets how the per-step tag cross-entropies are reduced.</summary>
    /// <value>Default <see cref="Fva.TagLossReduction.SumOverSteps"/> (eq. 3);
    /// <see cref="Fva.TagLossReduction.MeanOverSupervisedSteps"/> is the authors' code.</value>
    [EnumDataType(typeof(TagLossReduction))]
    public TagLossReduction TagLossReduction { get; set; } = TagLossReduction.SumOverSteps;

    /// <summary>Gets or sets alpha_l, the weight of the locating loss L_l in L_AL = L_s + alpha_l L_l (eq. 15).</summary>
    /// <value>Default 1 (the paper gives no value; the authors' code adds the locating terms unweighted).</value>
    [Range(0.0, 1e6)]
    public double LocatingLossWeight { get; set; } = 1.0;

    /// <summary>Gets or sets a value indicating whether L_l regularises only the steps that have a tag target.</summary>
    /// <value>Default <see langword="false"/>: all J regions, as eq. 4 sums over j = 1..J. The authors' code regularises
    /// only the supervised steps (<see langword="true"/>).</value>
    public bool LocateSupervisedStepsOnly { get; set; }

    /// <summary>Gets or sets the options of the locating loss L_l.</summary>
    /// <value>Default: a new <see cref="LocatingLossOptions"/> (the authors' code defaults).</value>
    [Required]
    [ValidateObjectMembers]
    public LocatingLossOptions Locating { get; set; } = new();

    /// <summary>Creates options equal to the authors' code: no class term, tag weight 5, mean over supervised steps,
    /// the code's locating loss.</summary>
    /// <returns>New options.</returns>
    public static FvaLossOptions AuthorsCode() => new()
    {
        ClassLossWeight = 0.0,
        TagLossWeight = 5.0,
        TagLossReduction = TagLossReduction.MeanOverSupervisedSteps,
        LocatingLossWeight = 1.0,
        LocateSupervisedStepsOnly = true,
        Locating = new LocatingLossOptions { RotationWeight = 0.0 }, // the code's wrl = 0
    };

    /// <summary>Checks every option (the attribute rules, via <see cref="FvaLossOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new FvaLossOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="FvaLossOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class FvaLossOptionsValidator : IValidateOptions<FvaLossOptions>
{
}
