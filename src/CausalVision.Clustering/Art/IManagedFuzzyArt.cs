// The common surface of the managed (double[]) Fuzzy ART implementations, so that callers such as the
// exemplar hierarchy can pick one by ArtBackend and hand the result to FuzzyArt.FromNaive.
namespace CausalVision.Clustering.Art;

/// <summary>
/// A Fuzzy ART / AM-ART model held in managed float64 memory: <see cref="NaiveFuzzyArt"/> (the reference
/// loop) or <see cref="VectorizedFuzzyArt"/> (the SIMD kernel). Both give identical results.
/// </summary>
public interface IManagedFuzzyArt
{
    /// <summary>Gets a copy of the options.</summary>
    ArtOptions Options { get; }

    /// <summary>Gets the raw input dimension D, or -1 before the first fit.</summary>
    int InputDimension { get; }

    /// <summary>Gets the number of clusters.</summary>
    int ClusterCount { get; }

    /// <summary>Gets copies of the cluster weights [C][codedDim].</summary>
    double[][] Weights { get; }

    /// <summary>Gets the per-cluster vigilances.</summary>
    double[] Vigilances { get; }

    /// <summary>Gets the per-cluster learning counts (new-cluster commits included).</summary>
    long[] Counts { get; }

    /// <summary>Gets the per-cluster labels (-1 when unlabelled).</summary>
    long[] ClusterLabels { get; }

    /// <summary>Clears the model and learns the rows for <see cref="ArtOptions.Epochs"/> epochs.</summary>
    /// <param name="data">Rows in [0, 1], all of the same length.</param>
    /// <param name="labels">Optional per-row labels (&gt;= 0).</param>
    /// <returns>The cluster of each row in the last epoch.</returns>
    long[] Fit(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels = null);

    /// <summary>Assigns rows without learning (see <see cref="FuzzyArt.Predict"/>).</summary>
    /// <param name="data">Rows in [0, 1].</param>
    /// <param name="labels">Optional labels restricting rows to clusters of their own label.</param>
    /// <param name="requireResonance">Whether the vigilance test applies.</param>
    /// <returns>The cluster per row, or -1.</returns>
    long[] Predict(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels = null, bool requireResonance = true);
}
