// Which Fuzzy ART implementation a caller such as the exemplar hierarchy runs.
namespace CausalVision.Clustering.Art;

/// <summary>Selects the Fuzzy ART implementation (see the remarks of <see cref="FuzzyArt"/>).</summary>
public enum ArtBackend
{
    /// <summary>The managed loop (<see cref="NaiveFuzzyArt"/>) on CPU, the tensor path (<see cref="FuzzyArt"/>) on other devices.</summary>
    Auto,

    /// <summary>Always the tensor path (<see cref="FuzzyArt"/>).</summary>
    Tensor,

    /// <summary>Always the managed loop (<see cref="NaiveFuzzyArt"/>), in float64, then copied into tensors.</summary>
    Managed,
}
