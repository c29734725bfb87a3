// Confounder dictionary for backdoor adjustment: K confounder centres c_k with prior P(c_k).
// Paper B (causal label correlations, /work/shared/seeds/causal-label-correlations.txt): the
// dictionary is built by K-means on spatial features of a pre-trained classification network and
// P(c) comes from the cluster sizes (the authors' answer to a reviewer; no public code). The Table 6
// alternatives: "Random" centres and a "Label" dictionary of per-class mean features with the class
// frequency as prior (the VC R-CNN / CCD_MLIC construction, ANCHORS.md).
using CausalVision.Clustering.Internal;
using TorchSharp;
using static TorchSharp.torch;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;
using KMeansOptionsModel = CausalVision.Clustering.KMeans.KMeansOptions;

namespace CausalVision.Clustering.Confounders;

/// <summary>
/// An immutable confounder dictionary: centres [K, D] and prior P(c) [K] (non-negative, sums to 1).
/// </summary>
/// <remarks>
/// Shapes: <see cref="Centers"/> [K, D], <see cref="Prior"/> [K]. The tensors belong to the dictionary
/// (do not dispose them; clone to keep them past <see cref="Dispose"/>).
/// </remarks>
public sealed class ConfounderDictionary : IDisposable
{
    private const string Magic = "CVCONFOUNDERS";
    private const int FormatVersion = 1;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="ConfounderDictionary"/> class (copies the inputs).</summary>
    /// <param name="centers">Centres [K, D], finite.</param>
    /// <param name="prior">Prior [K], non-negative, summing to 1 (within 1e-4).</param>
    public ConfounderDictionary(Tensor centers, Tensor prior)
    {
        Guard.Features(centers, nameof(centers));
        ArgumentNullException.ThrowIfNull(prior);
        if (prior.dim() != 1 || prior.shape[0] != centers.shape[0])
        {
            throw new ArgumentException($"prior must be [K] = [{centers.shape[0]}], got [{string.Join(", ", prior.shape)}].", nameof(prior));
        }

        Guard.Finite(prior, nameof(prior));
        using (var scope = NewDisposeScope())
        {
            var min = prior.min().to(ScalarType.Float64);
            var sum = prior.sum(ScalarType.Float64);
            if (min.item<double>() < 0)
            {
                throw new ArgumentException("prior has negative entries.", nameof(prior));
            }

            if (Math.Abs(sum.item<double>() - 1.0) > 1e-4)
            {
                throw new ArgumentException($"prior must sum to 1, sums to {sum.item<double>():G6}.", nameof(prior));
            }
        }

        using var copyScope = NewDisposeScope();
        Centers = centers.detach().clone().DetachFromDisposeScope();
        Prior = prior.detach().to(centers.dtype, centers.device).clone().DetachFromDisposeScope();
    }

    /// <summary>Gets the centres [K, D] (owned by the dictionary).</summary>
    public Tensor Centers { get; }

    /// <summary>Gets the prior P(c) [K] (owned by the dictionary).</summary>
    public Tensor Prior { get; }

    /// <summary>Gets the number of confounders K.</summary>
    public int Size => (int)Centers.shape[0];

    /// <summary>Gets the feature dimension D.</summary>
    public long Dimension => Centers.shape[1];

    /// <summary>Builds the dictionary by K-means: centres are the cluster centres, P(c) = cluster size / N.</summary>
    /// <param name="features">Features [N, D].</param>
    /// <param name="options">K-means options (K = <see cref="KMeansOptionsModel.Clusters"/>).</param>
    /// <param name="miniBatch">Whether to use mini-batch K-means instead of Lloyd.</param>
    /// <returns>The dictionary.</returns>
    public static ConfounderDictionary FromKMeans(Tensor features, KMeansOptionsModel options, bool miniBatch = false)
    {
        using var km = new KMeansModel(options, features?.device);
        if (miniBatch)
        {
            km.FitMiniBatch(features!);
        }
        else
        {
            km.Fit(features!);
        }

        return FromKMeans(km);
    }

    /// <summary>Builds the dictionary by streaming mini-batch K-means (for more features than fit in memory).</summary>
    /// <param name="batches">Re-enumerable feature batches [n_i, D] (see <see cref="KMeansModel.FitStream"/>).</param>
    /// <param name="options">K-means options.</param>
    /// <param name="device">The device; CPU when null.</param>
    /// <returns>The dictionary.</returns>
    public static ConfounderDictionary FromKMeansStream(IEnumerable<Tensor> batches, KMeansOptionsModel options, Device? device = null)
    {
        using var km = new KMeansModel(options, device);
        km.FitStream(batches);
        return FromKMeans(km);
    }

    /// <summary>Wraps a fitted K-means model: centres and P(c) = cluster sizes / N.</summary>
    /// <param name="kmeans">A fitted model.</param>
    /// <returns>The dictionary.</returns>
    public static ConfounderDictionary FromKMeans(KMeansModel kmeans)
    {
        ArgumentNullException.ThrowIfNull(kmeans);
        if (!kmeans.IsFitted)
        {
            throw new ArgumentException("The K-means model is not fitted.", nameof(kmeans));
        }

        var sizes = kmeans.ClusterSizes.Select(v => (double)v).ToArray();
        var total = sizes.Sum();
        using var centers = kmeans.GetCenters();
        using var prior = tensor(sizes.Select(v => v / total).ToArray(), centers.dtype, centers.device);
        return new ConfounderDictionary(centers, prior);
    }

