// A multi-label benchmark with headroom for label-correlation methods (paper B, ContextualBias-style
// exclusive / co-occur evaluation). The single-label/multi-label SyntheticBenchmark gives about six
// exclusive-b training images per pair and 3-5 px objects at 32 px; this one draws each biased pair
// independently so that every pair has tens of exclusive training examples and 100+ exclusive test
// positives, with 8-11 px radii at 64 px, and offers a common-cause variant (a background context that
// raises both P(b) and P(c) in training only). Objects, contexts and the renderer are the
// SyntheticBenchmark's.
using CausalVision.Data;
using CausalVision.Metrics;

namespace CausalVision.Synthetic;

/// <summary>
/// The multi-label headroom benchmark: 24 objects (6 shapes x 4 colours) as labels, <see cref="MultiLabelBenchmarkOptions.PairCount"/>
/// biased pairs (b, c), one background context per pair plus a neutral one; train, validation
/// (training distribution) and test splits, rendered lazily and deterministically from the seed.
/// </summary>
/// <remarks>
/// <para>Direct variant, per pair k: b ~ Bernoulli(p_b); c ~ Bernoulli(P(c|b)) with P(c|b) = 0.8 in
/// training and 0.5 at test, P(c|not b) = 0.05; the context is uniform and carries no label information.</para>
/// <para>Common-cause variant: in training the context h is uniform over the K pairs and a neutral
/// context; b_k and c_k are independent given h, each with probability 0.8 when h = k and 0.03
/// otherwise, so P(c|b) is high through h alone. At test h is uniform and independent of the labels
/// and b_k, c_k are independent draws with the training marginal P(b_k).</para>
/// <para>Free objects appear independently with probability 0.1; a draw with more than
/// <see cref="MultiLabelBenchmarkOptions.MaxObjectsPerImage"/> objects is redrawn.</para>
/// </remarks>
public sealed class MultiLabelBenchmark
{
    private const int MaxRedraws = 1000;

    private readonly ulong baseSeed;
    private readonly SyntheticBenchmark vocabulary;
    private readonly int[] freeObjects;

