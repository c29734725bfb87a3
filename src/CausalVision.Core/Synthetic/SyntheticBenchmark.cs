// The built-in benchmark with known causal structure (single-label, with a multi-label protocol).
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using CausalVision.Data;
using CausalVision.Imaging;
using CausalVision.Metrics;

namespace CausalVision.Synthetic;

/// <summary>
/// A procedural image benchmark whose causal graph is known by construction, deterministic by
/// seed and needing no download. Use it to measure whether a model learns the cause (objects) or
/// the shortcut (background context).
/// </summary>
/// <remarks>
/// <para><b>Causal graph (single-label variant).</b></para>
/// <code>
///   class Y ──► objects O ──► image X ◄── context T
///     │                                       ▲
///     └──────── (train and test_iid only) ────┘
/// </code>
/// <para>
/// Each class is a <i>recipe</i> of 2-3 objects (an object is a shape in a colour: 6 shapes x 4
/// colours = 24 objects by default). Recipes are all different, none contains another, and every
/// recipe shares at least one object with another recipe, as dishes share ingredients: a single
/// object (tag) is informative but ambiguous, the full set identifies the class. An image shows its
/// class's recipe objects (one of them left out with probability 0.1), plus distractor objects up
/// to 1-4 objects in all, at random positions, sizes and small rotations. Distractors never complete
/// another class's recipe, so the objects determine the class whenever the recipe is complete. The
/// tags of an image are exactly the objects drawn.
/// </para>
/// <para>
/// The background is a texture <i>context</i> (stripes, checks, dots, noise, gradient, waves, each
/// with its own palette and period). Class y is tied to context <c>y % contexts</c>: in train and
/// test_iid the image uses the tied context with probability p (default 0.9) and a uniformly chosen
/// other context otherwise; in test_ood the context is drawn uniformly, independently of the class
/// (so it matches the tied context with probability 1 / contexts). The edge Y → T is therefore a
/// property of the <i>sampling</i> of the training data, not of the mechanism that makes images:
/// intervening on the context (test_ood) leaves P(Y | O) unchanged.
/// </para>
/// <para><b>What the splits measure.</b> test_iid accuracy rewards any predictor that works under
/// the training distribution, including one that reads the background (a context-only classifier
/// scores about p there). test_ood accuracy rewards only what survives the intervention
/// do(T): a model that relies on the objects keeps its accuracy, a model that relies on the
/// context falls towards chance. The IID - OOD gap is the model's reliance on the shortcut; a
/// causal model should shrink it without losing IID accuracy. Per-sample metadata
/// (<see cref="SyntheticSplit.Describe(int)"/>: context, objects, boxes) lets you verify the
/// shortcut exists, slice accuracy by "context matches class", and score explanation maps
/// against object boxes.</para>
/// <para><b>Multi-label variant</b> (<see cref="SyntheticBenchmarkOptions.MultiLabel"/>; the paper-B
/// protocol): labels are the objects present (1-4 per image; the tags are the same objects). Disjoint object pairs (b, c)
/// (<see cref="BiasedPairs"/>) are biased: in train and test_iid, P(c present | b present) = p
/// exactly; in test_ood it is <see cref="SyntheticBenchmarkOptions.OodCooccurrence"/> (0.5), so
/// "exclusive" images (b without c, <see cref="SyntheticSplit.ExclusiveIndices(BiasedPair)"/>) and
/// "co-occur" images (b with c, <see cref="SyntheticSplit.CooccurIndices(BiasedPair)"/>) are equally
/// frequent. A model that recognises b partly from c scores worse on exclusive images. Contexts
/// are independent of labels in this variant.</para>
/// <para><b>Groups, validation, presets.</b> Every single-label sample exposes its (class, context)
/// group (<see cref="SyntheticSampleInfo.GroupId"/>, <see cref="GroupOf(int, int)"/>). With
/// <see cref="SyntheticBenchmarkOptions.ValidationSize"/> &gt; 0 a "val" split is drawn like training
/// (same p, its own samples) for model selection and early stopping.
/// <see cref="SyntheticBenchmarkOptions.Robustness(double)"/> is the robustness-evaluation preset
/// (objects of radius &gt;= 8 px at 64 px, 6 x 6 groups), <see cref="SyntheticBenchmarkOptions.Unbiased"/>
/// the shortcut-free variant (p = 1 / contexts) that trains the ceiling, and
/// <see cref="SyntheticBenchmarkOptions.Legacy"/> today's defaults (unchanged).</para>
/// <para>Determinism: recipes, contexts and pairs come from the seed; sample i of a split is
/// described from a seed derived from (seed, split, i) with a version-independent generator
/// (SplitMix64) and rendered by a pure function of that description, so any index renders the same
/// pixels on any thread, in any order. The metadata (classes, contexts, objects, boxes) is exact on
/// every platform; pixels use <see cref="MathF"/> sine/cosine, which may differ in the last bit
/// between CPU architectures or runtimes.</para>
/// </remarks>
/// <example>
/// <code>
/// var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { Seed = 1 });
/// using var sample = bench.Train.Get(0);        // [3, 64, 64] in [0, 1], Label, Tags
/// var meta = bench.TestOod.Describe(0);         // context, objects, boxes
/// bench.WriteToDisk("data/synthetic");          // dataset.json + CSVs + PNGs
/// </code>
/// </example>
public sealed class SyntheticBenchmark
{
    private const int MaxRecipeAttempts = 20_000;
    private const int PlacementAttempts = 30;