    /// <summary>
    /// The Table 6 "Random" alternative: centres drawn i.i.d. N(0, scale^2), uniform prior. (The paper
    /// does not say how its random dictionary is drawn; this choice keeps it data-independent.)
    /// </summary>
    /// <param name="size">K.</param>
    /// <param name="dimension">D.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="scale">The standard deviation of the entries.</param>
    /// <param name="device">The device; CPU when null.</param>
    /// <returns>The dictionary.</returns>
    public static ConfounderDictionary Random(int size, long dimension, long seed = 0, double scale = 1.0, Device? device = null)
    {
        if (size < 1)
        {
            throw new ArgumentException($"size = {size} must be >= 1.", nameof(size));
        }

        if (dimension < 1)
        {
            throw new ArgumentException($"dimension = {dimension} must be >= 1.", nameof(dimension));
        }

        if (!(scale > 0) || !double.IsFinite(scale))
        {
            throw new ArgumentException($"scale = {scale} must be positive and finite.", nameof(scale));
        }

        using var gen = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        var centers = (randn(new long[] { size, dimension }, generator: gen) * scale).to(device ?? CPU);
        var prior = full(size, 1.0 / size, float32, device ?? CPU);
        return new ConfounderDictionary(centers, prior);
    }

    /// <summary>
    /// The Table 6 "Label" alternative: one centre per class = mean feature of the samples carrying
    /// the class; prior = class frequency normalised to sum 1. Classes without samples are an error.
    /// </summary>
    /// <param name="features">Features [N, D].</param>
    /// <param name="labels">Class ids [N] (int64, single-label) or a multi-hot matrix [N, C].</param>
    /// <param name="classCount">C, the number of classes.</param>
    /// <returns>The dictionary with K = C.</returns>
    public static ConfounderDictionary FromLabels(Tensor features, Tensor labels, int classCount)
    {
        Guard.Features(features, nameof(features));
        ArgumentNullException.ThrowIfNull(labels);
        if (classCount < 1)
        {
            throw new ArgumentException($"classCount = {classCount} must be >= 1.", nameof(classCount));
        }

        var n = features.shape[0];
        using var scope = NewDisposeScope();
        Tensor multiHot;
        if (labels.dim() == 1)
        {
            if (labels.shape[0] != n)
            {
                throw new ArgumentException($"labels has {labels.shape[0]} entries but features has {n} rows.", nameof(labels));
            }

            var ids = labels.to(ScalarType.Int64).cpu().data<long>().ToArray();
            Guard.Ids(ids, n, classCount, nameof(labels));
            multiHot = nn.functional.one_hot(labels.to(ScalarType.Int64).to(features.device), classCount).to(features.dtype);
        }
        else if (labels.dim() == 2)
        {
            if (labels.shape[0] != n || labels.shape[1] != classCount)
            {
                throw new ArgumentException($"multi-hot labels must be [{n}, {classCount}], got [{string.Join(", ", labels.shape)}].", nameof(labels));
            }

            Guard.Finite(labels, nameof(labels));
            multiHot = labels.to(features.dtype, features.device);
        }
        else
        {
            throw new ArgumentException($"labels must be [N] class ids or [N, C] multi-hot, got [{string.Join(", ", labels.shape)}].", nameof(labels));
        }

        var counts = multiHot.sum(dim: 0L);
        var empty = (counts <= 0).nonzero();
        if (empty.shape[0] > 0)
        {
            throw new ArgumentException($"class {empty[0, 0].item<long>()} has no samples; every class needs at least one for a Label dictionary.", nameof(labels));
        }

        var centers = multiHot.t().matmul(features) / counts.unsqueeze(1);
        var prior = counts / counts.sum();
        return new ConfounderDictionary(centers, prior);
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless the last dimension of <paramref name="features"/> is D.</summary>
    /// <param name="features">Features [..., D].</param>
    /// <param name="name">The parameter name for the message.</param>
    public void ValidateFeatures(Tensor features, string name = "features")
    {
        ArgumentNullException.ThrowIfNull(features, name);
        if (features.dim() == 0 || features.shape[^1] != Dimension)
        {
            throw new ArgumentException($"{name} has last dimension {(features.dim() == 0 ? 0 : features.shape[^1])} but the confounder dictionary has D = {Dimension} (dimension mismatch).", name);
        }
    }

    /// <summary>Saves centres and prior.</summary>
    /// <param name="path">The file path.</param>
    public void Save(string path)
    {
        using var fs = File.Create(path);
        Save(fs);
    }

    /// <summary>Saves centres and prior to a stream.</summary>
    /// <param name="stream">The stream (left open).</param>
    public void Save(Stream stream)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var w = BinaryTensor.BeginWrite(stream, Magic, FormatVersion);
        BinaryTensor.WriteTensor(w, Centers);
        BinaryTensor.WriteTensor(w, Prior);
    }

    /// <summary>Loads a dictionary saved by <see cref="Save(string)"/>.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="device">The target device; CPU when null.</param>
    /// <returns>The dictionary.</returns>
    public static ConfounderDictionary Load(string path, Device? device = null)
    {
        using var fs = File.OpenRead(path);
        return Load(fs, device);
    }

    /// <summary>Loads a dictionary from a stream.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="device">The target device; CPU when null.</param>
    /// <returns>The dictionary.</returns>
    public static ConfounderDictionary Load(Stream stream, Device? device = null)
    {
        using var r = BinaryTensor.BeginRead(stream, Magic, FormatVersion);
        return BinaryTensor.Guarded(Magic, () =>
        {
            using var c = BinaryTensor.ReadTensor(r, device ?? CPU);
            using var p = BinaryTensor.ReadTensor(r, device ?? CPU);
            try
            {
                return new ConfounderDictionary(c, p);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Corrupt confounder dictionary: {e.Message}", e);
            }
        });
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            Centers.Dispose();
            Prior.Dispose();
        }
    }
}
