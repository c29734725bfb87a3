// Options of VSCNet's fine-grained visual-semantic alignment (FVA) module: the Cascaded Spatial Net
// (Meng et al., AAAI 2025, eq. 1-4) and its stage-1 losses (eq. 3, 4, 15). Defaults follow the paper;
// where the authors' code (yibuxulong/Fine-grained-visual-semantic-causal) differs, the code's
// value is named in the property's documentation so it can be selected.
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace CausalVision.Vscnet.Fva;

/// <summary>How a sampled region map <c>[B, D, h, w]</c> is reduced to the region feature <c>r_j</c> <c>[B, D]</c>.</summary>
public enum RegionPooling
{
    /// <summary>Spatial average (the authors' code: <c>AdaptiveAvgPool2d(1)</c>).</summary>
    Average,

    /// <summary>Spatial maximum.</summary>
    Max,
}

/// <summary>What the per-step tag classifier reads.</summary>
public enum TagHeadInput
{
    /// <summary>The GRU hidden state <c>H_j</c> after step j (the authors' code: <c>word_classifier(hidden)</c>).</summary>
    Hidden,

    /// <summary>The pooled region feature <c>r_j</c> of step j.</summary>
    Region,
}

/// <summary>How the regions of the <see cref="CascadedSpatialNet"/> start.</summary>
public enum RegionInit
{
    /// <summary>
    /// The authors' code: the last theta layer's bias is <c>[s, 0, 0, 0, s, 0]</c> and its weight is zero (or normal with
    /// <see cref="FvaOptions.ZeroInitThetaWeight"/> off), shared by every step, so all J regions start as one centred crop
    /// for every image.
    /// </summary>
    Shared,

    /// <summary>
    /// Ours, following common STN / RA-CNN practice: the last theta layer's weight is drawn from
    /// <c>N(0, FvaOptions.ThetaOutputInitStd)</c> and the first layer keeps PyTorch's default initialisation (so theta depends
    /// on the image from the first step on) and each step j
    /// adds its own learnable offset <c>b_j = [s, 0, x_j, 0, s, y_j]</c> (state-dict key <c>step_offset</c>, <c>[J, 6]</c>),
    /// with the centres <c>(x_j, y_j)</c> spread on a grid inside the map (<c>|x_j| + s &lt;= 1</c>), so the regions start
    /// different. The last layer's bias starts at zero.
    /// </summary>
    Distinct,
}

/// <summary>
/// Options of the <see cref="CascadedSpatialNet"/> (eq. 1-2) and its stage-1 objective (eq. 3, 4, 15).
/// </summary>
/// <remarks>
/// The feature size <c>D</c> and the tag vocabulary size <c>M</c> are not options: they come from the
/// backbone and the dataset and are passed to the <see cref="CascadedSpatialNet"/> constructor.
/// </remarks>
public sealed class FvaOptions
{
    /// <summary>Gets or sets the number J of cascaded steps (= located regions = predicted tags).</summary>
    /// <value>Default 10. The paper selects J from {5, 10, 15}; 10 is the middle of that grid and is close to
    /// the mean number of tags per image the authors' code uses (<c>top_seq</c> = 9).</value>
    [Range(1, 256)]
    public int Steps { get; set; } = 10;

    /// <summary>Gets or sets the GRU hidden size <c>|H_j|</c>; <see langword="null"/> means the feature size D.</summary>
    /// <value>Default <see langword="null"/> (= D, as the authors' <c>GRUCell(dim_v, dim_v)</c> and the paper's
    /// <c>[F_v; H_{j-1}]</c> of width 2D).</value>
    [Range(1, 65536)]
    public int? HiddenSize { get; set; }

    /// <summary>Gets or sets the hidden width of the theta regressor <c>Linear(D+H, W) -> LeakyReLU -> Linear(W, 6)</c>.</summary>
    /// <value>Default 128 (the authors' code).</value>
    [Range(1, 65536)]
    public int ThetaHiddenWidth { get; set; } = 128;

    /// <summary>Gets or sets the negative slope of the LeakyReLU inside the theta regressor.</summary>
    /// <value>Default 0.01 (PyTorch's <c>nn.LeakyReLU()</c> default, used by the authors' code).</value>
    [Range(0.0, 1.0)]
    public double ThetaLeakySlope { get; set; } = 0.01;

    /// <summary>Gets or sets the initial scale s of the regressed affine matrix: the last layer's bias starts at
    /// <c>[s, 0, 0, 0, s, 0]</c>, a centred crop whose side is s times the map's side.</summary>
    /// <value>Default 0.5 (the authors' code: a centred half-size crop).</value>
    [Range(1e-3, 1.0)]
    public double InitialScale { get; set; } = 0.5;

