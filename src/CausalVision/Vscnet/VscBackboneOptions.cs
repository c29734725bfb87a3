// The backbone of VSCNet: a registry name and the backbone's own options.
using System.ComponentModel.DataAnnotations;
using CausalVision.Backbones;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Vscnet;

/// <summary>Backbone choice for VSCNet.</summary>
public sealed class VscBackboneOptions
{
    /// <summary>Gets or sets the registry name of the backbone (see <c>BackboneRegistry.Names</c>).</summary>
    /// <value>Default "resnet18" (the paper's RN18).</value>
    [Required(ErrorMessage = "Backbone.Name must not be empty.")]
    public string Name { get; set; } = "resnet18";

    /// <summary>Gets or sets the options passed to <see cref="Backbone.Create(string, BackboneOptions?)"/>. The builder
    /// passes a copy with <see cref="BackboneOptions.NumClasses"/> = 0 (VSCNet has its own classifiers) and, when
    /// <see cref="BackboneOptions.Seed"/> is null, the seed given to <see cref="VscNetBuilder.WithSeed"/> (if any).</summary>
    /// <value>Default: a new <see cref="BackboneOptions"/> (224 px, ImageNet stem).</value>
    [Required]
    [ValidateObjectMembers(typeof(BackboneOptionsValidator))]
    public BackboneOptions Options { get; set; } = new();

    /// <summary>Checks every option (the attribute rules, via <see cref="VscBackboneOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new VscBackboneOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="VscBackboneOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class VscBackboneOptionsValidator : IValidateOptions<VscBackboneOptions>
{
}
