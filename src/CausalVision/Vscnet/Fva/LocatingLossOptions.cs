// Options of VSCNet's adaptive locating loss L_l (eq. 4) and of the extra terms the authors' code adds
// (loss.py / train_functions.py of yibuxulong's code: scale bounds, anti-outlier terms).
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Vscnet.Fva;

/// <summary>Which formulation of the diversity and rotation terms <see cref="LocatingLoss"/> uses.</summary>
public enum LocatingLossForm
{
    /// <summary>
    /// The authors' code: diversity = mean over images of <c>exp(-sum_{i&lt;j} (|x_i - x_j| + |y_i - y_j|))</c>
    /// over the image's supervised steps (shift x = theta_13, y = theta_23); rotation = mean over supervised steps of
    /// <c>(|theta_12| + |theta_21|) / 2</c>.
    /// </summary>
    Code,

    /// <summary>
    /// Eq. 4 read literally: per image, <c>sum_j exp(-|x_j - x̄| - |y_j - ȳ|)</c> with x̄, ȳ the image's mean shift, and
    /// rotation <c>sum_j (|theta_12| + |theta_21|)</c>; both averaged over the batch.
    /// </summary>
    PaperEquation4,

    /// <summary>
    /// Ours: diversity = mean over images and over pairs i &lt; j of <c>exp(-(|x_i - x_j| + |y_i - y_j|))</c> (a mean, so it
    /// keeps a gradient however many regions there are, where the code's exp of a sum vanishes once a few pairs are
    /// apart); rotation as the Code form. Use it with <see cref="LocatingLossOptions.ContainmentWeight"/> so the regions
    /// repel each other but stay on the map.
    /// </summary>
    Pairwise,
}

/// <summary>
/// Options of <see cref="LocatingLoss"/>. Defaults are the authors' code (opts.py): diversity 5, anti-outlier 100
/// (shift and scale), rotation 0, scale bounds 0.8/0.8 with weights 1/1.
/// </summary>
/// <remarks>
/// The paper's text says "upper bound factor 0.2 and lower bound factor 0.8"; the code's defaults are
/// <c>tsu</c> = <c>tsl</c> = 0.8 (upper: penalise <c>|s| &gt; 0.8</c>; lower: penalise <c>s &lt; 0.8</c>), which together pull
/// every scale towards 0.8. Use <see cref="PaperEquation4"/> for eq. 4 alone.
/// </remarks>
public sealed class LocatingLossOptions
{
    /// <summary>Gets or sets the formulation of the diversity and rotation terms.</summary>
    /// <value>Default <see cref="LocatingLossForm.Code"/>.</value>
    [EnumDataType(typeof(LocatingLossForm))]
    public LocatingLossForm Form { get; set; } = LocatingLossForm.Code;

    /// <summary>Gets or sets the weight of the translation diversity term.</summary>
    /// <value>Default 5 (the authors' <c>wdl</c>).</value>
    [Range(0.0, 1e6)]
    public double DiversityWeight { get; set; } = 5.0;

    /// <summary>Gets or sets the weight of the anti-outlier term on shifts: mean absolute deviation of theta_13 and
    /// of theta_23 over all supervised steps of the batch, summed.</summary>
    /// <value>Default 100 (the authors' code).</value>
    [Range(0.0, 1e6)]
    public double OutlierShiftWeight { get; set; } = 100.0;

    /// <summary>Gets or sets the weight of the anti-outlier term on scales (theta_11, theta_22), same form as shifts.</summary>
    /// <value>Default 100 (the authors' code).</value>
    [Range(0.0, 1e6)]
    public double OutlierScaleWeight { get; set; } = 100.0;

    /// <summary>Gets or sets the weight of the rotation penalty on theta_12 and theta_21.</summary>
    /// <value>Default 1, as eq. 4 (the authors' code sets <c>wrl</c> = 0; set 0 for the code's behaviour). We follow
    /// the paper here: with 0 nothing bounds the shear entries, and in a toy run with Adam at lr 0.05 they drifted until
    /// every region left the map and sampled only zero padding, while weight 1 trained normally.</value>
    [Range(0.0, 1e6)]
    public double RotationWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the upper bound u of the scales: the term is <c>mean(max(|s_x| - u, 0) + max(|s_y| - u, 0))</c>.</summary>
    /// <value>Default 0.8 (the authors' <c>tsu</c>).</value>
    [Range(0.0, 10.0)]
    public double ScaleUpperBound { get; set; } = 0.8;

    /// <summary>Gets or sets the lower bound l of the scales: the term is <c>mean(max(l - s_x, 0) + max(l - s_y, 0))</c>.</summary>
    /// <value>Default 0.8 (the authors' <c>tsl</c>).</value>
    [Range(-10.0, 10.0)]
    public double ScaleLowerBound { get; set; } = 0.8;

    /// <summary>Gets or sets the weight of the scale upper-bound term.</summary>
    /// <value>Default 1 (the authors' <c>wul</c>).</value>
    [Range(0.0, 1e6)]
    public double ScaleUpperWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the weight of the scale lower-bound term.</summary>
    /// <value>Default 1 (the authors' <c>wll</c>).</value>
    [Range(0.0, 1e6)]
    public double ScaleLowerWeight { get; set; } = 1.0;

    /// <summary>
    /// Gets or sets the weight of the containment term (ours): <c>mean(max(|x| + |s_x| - 1, 0) + max(|y| + |s_y| - 1, 0))</c>,
    /// zero exactly when the region lies inside the map (normalised coordinates, -1..1).
    /// </summary>
    /// <value>Default 0 (neither the paper nor the authors' code has it; eq. 4 alone sends regions off the map).</value>
    [Range(0.0, 1e6)]
    public double ContainmentWeight { get; set; }

    /// <summary>
    /// Creates the bounded form (ours): <see cref="LocatingLossForm.Pairwise"/> diversity (weight 1), containment (weight
    /// 10), rotation weight 1, scales bounded to [0.2, 0.6] (weights 1), and no anti-outlier terms (with weight 100 they pull
    /// every region of every image to the batch mean, i.e. one crop).
    /// </summary>
    /// <returns>New options.</returns>
    public static LocatingLossOptions Bounded() => new()
    {
        Form = LocatingLossForm.Pairwise,
        DiversityWeight = 1.0,
        OutlierShiftWeight = 0.0,
        OutlierScaleWeight = 0.0,
        RotationWeight = 1.0,
        ScaleUpperBound = 0.6,
        ScaleLowerBound = 0.2,
        ScaleUpperWeight = 1.0,
        ScaleLowerWeight = 1.0,
        ContainmentWeight = 10.0,
    };

    /// <summary>Creates options for eq. 4 alone: paper form, diversity and rotation weight 1, no anti-outlier or scale terms.</summary>
    /// <returns>New options.</returns>
    public static LocatingLossOptions PaperEquation4() => new()
    {
        Form = LocatingLossForm.PaperEquation4,
        DiversityWeight = 1.0,
        OutlierShiftWeight = 0.0,
        OutlierScaleWeight = 0.0,
        RotationWeight = 1.0,
        ScaleUpperWeight = 0.0,
        ScaleLowerWeight = 0.0,
    };

    /// <summary>Checks every option (the attribute rules, via <see cref="LocatingLossOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new LocatingLossOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="LocatingLossOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class LocatingLossOptionsValidator : IValidateOptions<LocatingLossOptions>
{
}