    private MultiLabelBenchmark(MultiLabelBenchmarkOptions options)
    {
        Options = options;
        baseSeed = SyntheticRandom.Derive(0x5EED_4EAD_400DUL, (ulong)(uint)options.Seed);

        // The vocabulary (objects, contexts, a random choice of disjoint pairs) of the existing generator.
        vocabulary = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            Name = options.Name,
            MultiLabel = true,
            ImageSize = options.ImageSize,
            BiasedPairCount = options.PairCount,
            ContextCount = options.PairCount + 1,
            TrainSize = 1,
            TestIidSize = 1,
            TestOodSize = 1,
            Seed = options.Seed,
        });
        Pairs = vocabulary.BiasedPairs;
        var paired = Pairs.SelectMany(p => new[] { p.Biased, p.Context }).ToHashSet();
        freeObjects = [.. Enumerable.Range(0, vocabulary.Objects.Count).Where(o => !paired.Contains(o))];
        Info = vocabulary.Info with { Name = options.Name };
        Train = new MultiLabelBenchmarkSplit(this, "train", 0, options.TrainSize, biased: !options.UnbiasedTraining);
        Validation = new MultiLabelBenchmarkSplit(this, "validation", 1, options.ValidationSize, biased: !options.UnbiasedTraining);
        Test = new MultiLabelBenchmarkSplit(this, "test", 2, options.TestSize, biased: false);
    }

    /// <summary>Gets a copy of the options the benchmark was generated with.</summary>
    public MultiLabelBenchmarkOptions Options { get; }

    /// <summary>Gets the labels (the 24 objects; tags equal labels).</summary>
    public DatasetInfo Info { get; }

    /// <summary>Gets the biased pairs (b, c) as object ids.</summary>
    public IReadOnlyList<BiasedPair> Pairs { get; }

    /// <summary>Gets the object vocabulary.</summary>
    public IReadOnlyList<SyntheticObjectKind> Objects => vocabulary.Objects;

    /// <summary>Gets the background contexts: context k &lt; K is tied to pair k in the common-cause variant, K is neutral.</summary>
    public IReadOnlyList<SyntheticContext> Contexts => vocabulary.Contexts;

    /// <summary>Gets the training split.</summary>
    public MultiLabelBenchmarkSplit Train { get; }

    /// <summary>Gets the validation split (training distribution).</summary>
    public MultiLabelBenchmarkSplit Validation { get; }

    /// <summary>Gets the test split.</summary>
    public MultiLabelBenchmarkSplit Test { get; }

    /// <summary>Gets P(b_k) in the common-cause variant's training distribution, which the test keeps.</summary>
    public double CommonCauseMarginal => (Options.ContextHigh + (Options.PairCount * Options.ContextLow)) / (Options.PairCount + 1);

    /// <summary>Generates the benchmark (images are rendered lazily).</summary>
    /// <param name="options">The options (copied; validated); null for defaults.</param>
    /// <returns>The benchmark.</returns>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public static MultiLabelBenchmark Generate(MultiLabelBenchmarkOptions? options = null)
    {
        var copy = (options ?? new MultiLabelBenchmarkOptions()).Clone();
        copy.Validate();
        return new MultiLabelBenchmark(copy);
    }

    /// <summary>Describes one sample (no index check; the split checks).</summary>
    internal SyntheticSampleInfo Describe(int stream, int index, bool biased)
    {
        var o = Options;
        var rng = new SyntheticRandom(SyntheticRandom.Derive(SyntheticRandom.Derive(baseSeed, 100 + (ulong)stream), (ulong)index));
        var contexts = Contexts.Count;
        List<int> ids = [];
        var context = 0;
        for (var attempt = 0; attempt < MaxRedraws; attempt++)
        {
            ids.Clear();
            context = rng.NextInt(contexts);
            for (var k = 0; k < Pairs.Count; k++)
            {
                bool b, c;
                if (o.Bias == MultiLabelBias.Direct)
                {
                    b = rng.Bernoulli(o.BiasedProbability);
                    c = rng.Bernoulli(b ? (biased ? o.TrainCooccurrence : o.TestCooccurrence) : o.ContextAloneProbability);
                }
                else
                {
                    var p = !biased ? CommonCauseMarginal : context == k ? o.ContextHigh : o.ContextLow;
                    b = rng.Bernoulli(p);
                    c = rng.Bernoulli(p);
                }

                if (b)
                {
                    ids.Add(Pairs[k].Biased);
                }

                if (c)
                {
                    ids.Add(Pairs[k].Context);
                }
            }

            foreach (var f in freeObjects)
            {
                if (rng.Bernoulli(o.FreeProbability))
                {
                    ids.Add(f);
                }
            }

            if (ids.Count <= o.MaxObjectsPerImage)
            {
                break;
            }
        }

        if (ids.Count > o.MaxObjectsPerImage)
        {
            throw new InvalidOperationException($"No draw with at most {o.MaxObjectsPerImage} objects in {MaxRedraws} tries; lower the probabilities or raise MaxObjectsPerImage.");
        }

        ids.Sort();
        var objects = Place(ids, ref rng);
        return new SyntheticSampleInfo
        {
            Split = stream == 2 ? SyntheticSplitKind.TestOod : SyntheticSplitKind.Train,
            Index = index,
            Label = -1,
            Labels = [.. ids],
            Tags = [.. ids],
            ObjectIds = [.. ids],
            Objects = objects,
            ContextId = context,
            ContextMatchesClass = false,
            RecipeObjectDropped = false,
            TexturePhase = (float)rng.NextDouble(),
            TexturePhase2 = (float)rng.NextDouble(),
            TextureAngleJitter = rng.NextFloat(-0.15, 0.15),
            TexturePeriodScale = rng.NextFloat(0.9, 1.1),
            TextureBrightness = rng.NextFloat(0.92, 1.08),
            NoiseSeed = rng.NextULong(),
        };
    }

    /// <summary>Renders one sample into a [3, S, S] buffer.</summary>
    internal void Render(SyntheticSampleInfo info, Span<float> chw) =>
        SyntheticRenderer.Render(info, Contexts[info.ContextId], Objects, Options.ImageSize, antiAlias: true, chw);

    private SyntheticObjectInstance[] Place(List<int> ids, ref SyntheticRandom rng) =>
        SyntheticBenchmark.PlaceObjects([.. ids], Options.RadiusMin, Options.RadiusMax, Options.ImageSize, ref rng);
}