    private static readonly (string Name, float R, float G, float B)[] Colors =
    [
        ("red", 0.90f, 0.12f, 0.10f),
        ("green", 0.10f, 0.78f, 0.20f),
        ("blue", 0.12f, 0.30f, 0.95f),
        ("yellow", 0.97f, 0.88f, 0.10f),
        ("magenta", 0.92f, 0.15f, 0.85f),
        ("cyan", 0.10f, 0.90f, 0.92f),
        ("orange", 1.00f, 0.55f, 0.05f),
        ("purple", 0.50f, 0.12f, 0.80f),
    ];

    private readonly ulong baseSeed;
    private readonly ulong[] recipeMasks;
    private readonly int[] pairOfB;
    private readonly int[] pairOfC;

    private SyntheticBenchmark(SyntheticBenchmarkOptions options)
    {
        Options = options;
        baseSeed = SyntheticRandom.Derive(0xC0FFEE5EED_CA05A1UL, (ulong)(uint)options.Seed);

        var objects = new List<SyntheticObjectKind>();
        for (var s = 0; s < options.ShapeCount; s++)
        {
            for (var c = 0; c < options.ColorCount; c++)
            {
                var (name, r, g, b) = Colors[c];
                objects.Add(new SyntheticObjectKind(objects.Count, (SyntheticShape)s, name, r, g, b));
            }
        }

        Objects = objects;

        var families = options.ContextFamilies;
        var contexts = new List<SyntheticContext>();
        for (var k = 0; k < options.EffectiveContextCount; k++)
        {
            var family = families[k % families.Count];
            var variant = k / families.Count;
            contexts.Add(new SyntheticContext(k, family, variant, $"{family.ToString().ToLowerInvariant()}-{variant}"));
        }

        Contexts = contexts;

        pairOfB = Enumerable.Repeat(-1, objects.Count).ToArray();
        pairOfC = Enumerable.Repeat(-1, objects.Count).ToArray();
        if (options.MultiLabel)
        {
            recipeMasks = [];
            Recipes = [];
            BiasedPairs = BuildPairs();
            for (var i = 0; i < BiasedPairs.Count; i++)
            {
                pairOfB[BiasedPairs[i].Biased] = i;
                pairOfC[BiasedPairs[i].Context] = i;
            }

            // Tags = the objects present in both variants (here they equal the labels): privileged
            // information for analysis, not a model input at evaluation time.
            Info = new DatasetInfo(options.Name, [.. objects.Select(o => o.Name)], [.. objects.Select(o => o.Name)], MultiLabel: true);
        }
        else
        {
            recipeMasks = BuildRecipes();
            Recipes = [.. recipeMasks.Select(m => (IReadOnlyList<int>)Bits(m))];
            BiasedPairs = [];
            var width = (options.ClassCount - 1).ToString(CultureInfo.InvariantCulture).Length;
            var classes = Enumerable.Range(0, options.ClassCount)
                .Select(c => "recipe" + c.ToString("D" + Math.Max(2, width).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))
                .ToArray();
            Info = new DatasetInfo(options.Name, classes, [.. objects.Select(o => o.Name)], MultiLabel: false);
        }

        Train = new SyntheticSplit(this, SyntheticSplitKind.Train, options.TrainSize);
        TestIid = new SyntheticSplit(this, SyntheticSplitKind.TestIid, options.TestIidSize);
        TestOod = new SyntheticSplit(this, SyntheticSplitKind.TestOod, options.TestOodSize);
        Validation = new SyntheticSplit(this, SyntheticSplitKind.Validation, options.ValidationSize);
    }

