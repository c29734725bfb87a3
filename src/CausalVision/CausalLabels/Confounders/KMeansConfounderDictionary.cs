// Paper B's default confounder dictionary: K-means over spatial features of a pre-trained, frozen
// backbone; P(c) = cluster size / N (the authors' answer to a reviewer; no public code). Returns
// Core's canonical CausalVision.CausalLabels.ConfounderDictionary.
using CausalVision.CausalLabels;
using TorchSharp;
using static TorchSharp.torch;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;
using KMeansOptionsModel = CausalVision.Clustering.KMeans.KMeansOptions;

namespace CausalVision.CausalLabels.Confounders;

/// <summary>K-means confounder dictionaries: centres = K-means centres, P(c) = cluster sizes / N.</summary>
/// <remarks>Shapes: features [N, D] -&gt; centres [K, D], prior [K].</remarks>
public static class KMeansConfounderDictionary
{
    /// <summary>Clusters an in-memory feature matrix (Lloyd from k-means++ seeds, or mini-batch).</summary>
    /// <param name="features">Features [N, D], N &gt;= K.</param>
    /// <param name="options">K-means options; K = <see cref="KMeansOptionsModel.Clusters"/>.</param>
    /// <param name="miniBatch">Whether to use mini-batch K-means instead of Lloyd; default false.</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="ArgumentException">Empty or non-finite features, or K larger than the feature count.</exception>
    public static ConfounderDictionary Build(Tensor features, KMeansOptionsModel options, bool miniBatch = false)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        if (features.dim() == 2 && features.shape[0] < options.Clusters)
        {
            throw new ArgumentException($"K ({options.Clusters}) is larger than the number of feature vectors ({features.shape[0]}); clustering needs at least K features.", nameof(features));
        }

        using var km = new KMeansModel(options, features.device);
        if (miniBatch)
        {
            km.FitMiniBatch(features);
        }
        else
        {
            km.Fit(features);
        }

        return FromFitted(km);
    }

    /// <summary>Clusters a re-enumerable stream of feature batches by streaming mini-batch K-means (see <see cref="KMeansModel.FitStream"/>).</summary>
    /// <param name="batches">Batches [n_i, D]; the caller owns them.</param>
    /// <param name="options">K-means options.</param>
    /// <param name="device">The device of the centres; CPU when null.</param>
    /// <returns>The dictionary.</returns>
    public static ConfounderDictionary Build(IEnumerable<Tensor> batches, KMeansOptionsModel options, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(options);
        using var km = new KMeansModel(options, device);
        km.FitStream(batches);
        return FromFitted(km);
    }

    /// <summary>Wraps a fitted K-means model: its centres and P(c) = cluster sizes / N from its final assignment pass.</summary>
    /// <param name="kmeans">A fitted model.</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="ArgumentException">The model is not fitted.</exception>
    public static ConfounderDictionary FromFitted(KMeansModel kmeans)
    {
        ArgumentNullException.ThrowIfNull(kmeans);
        if (!kmeans.IsFitted)
        {
            throw new ArgumentException("The K-means model is not fitted.", nameof(kmeans));
        }

        using var centres = kmeans.GetCenters();
        return ConfounderDictionary.FromClusterSizes(centres, kmeans.ClusterSizes);
    }
}
