// Which Fuzzy ART implementation a caller such as the exemplar hierarchy runs.
namespace CausalVision.Clustering.Art;

/// <summary>Selects the Fuzzy ART implementation (see the remarks of <see cref="FuzzyArt"/> and <see cref="VectorizedFuzzyArt"/>).</summary>
public enum ArtBackend
{
    /// <summary>
    /// The SIMD managed kernel (<see cref="VectorizedFuzzyArt"/>) on CPU, the tensor path (<see cref="FuzzyArt"/>)
    /// on other devices (CUDA), where one launch-bound step per sample does not depend on the cluster count.
    /// </summary>
    Auto,

    /// <summary>Always the tensor path (<see cref="FuzzyArt"/>).</summary>
    Tensor,

    /// <summary>Always the reference loop (<see cref="NaiveFuzzyArt"/>), in float64, then copied into tensors.</summary>
    Managed,
}