    /// <summary>Gets a copy of the options the benchmark was generated with.</summary>
    public SyntheticBenchmarkOptions Options { get; }

    /// <summary>Gets what the targets mean: classes = recipes (single-label) or objects (multi-label); tags = objects in both variants.</summary>
    public DatasetInfo Info { get; }

    /// <summary>Gets the object vocabulary (id = shape x colour count + colour).</summary>
    public IReadOnlyList<SyntheticObjectKind> Objects { get; }

    /// <summary>Gets the background contexts.</summary>
    public IReadOnlyList<SyntheticContext> Contexts { get; }

    /// <summary>Gets each class's recipe: ascending object ids (empty for the multi-label variant).</summary>
    public IReadOnlyList<IReadOnlyList<int>> Recipes { get; }

    /// <summary>Gets the biased object pairs (b, c) of the multi-label variant (empty for single-label).</summary>
    public IReadOnlyList<BiasedPair> BiasedPairs { get; }

    /// <summary>Gets the training split.</summary>
    public SyntheticSplit Train { get; }

    /// <summary>Gets the in-distribution test split (same spurious correlation as training).</summary>
    public SyntheticSplit TestIid { get; }

    /// <summary>Gets the out-of-distribution test split (spurious correlation broken).</summary>
    public SyntheticSplit TestOod { get; }

    /// <summary>
    /// Gets the validation split "val" (training distribution, its own samples; empty when
    /// <see cref="SyntheticBenchmarkOptions.ValidationSize"/> is 0). Select models on it, never on a test split.
    /// </summary>
    public SyntheticSplit Validation { get; }

    /// <summary>Gets the splits in manifest order: train, test_iid, test_ood, then val when it is not empty.</summary>
    public IReadOnlyList<SyntheticSplit> Splits => Validation.Count > 0 ? [Train, TestIid, TestOod, Validation] : [Train, TestIid, TestOod];

    /// <summary>Gets the split of a kind (also the validation split when it is empty, unlike <see cref="Splits"/>).</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The split.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An undefined kind.</exception>
    public SyntheticSplit Split(SyntheticSplitKind kind) => kind switch
    {
        SyntheticSplitKind.Train => Train,
        SyntheticSplitKind.TestIid => TestIid,
        SyntheticSplitKind.TestOod => TestOod,
        SyntheticSplitKind.Validation => Validation,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown split kind."),
    };

    /// <summary>Gets the number of (class, context) groups of the single-label variant: classes x contexts (0 for multi-label).</summary>
    public int GroupCount => Options.MultiLabel ? 0 : Info.ClassCount * Contexts.Count;

    /// <summary>Gets the group id of a (class, context) pair: <c>classId * contexts + contextId</c>.</summary>
    /// <param name="classId">The class id.</param>
    /// <param name="contextId">The context id.</param>
    /// <returns>The group id in [0, <see cref="GroupCount"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is out of range, or the benchmark is multi-label.</exception>
    public int GroupOf(int classId, int contextId)
    {
        if (Options.MultiLabel || (uint)classId >= (uint)Info.ClassCount)
        {
            throw new ArgumentOutOfRangeException(nameof(classId), classId, $"Groups exist for the single-label variant only; class id must be in [0, {Info.ClassCount}).");
        }

        if ((uint)contextId >= (uint)Contexts.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(contextId), contextId, $"Context id must be in [0, {Contexts.Count}).");
        }

