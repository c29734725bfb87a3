// The backbone of VSCNet: a registry name and the backbone's own options.
using CausalVision.Backbones;

namespace CausalVision.Vscnet;

/// <summary>Backbone choice for VSCNet.</summary>
public sealed class VscBackboneOptions
{
    /// <summary>Gets or sets the registry name of the backbone (see <c>BackboneRegistry.Names</c>).</summary>
    /// <value>Default "resnet18" (the paper's RN18).</value>
    public string Name { get; set; } = "resnet18";

    /// <summary>Gets or sets the options passed to <see cref="Backbone.Create(string, BackboneOptions?)"/>. The builder
    /// passes a copy with <see cref="BackboneOptions.NumClasses"/> = 0 (VSCNet has its own classifiers) and, when
    /// <see cref="BackboneOptions.Seed"/> is null, the seed given to <see cref="VscNetBuilder.WithSeed"/> (if any).</summary>
    /// <value>Default: a new <see cref="BackboneOptions"/> (224 px, ImageNet stem).</value>
    public BackboneOptions Options { get; set; } = new();

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">The name is empty or the backbone options are invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("Backbone.Name must not be empty.", nameof(Name));
        }

        ArgumentNullException.ThrowIfNull(Options, nameof(Options));
        Options.Validate();
    }
}