    /// <summary>Gets or sets a value indicating whether the last theta layer's weight starts at zero, so that every
    /// step initially samples exactly the crop given by <see cref="InitialScale"/>.</summary>
    /// <value>Default <see langword="true"/> (the authors' code; the paper is silent). With a zero weight the first
    /// theta layer receives no gradient until the last layer has moved away from zero (one optimiser step).</value>
    public bool ZeroInitThetaWeight { get; set; } = true;

    /// <summary>Gets or sets how the regions start (shared centred crop as the authors' code, or distinct per step).</summary>
    /// <value>Default <see cref="Fva.RegionInit.Shared"/> (the authors' code; the paper is silent). With the code's locating
    /// loss this collapses every region onto one crop; <see cref="Fva.RegionInit.Distinct"/> with
    /// <see cref="LocatingLossOptions.Bounded"/> keeps them apart (see <see cref="Localising"/>).</value>
    [EnumDataType(typeof(RegionInit))]
    public RegionInit RegionInit { get; set; } = RegionInit.Shared;

    /// <summary>Gets or sets the standard deviation of the last theta layer's weight with <see cref="Fva.RegionInit.Distinct"/>.</summary>
    /// <value>Default 0.01 (small: theta starts near the per-step offsets but already depends on the image).</value>
    [Range(0.0, 10.0)]
    public double ThetaOutputInitStd { get; set; } = 0.01;

    /// <summary>Gets or sets a value indicating whether the initial hidden state <c>H_0</c> is a learnable parameter.</summary>
    /// <value>Default <see langword="false"/>: <c>H_0 = 0</c> as the paper states under eq. 1. The authors' code uses a
    /// learnable <c>h0_de</c> initialised at zero (set <see langword="true"/> for that).</value>
    public bool LearnableInitialHidden { get; set; }

    /// <summary>Gets or sets how a sampled region is pooled into <c>r_j</c>.</summary>
    /// <value>Default <see cref="Fva.RegionPooling.Average"/> (the authors' code).</value>
    [EnumDataType(typeof(RegionPooling))]
    public RegionPooling RegionPooling { get; set; } = RegionPooling.Average;

    /// <summary>Gets or sets the padding mode of <c>grid_sample</c> for sampling points outside the map.</summary>
    /// <value>Default <see cref="GridSamplePaddingMode.Zeros"/> (PyTorch's default, used by the authors' code).</value>
    [EnumDataType(typeof(GridSamplePaddingMode))]
    public GridSamplePaddingMode SamplerPadding { get; set; } = GridSamplePaddingMode.Zeros;

    /// <summary>Gets or sets what the tag classifier reads.</summary>
    /// <value>Default <see cref="Fva.TagHeadInput.Hidden"/>: eq. 1 only says that step j yields <c>t_j</c> together with
    /// <c>H_j</c>; the authors' code classifies the hidden state, which also carries the context of earlier steps.</value>
    [EnumDataType(typeof(TagHeadInput))]
    public TagHeadInput TagHeadInput { get; set; } = TagHeadInput.Hidden;

    /// <summary>Gets or sets the dropout probability applied to the tag classifier's input in training mode.</summary>
    /// <value>Default 0 (the authors' code has none).</value>
    [Range(0.0, 0.99)]
    public double TagHeadDropout { get; set; }

    /// <summary>Gets or sets the standard deviation of the normal initialisation of the linear layers' weights
    /// (theta regressor's first layer and the tag classifier; biases keep PyTorch's default).</summary>
    /// <value>Default 0.01 (the authors' <c>nn.init.normal_(m.weight, 0, 0.01)</c>).</value>
    [Range(0.0, 10.0)]
    public double LinearInitStd { get; set; } = 0.01;

    /// <summary>Gets or sets the stage-1 loss options (eq. 3, 4, 15).</summary>
    /// <value>Default: a new <see cref="FvaLossOptions"/>.</value>
    [Required]
    [ValidateObjectMembers]
    public FvaLossOptions Loss { get; set; } = new();

    /// <summary>
    /// Creates options whose regions are meant to localise (ours): <see cref="Fva.RegionInit.Distinct"/> regions and the
    /// <see cref="LocatingLossOptions.Bounded"/> locating loss (pairwise diversity, regions kept inside the map, scales in
    /// [0.2, 0.6], no batch-wide anti-outlier pull). Everything else keeps its default.
    /// </summary>
    /// <returns>New options.</returns>
    public static FvaOptions Localising() => new()
    {
        RegionInit = RegionInit.Distinct,
        InitialScale = 0.4,
        Loss = new FvaLossOptions { Locating = LocatingLossOptions.Bounded() },
    };

    /// <summary>Checks every option (the attribute rules, via <see cref="FvaOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new FvaOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="FvaOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class FvaOptionsValidator : IValidateOptions<FvaOptions>
{
}
