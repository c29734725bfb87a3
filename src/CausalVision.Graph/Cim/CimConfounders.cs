// An option of VSCNet's CIM module (Meng et al., AAAI 2025, eq. 10-13) where the paper and its
// ancestor CAL (Sui et al., KDD 2022; yongduosui/CAL) differ or the paper is silent.
namespace CausalVision.Graph.Cim;

/// <summary>Which non-causal features F_n' stand in for the confounders n of eq. 12.</summary>
public enum CimConfounders
{
    /// <summary>No intervention: each sample keeps its own F_n (identity pairing); logits of a sample never depend on other samples.</summary>
    None = 0,

    /// <summary>A random permutation of the batch: sample i is paired with <c>F_n[perm[i]]</c> (CAL's shuffle).</summary>
    RandomPermutation = 1,

    /// <summary>Every sample is paired with the batch mean of F_n, an estimate of E_n[F_n] (CAL's batch-mean variant).</summary>
    BatchMean = 2,
}
