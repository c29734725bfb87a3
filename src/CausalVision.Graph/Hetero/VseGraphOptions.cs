// Options of VseGraphBuilder: edge kinds and weights of VSCNet's G_a (eq. 8) and G_h (eq. 9)
// (Meng et al., AAAI 2025). The paper names the edge kinds but gives no weights; the defaults
// below follow the authors' public code where it has a counterpart (top-k = 9 refined tags,
// 0.2 between co-occurring tags, top-5 tags per region step) and are 1 elsewhere.
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Graph.Hetero;

/// <summary>Options for <see cref="VseGraphBuilder"/>.</summary>
public sealed class VseGraphOptions
{
    /// <summary>Gets or sets the number K of tag nodes per image: the tags with the highest refined probability (max over regions).</summary>
    /// <value>Default 9 (the authors' code keeps the top 9 refined tags). Clamped to the vocabulary size.</value>
    [Range(1, 100_000)]
    public int TopTags { get; set; } = 9;

    /// <summary>Gets or sets how many of its highest refined tags a region "predicts" (region-tag edges).</summary>
    /// <value>Default 5 (the authors' code matches each step's top-5 tags). Clamped to the vocabulary size.</value>
    [Range(1, 100_000)]
    public int RegionTopTags { get; set; } = 5;

    /// <summary>Gets or sets the weight of region-tag edges (eq. 8).</summary>
    /// <value>Default 1; multiplied by the refined probability t_f[j, t] when <see cref="WeightRegionTagByProbability"/>.</value>
    [Range(0.0, double.MaxValue)]
    public double RegionTagWeight { get; set; } = 1.0;

    /// <summary>Gets or sets a value indicating whether region-tag edges carry the refined probability (differentiable in t_f).</summary>
    /// <value>Default <c>true</c>.</value>
    public bool WeightRegionTagByProbability { get; set; } = true;

    /// <summary>Gets or sets the weight of edges between tags predicted by the same region (eq. 8).</summary>
    /// <value>Default 0.2 (the authors' code links co-matched tags with 0.2).</value>
    [Range(0.0, double.MaxValue)]
    public double TagTagWeight { get; set; } = 0.2;

    /// <summary>Gets or sets the weight of edges between regions predicting the same tag (eq. 8).</summary>
    /// <value>Default 0.2 (chosen to mirror the tag-tag weight; the paper gives none).</value>
    [Range(0.0, double.MaxValue)]
    public double RegionRegionWeight { get; set; } = 0.2;

    /// <summary>Gets or sets a value indicating whether prototype nodes are added (G_h, eq. 9) or not (G_a, eq. 8).</summary>
    /// <value>Default <c>true</c>.</value>
    public bool IncludePrototypes { get; set; } = true;

    /// <summary>Gets or sets the weight of region-to-best-prototype edges (eq. 9).</summary>
    /// <value>Default 1; multiplied by the match similarity when one is given.</value>
    [Range(0.0, double.MaxValue)]
    public double RegionPrototypeWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the weight of prototype-tag edges (eq. 9).</summary>
    /// <value>Default 1; multiplied by the prototype's tag distribution t_r[p, t] when <see cref="WeightPrototypeTagByDistribution"/>.</value>
    [Range(0.0, double.MaxValue)]
    public double PrototypeTagWeight { get; set; } = 1.0;

    /// <summary>Gets or sets a value indicating whether prototype-tag edges carry t_r[p, t] (else a constant where t_r[p, t] &gt; 0).</summary>
    /// <value>Default <c>true</c>.</value>
    public bool WeightPrototypeTagByDistribution { get; set; } = true;

    /// <summary>Checks every option (the attribute rules, via <see cref="VseGraphOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new VseGraphOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="VseGraphOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class VseGraphOptionsValidator : IValidateOptions<VseGraphOptions>
{
}
