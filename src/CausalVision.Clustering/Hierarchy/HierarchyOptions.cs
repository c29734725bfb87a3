// Options for the VSCNet visual-semantic exemplar (VSE) hierarchy (VSCNet, AAAI 2025, eq. 5).
using System.ComponentModel.DataAnnotations;
using CausalVision.Clustering.Art;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Clustering.Hierarchy;

/// <summary>Options of <see cref="ExemplarHierarchy.Build"/>; defaults follow the VSCNet authors' code (yibuxulong/Fine-grained-visual-semantic-causal).</summary>
public sealed class HierarchyOptions : IValidatableObject
{
    /// <summary>Gets or sets the ART options of the constrained clustering.</summary>
    /// <value>Default: vigilance 0.85, beta 0.5, alpha 0.01, sigma 0 (no AM-ART adaptation), 2 epochs (the authors' hierarchy settings).</value>
    [Required]
    [ValidateObjectMembers]
    public ArtOptions Art { get; set; } = new() { Vigilance = 0.85, Beta = 0.5, Alpha = 0.01, Sigma = 0, Epochs = 2 };

    /// <summary>Gets or sets the purity threshold P_T: a cluster is kept when its dominant class share is &gt;= P_T.</summary>
    /// <value>Default 0.6 (art_P_T).</value>
    [Range(0.0, 1.0)]
    public double PurityThreshold { get; set; } = 0.6;

    /// <summary>Gets or sets the fewest members (final-epoch assignments) a kept cluster needs.</summary>
    /// <value>Default 2 (the authors keep clusters with more than one member).</value>
    [Range(1, int.MaxValue)]
    public int MinMembers { get; set; } = 2;

    /// <summary>Gets or sets a value indicating whether a region may only join clusters of its own tag.</summary>
    /// <value>Default true (the authors cluster per tag).</value>
    public bool ConstrainByTag { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether a region may only join clusters of its own class too (eq. 5 read literally: same tag in the same class).</summary>
    /// <value>Default false (the authors' code constrains by tag only).</value>
    public bool ConstrainByClass { get; set; }

    /// <summary>Gets or sets which Fuzzy ART implementation clusters the regions.</summary>
    /// <value>Default <see cref="ArtBackend.Auto"/>: the managed loop on CPU (faster there), the tensor path on CUDA.</value>
    public ArtBackend Backend { get; set; } = ArtBackend.Auto;

    /// <summary>Throws <see cref="ArgumentException"/> listing every option that is out of range (nested <see cref="Art"/> included).</summary>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new HierarchyOptionsValidator(), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (Art is { ComplementCode: false })
        {
            yield return new ValidationResult("HierarchyOptions.Art.ComplementCode must be true: the VSE hierarchy works on complement-coded regions.", [nameof(Art)]);
        }
    }
}

/// <summary>Source-generated validator of <see cref="HierarchyOptions"/>: the attribute rules, the nested <see cref="ArtOptions"/> and the cross-field rule.</summary>
[OptionsValidator]
public sealed partial class HierarchyOptionsValidator : IValidateOptions<HierarchyOptions>
{
}
