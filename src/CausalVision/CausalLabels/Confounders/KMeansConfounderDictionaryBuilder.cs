// The default IConfounderDictionaryBuilder of paper B's stage 2: K-means (K = 80) over the spatial
// features of the trained, frozen backbone across the training set.
using CausalVision.CausalLabels;
using TorchSharp;
using static TorchSharp.torch;
using KMeansOptionsModel = CausalVision.Clustering.KMeans.KMeansOptions;

namespace CausalVision.CausalLabels.Confounders;

/// <summary>
/// K-means dictionary builder (slides' default and Table 6 "K-means"). Every spatial feature
/// (feature-map cell) of every streamed image is a sample, optionally sub-sampled to
/// <see cref="MaxFeaturesPerImage"/> cells per image (deterministic by <see cref="KMeansOptionsModel.Seed"/>).
/// In-memory mode (default) reads the stream once and runs Lloyd's algorithm; streaming mode runs
/// mini-batch K-means over <see cref="KMeansOptionsModel.MiniBatchEpochs"/> + 1 passes of the stream.
/// </summary>
public sealed class KMeansConfounderDictionaryBuilder : IConfounderDictionaryBuilder
{
    private readonly KMeansOptionsModel options;

    /// <summary>Initializes a new instance of the <see cref="KMeansConfounderDictionaryBuilder"/> class.</summary>
    /// <param name="options">K-means options (copied); null means <c>Clusters = 80</c> (the slides' best K, Table 4) and the other K-means defaults.</param>
    /// <param name="maxFeaturesPerImage">Cells kept per image; default 0 keeps all.</param>
    /// <param name="streaming">Whether to use streaming mini-batch K-means instead of collecting the features; default false.</param>
    /// <exception cref="ArgumentException">Invalid K-means options or a negative per-image count.</exception>
    public KMeansConfounderDictionaryBuilder(KMeansOptionsModel? options = null, int maxFeaturesPerImage = 0, bool streaming = false)
    {
        this.options = options?.Clone() ?? new KMeansOptionsModel { Clusters = DefaultK };
        this.options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(maxFeaturesPerImage);
        MaxFeaturesPerImage = maxFeaturesPerImage;
        Streaming = streaming;
    }

    /// <summary>Gets the default K (80, the slides' best in Table 4).</summary>
    public static int DefaultK => 80;

    /// <summary>Gets K.</summary>
    public int K => options.Clusters;

    /// <summary>Gets the spatial features kept per image (0 = all).</summary>
    public int MaxFeaturesPerImage { get; }

    /// <summary>Gets a value indicating whether streaming mini-batch K-means is used.</summary>
    public bool Streaming { get; }

    /// <inheritdoc/>
    public string Name => "kmeans";

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">An empty stream, inconsistent feature dimensions, or K larger than the feature count.</exception>
    public ConfounderDictionary Build(IEnumerable<ConfounderFeatureBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (Streaming)
        {
            return KMeansConfounderDictionary.Build(Flatten(batches), options);
        }

        using var scope = NewDisposeScope();
        var rows = new List<Tensor>();
        long total = 0;
        foreach (var f in Flatten(batches))
        {
            if (rows.Count > 0 && f.shape[1] != rows[0].shape[1])
            {
                throw new ArgumentException($"Inconsistent feature dimension in the stream: {f.shape[1]} after {rows[0].shape[1]}.", nameof(batches));
            }

            rows.Add(f.detach().cpu().clone());
            total += f.shape[0];
        }

        if (rows.Count == 0)
        {
            throw new ArgumentException("The feature stream is empty.", nameof(batches));
        }

        if (total < K)
        {
            throw new ArgumentException($"K ({K}) is larger than the number of feature vectors ({total}); clustering needs at least K features (lower K or stream more images).", nameof(batches));
        }

        var all = torch.cat(rows, 0);
        return KMeansConfounderDictionary.Build(all, options);
    }

    private IEnumerable<Tensor> Flatten(IEnumerable<ConfounderFeatureBatch> batches)
    {
        var rng = new Random(options.Seed);
        foreach (var batch in batches)
        {
            batch.Validate();
            var tokens = batch.Tokens;
            var (b, n, d) = (tokens.shape[0], tokens.shape[1], tokens.shape[2]);
            if (MaxFeaturesPerImage == 0 || MaxFeaturesPerImage >= n)
            {
                using var flat = tokens.detach().reshape(b * n, d);
                yield return flat;
            }
            else
            {
                var idx = new long[b * MaxFeaturesPerImage];
                for (var i = 0; i < b; i++)
                {
                    var cells = Enumerable.Range(0, (int)n).OrderBy(_ => rng.Next()).Take(MaxFeaturesPerImage).ToArray();
                    for (var j = 0; j < cells.Length; j++)
                    {
                        idx[(i * MaxFeaturesPerImage) + j] = (i * n) + cells[j];
                    }
                }

                using var index = torch.tensor(idx, device: tokens.device);
                using var flat = tokens.detach().reshape(b * n, d);
                using var picked = flat.index_select(0, index);
                yield return picked;
            }
        }
    }
}
