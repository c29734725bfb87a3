// Controls that test whether the confounder dictionary's structure matters: each replaces the
// stage-2 dictionary by one that keeps some of its statistics and destroys the rest.
using CausalVision.Runtime;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>How the trainer alters the stage-2 dictionary before stage 3 (ablation controls).</summary>
public enum DictionaryControl
{
    /// <summary>The dictionary as built (the method).</summary>
    None,

    /// <summary>c = 0: every centre zero, prior kept.</summary>
    Zero,

    /// <summary>K = 1: one centre at E_P[c], prior 1.</summary>
    PriorMean,

    /// <summary>K Gaussian centres with the prior-weighted mean and covariance of the built centres; prior kept.</summary>
    MatchedRandom,

    /// <summary>The built centres with the prior permuted at random.</summary>
    ShuffledPrior,
}

/// <summary>Builds the control dictionaries of <see cref="DictionaryControl"/>.</summary>
public static class DictionaryControls
{
    /// <summary>Applies a control to a dictionary.</summary>
    /// <param name="control">The control.</param>
    /// <param name="dictionary">The built dictionary (not disposed).</param>
    /// <param name="seed">Seed of the random controls.</param>
    /// <returns>A new dictionary (a copy for <see cref="DictionaryControl.None"/>).</returns>
    public static ConfounderDictionary Apply(DictionaryControl control, ConfounderDictionary dictionary, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        using var scope = NewDisposeScope();
        var c = dictionary.Centres.to(float64);
        var p = dictionary.Prior.to(float64);
        p = p / p.sum();
        switch (control)
        {
            case DictionaryControl.None:
                return new ConfounderDictionary(dictionary.Centres, dictionary.Prior);
            case DictionaryControl.Zero:
                return new ConfounderDictionary(zeros_like(dictionary.Centres), dictionary.Prior);
            case DictionaryControl.PriorMean:
                return new ConfounderDictionary(PriorMean(c, p).to(float32), ones(1));
            case DictionaryControl.ShuffledPrior:
            {
                using var g = new Generator((ulong)seed);
                var perm = randperm(dictionary.Count, generator: g);
                return new ConfounderDictionary(dictionary.Centres, dictionary.Prior[perm]);
            }

            case DictionaryControl.MatchedRandom:
            {
                var mean = PriorMean(c, p);                                          // [1, D]
                var centred = c - mean;
                var cov = (centred * p.unsqueeze(1)).t().matmul(centred);           // [D, D]
                var d = cov.shape[0];
                var jitter = (cov.trace() / d * 1e-6).item<double>() + 1e-12;
                var l = linalg.cholesky(ScalarSafe.Add(cov, eye(d, dtype: float64) * jitter));
                using var g = new Generator((ulong)seed);
                var z = randn(new long[] { dictionary.Count, d }, dtype: float64, generator: g);
                var random = ScalarSafe.Add(mean, z.matmul(l.t()));
                return new ConfounderDictionary(random.to(float32), dictionary.Prior);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(control), control, "Unknown dictionary control.");
        }
    }

    private static Tensor PriorMean(Tensor centres, Tensor prior) => (centres * prior.unsqueeze(1)).sum(0, keepdim: true);
}
