using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CausalVision.DependencyInjection;

/// <summary>
/// Settings shared by every CausalVision model registered with
/// <see cref="CausalVisionServiceCollectionExtensions.AddCausalVision"/>.
/// </summary>
public sealed class CausalVisionOptions
{
    /// <summary>Gets or sets the device: "cpu", "cuda", "cuda:N" or "auto" (CUDA when present).</summary>
    /// <value>Default "auto".</value>
    [Required]
    [RegularExpression("^(auto|cpu|cuda(:[0-9]+)?)$", ErrorMessage = "Device must be 'auto', 'cpu', 'cuda' or 'cuda:N'.")]
    public string Device { get; set; } = "auto";

    /// <summary>Gets or sets the default backbone name for builders that are not given one (see <c>BackboneRegistry.Names</c>).</summary>
    /// <value>Default "resnet18".</value>
    [Required]
    public string Backbone { get; set; } = "resnet18";

    /// <summary>Gets or sets the seed for initialisation and data order.</summary>
    /// <value>Default 0.</value>
    [Range(0, long.MaxValue)]
    public long Seed { get; set; }

    /// <summary>Gets or sets the number of intra-op CPU threads libtorch uses; 0 keeps libtorch's default.</summary>
    /// <value>Default 0.</value>
    [Range(0, 1024)]
    public int Threads { get; set; }
}

/// <summary>Source-generated validator for <see cref="CausalVisionOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class CausalVisionOptionsValidator : IValidateOptions<CausalVisionOptions>
{
}
