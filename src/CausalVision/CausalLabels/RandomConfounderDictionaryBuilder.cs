// Slides' Table 6 "Random" confounders: data-independent centres (see ConfounderDictionary.Random).
namespace CausalVision.CausalLabels;

/// <summary>
/// Builds a random dictionary (slides' Table 6 "Random"): K centres from N(0, s^2), uniform prior.
/// The scale s is the standard deviation of the streamed features (choice: the slides do not say
/// how the random dictionary is drawn; matching the feature scale keeps Z_c = X + c comparable to
/// the K-means dictionary). Only the first batch is read.
/// </summary>
public sealed class RandomConfounderDictionaryBuilder : IConfounderDictionaryBuilder
{
    /// <summary>Initializes a new instance of the <see cref="RandomConfounderDictionaryBuilder"/> class.</summary>
    /// <param name="k">K; default 80.</param>
    /// <param name="seed">Generator seed; default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1.</exception>
    public RandomConfounderDictionaryBuilder(int k = 80, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        K = k;
        Seed = seed;
    }

    /// <summary>Gets K.</summary>
    public int K { get; }

    /// <summary>Gets the seed.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public string Name => "random";

    /// <inheritdoc/>
    public ConfounderDictionary Build(IEnumerable<ConfounderFeatureBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        foreach (var batch in batches)
        {
            batch.Validate();
            double s;
            using (TorchSharp.torch.NewDisposeScope())
            {
                s = batch.Tokens.detach().to(TorchSharp.torch.float64).std().item<double>();
            }

            return ConfounderDictionary.Random(K, (int)batch.Tokens.shape[2], Seed, s > 0 && double.IsFinite(s) ? s : 1.0);
        }

        throw new ArgumentException("The feature stream is empty; at least one batch is needed to know D.", nameof(batches));
    }
}
