using CausalVision.Clustering.Art;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Clustering.KMeans;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;

namespace CausalVision.Clustering.Tests.Reliability;

/// <summary>
/// Seeded mutation fuzzing of the ART, K-means and hierarchy files: each mutant loads with finite
/// state or throws <see cref="InvalidDataException"/>.
/// </summary>
public sealed class ClusteringFileFuzzTests
{
    private static byte[] Saved(Action<Stream> save)
    {
        using var ms = new MemoryStream();
        save(ms);
        return ms.ToArray();
    }

    [Fact]
    public void FuzzyArt_Mutants_LoadOrThrowInvalidData()
    {
        manual_seed(1);
        using var art = new FuzzyArt(new ArtOptions { Vigilance = 0.7, Sigma = 0.01 });
        using (var x = rand(20, 3))
        {
            art.Fit(x, Enumerable.Range(0, 20).Select(i => (long)(i % 2)).ToArray());
        }

        var seed = Saved(art.Save);
        Fuzzer.Run<InvalidDataException>("ART", seed, bytes =>
        {
            using var loaded = FuzzyArt.Load(new MemoryStream(bytes));
            Assert.True(loaded.ClusterCount >= 0);
            Assert.All(loaded.Vigilances, v => Assert.True(double.IsFinite(v)));
        }, seed: 11);
    }

    [Fact]
    public void KMeans_Mutants_LoadOrThrowInvalidData()
    {
        manual_seed(2);
        using var x = randn(30, 3);
        using var km = new KMeansModel(new KMeansOptions { Clusters = 3 }).Fit(x);
        var seed = Saved(km.Save);
        Fuzzer.Run<InvalidDataException>("K-means", seed, bytes =>
        {
            using var loaded = KMeansModel.Load(new MemoryStream(bytes));
            if (loaded.IsFitted)
            {
                using var c = loaded.GetCenters();
                Assert.True(c.isfinite().all().item<bool>());
            }
        }, seed: 12);
    }

    [Fact]
    public void Hierarchy_Mutants_LoadOrThrowInvalidData()
    {
        using var x = tensor(new double[] { 0.1, 0.15, 0.2, 0.8, 0.85, 0.9, 0.5, 0.55 }, new long[] { 8, 1 }, float64);
        using var h = ExemplarHierarchy.Build(x, new long[] { 0, 0, 0, 1, 1, 0, 1, 1 }, new long[] { 0, 0, 1, 1, 0, 1, 1, 1 }, 2, 2);
        var seed = Saved(h.Save);
        Fuzzer.Run<InvalidDataException>("hierarchy", seed, bytes =>
        {
            using var loaded = ExemplarHierarchy.Load(new MemoryStream(bytes));
            Assert.Equal(loaded.Count, loaded.PrototypeClasses.Count);
            Assert.True(loaded.Prototypes.isfinite().all().item<bool>());
            Assert.True(loaded.TagDistribution.isfinite().all().item<bool>());
            Assert.True(loaded.FeatureMax.isfinite().all().item<bool>());
        }, seed: 13);
    }
}
