// Options for Fuzzy ART / AM-ART.
// Fuzzy ART: Carpenter, Grossberg, Rosen (1991), "Fuzzy ART: Fast stable learning and categorization
// of analog patterns by an adaptive resonance system", Neural Networks 4:759-771.
// AM-ART: Meng, Tan, Wunsch (2016), "Adaptive Scaling of Cluster Boundaries for Large-Scale Social
// Media Data Clustering", IEEE TNNLS 27(12); defaults follow the authors' am_art.py
// (github.com/Lei-Meng/Adaptive-Scaling-of-Cluster-Boundaries-for-Large-Scale-Social-Media-Data-Clustering).
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Clustering.Art;

/// <summary>
/// Hyper-parameters of <see cref="FuzzyArt"/> and <see cref="NaiveFuzzyArt"/>. <see cref="Sigma"/> = 0
/// gives plain Fuzzy ART (fixed vigilance); <see cref="Sigma"/> &gt; 0 gives AM-ART (per-cluster
/// vigilance that grows for winners and shrinks for reset clusters).
/// </summary>
public sealed class ArtOptions
{
    /// <summary>Gets or sets the initial vigilance rho0 given to every new cluster.</summary>
    /// <value>Default 0.85 (the VSCNet authors' hierarchy setting; am_art.py leaves it to the caller).</value>
    [Range(0.0, 1.0)]
    public double Vigilance { get; set; } = 0.85;

    /// <summary>Gets or sets the choice parameter alpha in T_j = |I ^ w_j|_1 / (alpha + |w_j|_1).</summary>
    /// <value>Default 0.01 (am_art.py).</value>
    [Range(double.Epsilon, double.MaxValue)]
    public double Alpha { get; set; } = 0.01;

    /// <summary>Gets or sets the learning rate beta in w &lt;- beta (I ^ w) + (1 - beta) w.</summary>
    /// <value>Default 0.6 (am_art.py); 1 is fast learning.</value>
    [Range(double.Epsilon, 1.0)]
    public double Beta { get; set; } = 0.6;

    /// <summary>Gets or sets the AM-ART vigilance adaptation rate sigma; 0 turns adaptation off (plain Fuzzy ART).</summary>
    /// <value>Default 5e-6 (am_art.py); must lie in [0, 1).</value>
    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double Sigma { get; set; } = 5e-6;

    /// <summary>Gets or sets a value indicating whether inputs in [0, 1]^D are complement coded to [x, 1 - x].</summary>
    /// <value>Default true. When false the inputs are used as given (they must still lie in [0, 1]).</value>
    public bool ComplementCode { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether labelled fits use ARTMAP match tracking (MT+) instead of
    /// masking. With masking (default) a labelled sample only considers clusters of its own label. With
    /// match tracking it considers all clusters; when the resonating winner carries another label the
    /// sample's own vigilance is raised to M_winner + <see cref="MatchTrackingEpsilon"/> and the search goes on.
    /// </summary>
    /// <value>Default false (masking, as the VSCNet authors' per-tag clustering).</value>
    public bool MatchTracking { get; set; }

    /// <summary>Gets or sets the match-tracking increment epsilon.</summary>
    /// <value>Default 1e-3.</value>
    [Range(0.0, 1.0)]
    public double MatchTrackingEpsilon { get; set; } = 1e-3;

    /// <summary>Gets or sets the number of passes over the data in Fit and streaming fits.</summary>
    /// <value>Default 1 (am_art.py makes one pass; the VSCNet hierarchy uses 2).</value>
    [Range(1, int.MaxValue)]
    public int Epochs { get; set; } = 1;

    /// <summary>Returns a copy of these options.</summary>
    /// <returns>The copy.</returns>
    public ArtOptions Clone() => (ArtOptions)MemberwiseClone();

    /// <summary>Throws <see cref="ArgumentException"/> listing every option that is out of range.</summary>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new ArtOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="ArtOptions"/>: the attribute rules, no reflection at run time.</summary>
[OptionsValidator]
public sealed partial class ArtOptionsValidator : IValidateOptions<ArtOptions>
{
}
