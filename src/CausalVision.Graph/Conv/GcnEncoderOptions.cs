// Options of GcnEncoder: the per-branch encoders delta_c / delta_n of VSCNet (Meng et al.,
// AAAI 2025, text after eq. 11) in CAL's form (yongduosui/CAL: BN -> GCNConv -> ReLU, sum pooling).
using System.ComponentModel.DataAnnotations;
using CausalVision.Graph.Readout;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Graph.Conv;

/// <summary>Options for <see cref="GcnEncoder"/>.</summary>
public sealed class GcnEncoderOptions
{
    /// <summary>Gets or sets the node input width.</summary>
    /// <value>Default 0: must be set (&gt; 0).</value>
    [Range(1, long.MaxValue)]
    public long InFeatures { get; set; }

    /// <summary>Gets or sets the hidden (and output) width of every layer.</summary>
    /// <value>Default 128 (CAL's <c>--hidden</c>).</value>
    [Range(1, long.MaxValue)]
    public long HiddenFeatures { get; set; } = 128;

    /// <summary>Gets or sets the number of (norm → GcnConv → ReLU) layers.</summary>
    /// <value>Default 1 (CAL's per-branch encoder is one such layer; the paper does not say).</value>
    [Range(1, 64)]
    public int Layers { get; set; } = 1;

    /// <summary>Gets or sets the normalisation before each layer.</summary>
    /// <value>Default <see cref="GcnNorm.BatchNorm"/> (CAL).</value>
    [EnumDataType(typeof(GcnNorm))]
    public GcnNorm Norm { get; set; } = GcnNorm.BatchNorm;

    /// <summary>Gets or sets a value indicating whether the first layer normalises its input.</summary>
    /// <value>Default <c>true</c> (CAL). Set <c>false</c> when the input is already normalised and then masked (CIM's
    /// <see cref="Cim.CimMaskPlacement.AfterNorm"/>): a BatchNorm after the mask would undo a uniform mask scaling and turn
    /// a node masked to zero into <c>-mean / std</c>. Later layers always normalise (with <see cref="Norm"/>).</value>
    public bool NormalizeInput { get; set; } = true;

    /// <summary>Gets or sets the graph readout.</summary>
    /// <value>Default <see cref="ReadoutKind.Sum"/> (CAL's global_add_pool).</value>
    [EnumDataType(typeof(ReadoutKind))]
    public ReadoutKind Readout { get; set; } = ReadoutKind.Sum;

    /// <summary>Gets or sets the hidden width of the gated attention readout.</summary>
    /// <value>Default 128; used only with <see cref="ReadoutKind.Attention"/>.</value>
    [Range(1, long.MaxValue)]
    public long AttentionHidden { get; set; } = 128;

    /// <summary>Gets or sets the GCN self-loop weight.</summary>
    /// <value>Default 1 (Kipf &amp; Welling's A + I).</value>
    [Range(0.0, double.MaxValue)]
    public double SelfLoopWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the GCN propagation path.</summary>
    /// <value>Default <see cref="GcnPropagation.Auto"/>.</value>
    [EnumDataType(typeof(GcnPropagation))]
    public GcnPropagation Propagation { get; set; } = GcnPropagation.Auto;

    /// <summary>Gets or sets the density below which Auto propagation goes sparse.</summary>
    /// <value>Default 0.01.</value>
    [Range(0.0, 1.0)]
    public double SparseDensityThreshold { get; set; } = Gcn.DefaultSparseDensityThreshold;

    /// <summary>Gets or sets a value indicating whether each GcnConv learns a bias.</summary>
    /// <value>Default <c>true</c>.</value>
    public bool Bias { get; set; } = true;

    /// <summary>Checks every option (the attribute rules, via <see cref="GcnEncoderOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new GcnEncoderOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="GcnEncoderOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class GcnEncoderOptionsValidator : IValidateOptions<GcnEncoderOptions>
{
}
