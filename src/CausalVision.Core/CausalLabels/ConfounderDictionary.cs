// Confounder dictionaries for the intervention (paper B; slides' Table 6: Random, Label, K-means).
// K-means itself lives in the Clustering package (Core must not depend on it): run it on spatial
// features of a pre-trained backbone and pass its assignments to FromAssignments.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>A confounder dictionary: centres C [K, Dc] and prior P(c) [K] summing to 1. Owns its tensors.</summary>
public sealed class ConfounderDictionary : IDisposable
{
    private ConfounderDictionary(Tensor centres, Tensor prior)
    {
        Centres = centres;
        Prior = prior;
    }

    /// <summary>Gets the centres [K, Dc] (float32, CPU).</summary>
    public Tensor Centres { get; }

    /// <summary>Gets the prior [K] (float32, CPU).</summary>
    public Tensor Prior { get; }

    /// <summary>Gets K.</summary>
    public int Count => (int)Centres.shape[0];

    /// <summary>Gets Dc.</summary>
    public int Dim => (int)Centres.shape[1];

    /// <summary>
    /// K-means dictionary (slides' default): centres = member means of each cluster, P(c) = cluster
    /// size / N (the authors' reply to a reviewer). An empty cluster gets a zero centre and P(c) = 0.
    /// </summary>
    /// <param name="features">Clustered features [N, Dc] (spatial features of a frozen backbone).</param>
    /// <param name="assignments">Cluster of each feature [N], integers in [0, K).</param>
    /// <param name="k">K.</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="ArgumentException">K &lt; 1, K larger than the feature count, wrong shapes, non-finite features, assignments out of range.</exception>
    public static ConfounderDictionary FromAssignments(Tensor features, Tensor assignments, int k)
    {
        CheckFeatures(features);
        ArgumentNullException.ThrowIfNull(assignments);
        var n = features.shape[0];
        CheckK(k, n);
        if (assignments.dim() != 1 || assignments.shape[0] != n || assignments.is_floating_point())
        {
            throw new ArgumentException($"Assignments must be an integer tensor [N] = [{n}]; got {assignments.dtype} [{string.Join(", ", assignments.shape)}].", nameof(assignments));
        }

        using var scope = NewDisposeScope();
        var a = assignments.detach().cpu().to(int64);
        if ((a < 0).any().item<bool>() || (a >= k).any().item<bool>())
        {
            throw new ArgumentException($"Cluster assignments must lie in [0, {k}); found {a.min().item<long>()}..{a.max().item<long>()}.", nameof(assignments));
        }

        var f = features.detach().cpu().to(float64);
        var sums = torch.zeros(k, f.shape[1], dtype: float64).index_add_(0, a, f, 1.0);
        var counts = torch.zeros(k, dtype: float64).index_add_(0, a, torch.ones(n, dtype: float64), 1.0);
        var centres = sums / counts.clamp_min(1).unsqueeze(1);
        var prior = counts / n;
        return new ConfounderDictionary(centres.to(float32).MoveToOuterDisposeScope(), prior.to(float32).MoveToOuterDisposeScope());
    }

    /// <summary>Dictionary from given centres and cluster sizes: P(c) = count_c / sum counts.</summary>
    /// <param name="centres">Centres [K, Dc].</param>
    /// <param name="counts">Non-negative sizes [K], not all zero.</param>
    /// <returns>The dictionary (copies).</returns>
    /// <exception cref="ArgumentException">Wrong shapes, non-finite values, negative or all-zero counts.</exception>
    public static ConfounderDictionary FromCentres(Tensor centres, Tensor counts)
    {
        CheckFeatures(centres, nameof(centres));
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.dim() != 1 || counts.shape[0] != centres.shape[0])
        {
            throw new ArgumentException($"Counts must be [K] = [{centres.shape[0]}]; got [{string.Join(", ", counts.shape)}].", nameof(counts));
        }

        using var scope = NewDisposeScope();
        var c = counts.detach().cpu().to(float64);
        if (!torch.isfinite(c).all().item<bool>() || (c < 0).any().item<bool>() || c.sum().item<double>() <= 0)
        {
            throw new ArgumentException("Counts must be finite, non-negative and not all zero.", nameof(counts));
        }

        var prior = (c / c.sum()).to(float32);
        return new ConfounderDictionary(centres.detach().cpu().to(float32).clone().MoveToOuterDisposeScope(), prior.MoveToOuterDisposeScope());
    }

    /// <summary>Slides' Table 6 "Random": centres drawn from N(0, 1) with a fixed seed, uniform prior.</summary>
    /// <param name="k">K.</param>
    /// <param name="dim">Dc.</param>
    /// <param name="seed">Generator seed; default 0.</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Non-positive sizes.</exception>
    public static ConfounderDictionary Random(int k, int dim, long seed = 0)
    {
        if (k < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "K must be at least 1.");
        }

        if (dim < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), dim, "The dimension must be at least 1.");
        }

        using var generator = new Generator((ulong)seed);
        return new ConfounderDictionary(torch.randn(k, dim, generator: generator), torch.full(k, 1.0f / k));
    }

    /// <summary>
    /// Slides' Table 6 "Label" (as VC R-CNN / CCD): one centre per label, the mean feature of the
    /// images having it; P(c) = label frequency / total label count. K = L.
    /// </summary>
    /// <param name="features">Per-image features [N, Dc] (e.g. pooled backbone features).</param>
    /// <param name="targets">Multi-hot labels [N, L].</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="ArgumentException">Wrong shapes, non-finite features, or a label no image has.</exception>
    public static ConfounderDictionary FromClassMeans(Tensor features, Tensor targets)
    {
        CheckFeatures(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.dim() != 2 || targets.shape[0] != features.shape[0] || targets.shape[1] < 1)
        {
            throw new ArgumentException($"Targets must be [N, L] = [{features.shape[0]}, L >= 1]; got [{string.Join(", ", targets.shape)}].", nameof(targets));
        }

        using var scope = NewDisposeScope();
        var t = (targets.detach().cpu() != 0).to(float64);
        var counts = t.sum(dim: 0);
        var missing = (counts == 0).nonzero();
        if (missing.shape[0] > 0)
        {
            throw new ArgumentException($"Label {missing[0, 0].item<long>()} has no image, so it has no class-mean confounder ({missing.shape[0]} such label(s)).", nameof(targets));
        }

        var f = features.detach().cpu().to(float64);
        var centres = t.t().matmul(f) / counts.unsqueeze(1);
        return new ConfounderDictionary(centres.to(float32).MoveToOuterDisposeScope(), (counts / counts.sum()).to(float32).MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Centres.Dispose();
        Prior.Dispose();
    }

    private static void CheckK(int k, long n)
    {
        if (k < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "K must be at least 1.");
        }

        if (k > n)
        {
            throw new ArgumentException($"K ({k}) is larger than the number of feature vectors ({n}); clustering needs at least K features.", nameof(k));
        }
    }

    private static void CheckFeatures(Tensor features, string name = "features")
    {
        ArgumentNullException.ThrowIfNull(features, name);
        if (features.dim() != 2 || features.shape[0] < 1 || features.shape[1] < 1)
        {
            throw new ArgumentException($"Expected a non-empty matrix [N, D]; got [{string.Join(", ", features.shape)}].", name);
        }

        using var finite = torch.isfinite(features);
        using var all = finite.all();
        if (!all.item<bool>())
        {
            throw new ArgumentException("The features contain NaN or Inf.", name);
        }
    }
}
