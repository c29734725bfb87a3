// How VSCNet's HAR compares region hidden states with prototypes (phi_K of eq. 6).
namespace CausalVision.Vscnet;

/// <summary>How region-to-prototype similarity phi_K (eq. 6) is computed in the projected prototype space.</summary>
public enum PrototypeSimilarityKind
{
    /// <summary>Fuzzy Jaccard |h AND w| / |h OR w| (the authors' code).</summary>
    FuzzyJaccard,

    /// <summary>Cosine similarity.</summary>
    Cosine,
}
