using CausalVision.Clustering.Art;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Clustering.KMeans;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;

namespace CausalVision.Clustering.Tests.Reliability;

/// <summary>
/// Seeded mutation fuzzing of the ART, K-means and hierarchy files, both the safetensors state files and the legacy
/// binary layouts (still read): each mutant loads with valid state or throws <see cref="InvalidDataException"/>.
/// </summary>
public sealed class ClusteringFileFuzzTests
{
    private static byte[] Saved(Action<Stream> save)
    {
        using var ms = new MemoryStream();
        save(ms);
        return ms.ToArray();
    }

    // Half the mutants are byte-level (mostly the safetensors header), half keep a valid container with mutated
    // metadata and tensors, so that the checks behind the container are fuzzed too.
    private static void FuzzStateFile(string format, byte[] seed, Action<byte[]> load, int fuzzSeed)
    {
        var k = 0;
        Fuzzer.Run<InvalidDataException>(format, seed, bytes =>
        {
            if (k++ % 2 == 1)
            {
                bytes = StateFileMutator.Mutate(seed, new Random(fuzzSeed * 100_003 + k));
            }

            load(bytes);
        }, fuzzSeed);
    }

    private static void CheckArt(byte[] bytes)
    {
        using var loaded = FuzzyArt.Load(new MemoryStream(bytes));
        Assert.True(loaded.ClusterCount >= 0);
        Assert.All(loaded.Vigilances, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(loaded.ClusterCount, loaded.Counts.Count);
        Assert.Equal(loaded.ClusterCount, loaded.ClusterLabels.Count);
    }

    private static void CheckKMeans(byte[] bytes)
    {
        using var loaded = KMeansModel.Load(new MemoryStream(bytes));
        Assert.True(loaded.IsFitted);
        using var c = loaded.GetCenters();
        Assert.True(c.isfinite().all().item<bool>());
        Assert.Equal([loaded.ClusterCount, loaded.Dimension], c.shape);
        Assert.Equal(loaded.ClusterCount, loaded.ClusterSizes.Count);
    }

    private static void CheckHierarchy(byte[] bytes)
    {
        using var loaded = ExemplarHierarchy.Load(new MemoryStream(bytes));
        Assert.Equal(loaded.Count, loaded.PrototypeClasses.Count);
        Assert.Equal(loaded.Count, loaded.PrototypeTags.Count);
        Assert.Equal(loaded.Count, loaded.MemberCounts.Count);
        Assert.True(loaded.Prototypes.isfinite().all().item<bool>());
        Assert.True(loaded.TagDistribution.isfinite().all().item<bool>());
        Assert.True(loaded.FeatureMax.isfinite().all().item<bool>());
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

        FuzzStateFile("ART", Saved(art.Save), CheckArt, 11);
    }

    [Fact]
    public void FuzzyArtLegacy_Mutants_LoadOrThrowInvalidData()
        => Fuzzer.Run<InvalidDataException>("ART (legacy CVFUZZYART)", LegacyFixtures.Bytes("fuzzyart.cvfuzzyart"), CheckArt, seed: 21);

    [Fact]
    public void KMeans_Mutants_LoadOrThrowInvalidData()
    {
        manual_seed(2);
        using var x = randn(30, 3);
        using var km = new KMeansModel(new KMeansOptions { Clusters = 3 }).Fit(x);
        FuzzStateFile("K-means", Saved(km.Save), CheckKMeans, 12);
    }

    [Fact]
    public void KMeansLegacy_Mutants_LoadOrThrowInvalidData()
        => Fuzzer.Run<InvalidDataException>("K-means (legacy CVKMEANS)", LegacyFixtures.Bytes("kmeans.cvkmeans"), CheckKMeans, seed: 22);

    [Fact]
    public void Hierarchy_Mutants_LoadOrThrowInvalidData()
    {
        using var x = tensor(new double[] { 0.1, 0.15, 0.2, 0.8, 0.85, 0.9, 0.5, 0.55 }, new long[] { 8, 1 }, float64);
        using var h = ExemplarHierarchy.Build(x, new long[] { 0, 0, 0, 1, 1, 0, 1, 1 }, new long[] { 0, 0, 1, 1, 0, 1, 1, 1 }, 2, 2);
        FuzzStateFile("hierarchy", Saved(h.Save), CheckHierarchy, 13);
    }

    [Fact]
    public void HierarchyLegacy_Mutants_LoadOrThrowInvalidData()
        => Fuzzer.Run<InvalidDataException>("hierarchy (legacy CVEXEMPLARS)", LegacyFixtures.Bytes("exemplars.cvexemplars"), CheckHierarchy, seed: 23);
}