        return (classId * Contexts.Count) + contextId;
    }

    /// <summary>Gets the tied context of every class, indexed by class id (single-label; empty for multi-label).</summary>
    /// <returns>A new array: element y is <see cref="TiedContext(int)"/> of y.</returns>
    public int[] TiedContexts() => Options.MultiLabel ? [] : [.. Enumerable.Range(0, Info.ClassCount).Select(TiedContext)];

    /// <summary>Generates a benchmark (recipes, contexts, pairs; images are rendered lazily).</summary>
    /// <param name="options">The options (copied; validated).</param>
    /// <returns>The benchmark.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or no set of distinct recipes exists for them.</exception>
    public static SyntheticBenchmark Generate(SyntheticBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = options.Clone();
        copy.Validate();
        return new SyntheticBenchmark(copy);
    }

    /// <summary>Gets the context tied to a class (single-label): <c>classId % contexts</c>.</summary>
    /// <param name="classId">The class id.</param>
    /// <returns>The context id.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The class id is out of range.</exception>
    public int TiedContext(int classId)
    {
        if ((uint)classId >= (uint)Info.ClassCount)
        {
            throw new ArgumentOutOfRangeException(nameof(classId), classId, $"Class id must be in [0, {Info.ClassCount}).");
        }

        return classId % Contexts.Count;
    }

    /// <summary>
    /// Writes the benchmark in the generic manifest format: <c>root/dataset.json</c>, one CSV per
    /// split (<c>path,labels,tags</c>, RFC 4180 quoting, LF line ends, UTF-8 without BOM) and one
    /// PNG per sample under <c>root/&lt;split&gt;/</c>; plus <c>root/synthetic.json</c>, a sidecar
    /// with recipes, contexts, biased pairs and the options (readers of the manifest ignore it).
    /// </summary>
    /// <param name="root">The output folder (created when missing; existing files are overwritten).</param>
    /// <returns>The path of <c>dataset.json</c>.</returns>
    /// <exception cref="ArgumentException">The root is empty or is an existing file.</exception>
    public string WriteToDisk(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (File.Exists(root))
        {
            throw new ArgumentException($"WriteToDisk: '{root}' is a file; give a folder.", nameof(root));
        }

        Directory.CreateDirectory(root);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var size = Options.ImageSize;
        foreach (var split in Splits)
        {
            Directory.CreateDirectory(Path.Combine(root, split.Name));
            var rows = new string[split.Count];
            Parallel.For(
                0,
                split.Count,
                () => new float[split.ImageLength],
                (i, _, buffer) =>
                {
                    var info = Describe(split.Kind, i);
                    Render(info, buffer);
                    var relative = split.SampleId(i) + ".png";
                    File.WriteAllBytes(Path.Combine(root, relative), ImageDecoder.EncodePng(new ImageBuffer(3, size, size, buffer)));
                    var labels = string.Join(';', info.Labels.Select(l => Info.Classes[l]));
                    var tags = string.Join(';', info.Tags.Select(t => Info.Tags[t]));
                    rows[i] = $"{CsvField(relative)},{CsvField(labels)},{CsvField(tags)}";
                    return buffer;
                },
                _ => { });

            var csv = new StringBuilder("path,labels,tags\n");
            foreach (var row in rows)
            {
                csv.Append(row).Append('\n');
            }

            File.WriteAllText(Path.Combine(root, split.Name + ".csv"), csv.ToString(), utf8);
        }

        var manifest = Path.Combine(root, "dataset.json");
        File.WriteAllText(manifest, ManifestJson(), utf8);
        File.WriteAllText(Path.Combine(root, "synthetic.json"), SidecarJson(), utf8);
        return manifest;
    }

    /// <summary>Quotes a CSV field per RFC 4180 when it holds a comma, a quote, CR or LF.</summary>
    /// <param name="field">The field.</param>
    /// <returns>The field as written.</returns>
    internal static string CsvField(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    /// <summary>Describes one sample (no index check; the split checks).</summary>
    internal SyntheticSampleInfo Describe(SyntheticSplitKind kind, int index)
    {
        var rng = new SyntheticRandom(SyntheticRandom.Derive(SyntheticRandom.Derive(baseSeed, 100 + (ulong)kind), (ulong)index));
        return Options.MultiLabel ? DescribeMultiLabel(kind, index, ref rng) : DescribeSingleLabel(kind, index, ref rng);
    }

    /// <summary>Renders a described sample.</summary>
    internal void Render(SyntheticSampleInfo info, Span<float> chw) =>
        SyntheticRenderer.Render(info, Contexts[info.ContextId], Objects, Options.ImageSize, Options.AntiAlias, chw);

    private static int[] Bits(ulong mask)
    {
        var result = new int[BitOperations.PopCount(mask)];
        var n = 0;
        while (mask != 0)
        {
            result[n++] = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
        }

        return result;
    }

    private static int NthBit(ulong mask, int n)
    {
        for (var i = 0; i < n; i++)
        {
            mask &= mask - 1;
        }

        return BitOperations.TrailingZeroCount(mask);
    }

    private ulong[] BuildRecipes()
    {
        // Choice (the issue leaves it open): recipes are an antichain (none contains another) so
        // that a complete recipe identifies its class; each class after the first takes one
        // object from an earlier recipe so that every class shares an ingredient.
        var o = Options;
        var rng = new SyntheticRandom(SyntheticRandom.Derive(baseSeed, 1));
        var masks = new ulong[o.ClassCount];
        var used = 0UL;
        for (var c = 0; c < o.ClassCount; c++)
        {
            var accepted = false;
            for (var attempt = 0; attempt < MaxRecipeAttempts && !accepted; attempt++)
            {
                var size = rng.NextInclusive(o.RecipeSizeMin, o.RecipeSizeMax);
                var mask = 0UL;
                if (c > 0)
                {
                    mask |= 1UL << NthBit(used, rng.NextInt(BitOperations.PopCount(used)));
                }

                while (BitOperations.PopCount(mask) < size)
                {
                    mask |= 1UL << rng.NextInt(Objects.Count);
                }

                accepted = true;
                for (var k = 0; k < c && accepted; k++)
                {
                    accepted = (mask & ~masks[k]) != 0 && (masks[k] & ~mask) != 0;
                }

                if (accepted)
                {
                    masks[c] = mask;
                    used |= mask;
                }
            }

            if (!accepted)
            {
                throw new ArgumentException(
                    $"Cannot build {o.ClassCount} distinct recipes of {o.RecipeSizeMin}-{o.RecipeSizeMax} objects (none containing another) from {Objects.Count} objects; " +
                    "lower ClassCount or enlarge the vocabulary (ShapeCount, ColorCount) or the recipe sizes.",
                    nameof(o.ClassCount));
            }
        }

        return masks;
    }

    private BiasedPair[] BuildPairs()
    {
        var rng = new SyntheticRandom(SyntheticRandom.Derive(baseSeed, 2));
        var perm = Enumerable.Range(0, Objects.Count).ToArray();
        for (var i = perm.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }

        return [.. Enumerable.Range(0, Options.BiasedPairCount).Select(k => new BiasedPair(perm[2 * k], perm[(2 * k) + 1]))];
    }

    private SyntheticSampleInfo DescribeSingleLabel(SyntheticSplitKind kind, int index, ref SyntheticRandom rng)
    {
        var o = Options;
        var label = rng.NextInt(o.ClassCount);
        var contexts = Contexts.Count;
        var tied = label % contexts;
        int context;
        if (kind == SyntheticSplitKind.TestOod)
        {
            context = rng.NextInt(contexts);
        }
        else if (rng.Bernoulli(o.SpuriousCorrelation))
        {
            context = tied;
        }
        else
        {
            // Choice: the off-shortcut context is uniform over the *other* contexts, so that
            // P(context = tied) is exactly p.
            var j = rng.NextInt(contexts - 1);
            context = j >= tied ? j + 1 : j;
        }

        var recipe = recipeMasks[label];
        var present = recipe;
        var dropped = false;
        if (BitOperations.PopCount(recipe) >= 2 && rng.Bernoulli(o.RecipeObjectDropProbability))
        {
            present &= ~(1UL << NthBit(recipe, rng.NextInt(BitOperations.PopCount(recipe))));
            dropped = true;
        }

        var count = BitOperations.PopCount(present);
        var dMin = Math.Max(0, o.MinObjectsPerImage - count);
        var dMax = Math.Max(dMin, o.MaxObjectsPerImage - count);
        var distractors = rng.NextInclusive(dMin, dMax);
        for (var d = 0; d < distractors; d++)
        {
            // Distractors: not this class's objects, and never completing another class's recipe.
            var candidates = 0UL;
            for (var obj = 0; obj < Objects.Count; obj++)
            {
                var bit = 1UL << obj;
                if (((present | recipe) & bit) != 0)
                {
                    continue;
                }

                var withObj = present | bit;
                var completes = false;
                for (var k = 0; k < recipeMasks.Length && !completes; k++)
                {
                    completes = k != label && (recipeMasks[k] & ~withObj) == 0;
                }

                if (!completes)
                {
                    candidates |= bit;
                }
            }

            if (candidates == 0)
            {
                break;
            }

            present |= 1UL << NthBit(candidates, rng.NextInt(BitOperations.PopCount(candidates)));
        }

        var ids = Bits(present);
        var objects = Place(ids, ref rng);
        return Finish(kind, index, label, [label], ids, ids, objects, context, context == tied, dropped, ref rng, (label * contexts) + context);
    }

    private SyntheticSampleInfo DescribeMultiLabel(SyntheticSplitKind kind, int index, ref SyntheticRandom rng)
    {
        // Choice: the pair rule is applied when an object is drawn, which makes
        // P(c | b) = p exact: drawing b decides at once whether c joins it (needs two free slots,
        // so b is not drawn when only one slot is left); drawing c alone bars b from the image.
        var o = Options;
        var pc = kind == SyntheticSplitKind.TestOod ? o.OodCooccurrence : o.SpuriousCorrelation;
        var target = rng.NextInclusive(o.MinObjectsPerImage, o.MaxObjectsPerImage);
        var available = Objects.Count == 64 ? ulong.MaxValue : (1UL << Objects.Count) - 1;
        var bMask = 0UL;
        foreach (var pair in BiasedPairs)
        {
            bMask |= 1UL << pair.Biased;
        }

        var present = 0UL;
        while (BitOperations.PopCount(present) < target)
        {
            var candidates = available;
            if (target - BitOperations.PopCount(present) < 2)
            {
                candidates &= ~bMask;
            }

            if (candidates == 0)
            {
                break;
            }

            var obj = NthBit(candidates, rng.NextInt(BitOperations.PopCount(candidates)));
            present |= 1UL << obj;
            available &= ~(1UL << obj);
            if (pairOfB[obj] >= 0)
            {
                var c = BiasedPairs[pairOfB[obj]].Context;
                if (rng.Bernoulli(pc))
                {
                    present |= 1UL << c;
                }

                available &= ~(1UL << c);
            }
            else if (pairOfC[obj] >= 0)
            {
                available &= ~(1UL << BiasedPairs[pairOfC[obj]].Biased);
            }
        }

        var ids = Bits(present);
        var objects = Place(ids, ref rng);
        var context = rng.NextInt(Contexts.Count);
        return Finish(kind, index, -1, ids, ids, ids, objects, context, false, false, ref rng);
    }

    private SyntheticObjectInstance[] Place(int[] ids, ref SyntheticRandom rng) =>
        PlaceObjects(ids, Options.ObjectScaleMin * Options.ImageSize, Options.ObjectScaleMax * Options.ImageSize, Options.ImageSize, ref rng);

    /// <summary>Places objects in a square image (shared by the single- and multi-label benchmarks): the drawing
    /// order is shuffled; each radius is drawn from [<paramref name="radiusMin"/>, <paramref name="radiusMax"/>);
    /// centres are rejection-sampled so that objects overlap little (centre distance >= 0.85 (r1 + r2)); after 30
    /// tries the last candidate is kept. The random draws are in a fixed order, so a seed gives the same scene.</summary>
    internal static SyntheticObjectInstance[] PlaceObjects(int[] ids, double radiusMin, double radiusMax, int size, ref SyntheticRandom rng)
    {
        var order = (int[])ids.Clone();
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        var placed = new SyntheticObjectInstance[order.Length];
        for (var n = 0; n < order.Length; n++)
        {
            var radius = rng.NextFloat(radiusMin, radiusMax);
            float cx = 0, cy = 0;
            for (var attempt = 0; attempt < PlacementAttempts; attempt++)
            {
                cx = rng.NextFloat(radius, size - radius);
                cy = rng.NextFloat(radius, size - radius);
                var clear = true;
                for (var k = 0; k < n && clear; k++)
                {
                    var dx = cx - placed[k].CenterX;
                    var dy = cy - placed[k].CenterY;
                    var min = 0.85f * (radius + placed[k].Radius);
                    clear = (dx * dx) + (dy * dy) >= min * min;
                }

                if (clear)
                {
                    break;
                }
            }

            var rotation = rng.NextFloat(-0.35, 0.35);
            var brightness = rng.NextFloat(0.9, 1.05);
            placed[n] = new SyntheticObjectInstance(order[n], cx, cy, radius, rotation, brightness);
        }

        return placed;
    }

    private SyntheticSampleInfo Finish(
        SyntheticSplitKind kind, int index, int label, int[] labels, int[] tags, int[] ids,
        SyntheticObjectInstance[] objects, int context, bool matches, bool dropped, ref SyntheticRandom rng, int group = -1) => new()
        {
            Split = kind,
            Index = index,
            Label = label,
            Labels = labels,
            Tags = tags,
            ObjectIds = ids,
            Objects = objects,
            ContextId = context,
            ContextMatchesClass = matches,
            RecipeObjectDropped = dropped,
            TexturePhase = (float)rng.NextDouble(),
            TexturePhase2 = (float)rng.NextDouble(),
            TextureAngleJitter = rng.NextFloat(-0.15, 0.15),
            TexturePeriodScale = rng.NextFloat(0.9, 1.1),
            TextureBrightness = rng.NextFloat(0.92, 1.08),
            NoiseSeed = rng.NextULong(),
            GroupId = group,
        };

    private string ManifestJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("name", Info.Name);
            json.WriteStartArray("classes");
            foreach (var c in Info.Classes)
            {
                json.WriteStringValue(c);
            }

            json.WriteEndArray();
            json.WriteStartArray("tags");
            foreach (var t in Info.Tags)
            {
                json.WriteStringValue(t);
            }

            json.WriteEndArray();
            json.WriteBoolean("multiLabel", Info.MultiLabel);
            json.WriteStartObject("splits");
            foreach (var split in Splits)
            {
                json.WriteString(split.Name, split.Name + ".csv");
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private string SidecarJson()
    {
        var o = Options;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("generator", "CausalVision.Synthetic.SyntheticBenchmark");
            json.WriteNumber("seed", o.Seed);
            json.WriteNumber("imageSize", o.ImageSize);
            json.WriteNumber("spuriousCorrelation", o.SpuriousCorrelation);
            json.WriteBoolean("multiLabel", o.MultiLabel);
            json.WriteStartArray("contexts");
            foreach (var c in Contexts)
            {
                json.WriteStringValue(c.Name);
            }

            json.WriteEndArray();
            json.WriteStartArray("recipes");
            for (var c = 0; c < Recipes.Count; c++)
            {
                json.WriteStartObject();
                json.WriteString("class", Info.Classes[c]);
                json.WriteString("context", Contexts[TiedContext(c)].Name);
                json.WriteStartArray("objects");
                foreach (var obj in Recipes[c])
                {
                    json.WriteStringValue(Objects[obj].Name);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("biasedPairs");
            foreach (var pair in BiasedPairs)
            {
                json.WriteStartArray();
                json.WriteStringValue(Objects[pair.Biased].Name);
                json.WriteStringValue(Objects[pair.Context].Name);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
