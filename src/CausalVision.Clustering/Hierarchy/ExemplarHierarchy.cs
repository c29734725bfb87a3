// The VSCNet pre-learned hierarchy of visual and semantic exemplars, VSE = {p -> t -> y}.
// VSCNet (AAAI 2025), section HAR, eq. 5: p = Cluster(r, t, y):
// region features r are clustered so that regions of the same tag (in the same class) may share a
// cluster; each prototype p is a cluster centre. Construction as the authors' code
// (yibuxulong/Fine-grained-visual-semantic-causal): GRU hidden states min-max scaled,
// complement coded, Fuzzy ART with AM-ART vigilance (rho0 0.85, beta 0.5, alpha 0.01, sigma 0,
// 2 epochs) where a sample may only join clusters of its own tag; clusters with more than one member
// whose dominant class share >= P_T (0.6) are kept and labelled with that class.
// Choice made here: features are scaled to [0, 1] (the authors' scaler targets (-1, 1), which does
// not fit complement coding); constant features map to 0; new features are clamped to [0, 1].
using CausalVision.Clustering.Art;
using CausalVision.Clustering.Internal;
using CausalVision.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Clustering.Hierarchy;

/// <summary>
/// An immutable visual-semantic exemplar hierarchy: prototypes (complement-coded fuzzy ART weights)
/// with their tag, class, tag distribution t_r and class distribution, plus the feature scaling.
/// </summary>
/// <remarks>
/// Shapes: <see cref="Prototypes"/> [P, 2D]; <see cref="TagDistribution"/> [P, TagCount];
/// <see cref="ClassDistribution"/> [P, ClassCount]; <see cref="FeatureMin"/>/<see cref="FeatureMax"/> [D].
/// The tensors belong to the hierarchy (do not dispose them).
/// </remarks>
public sealed class ExemplarHierarchy : IDisposable
{
    /// <summary>The <c>format</c> metadata tag of a hierarchy file.</summary>
    public const string Format = "causalvision.exemplar-hierarchy";

    /// <summary>The <c>format_version</c> written and read.</summary>
    public const int FormatVersion = 1;

    private const string LegacyMagic = "CVEXEMPLARS";
    private const string What = "Exemplar hierarchy file";
    private readonly long[] prototypeTags;
    private readonly long[] prototypeClasses;
    private readonly long[] memberCounts;
    private bool disposed;

    private ExemplarHierarchy(Tensor prototypes, long[] tags, long[] classes, Tensor tagDist, Tensor classDist, long[] counts, Tensor min, Tensor max, int tagCount, int classCount, int clusterCount)
    {
        Prototypes = prototypes;
        prototypeTags = tags;
        prototypeClasses = classes;
        TagDistribution = tagDist;
        ClassDistribution = classDist;
        memberCounts = counts;
        FeatureMin = min;
        FeatureMax = max;
        TagCount = tagCount;
        ClassCount = classCount;
        ClusterCount = clusterCount;
    }

    /// <summary>Gets the prototypes [P, 2D] (complement-coded ART weights).</summary>
    public Tensor Prototypes { get; }

    /// <summary>Gets the tag of each prototype (its members' dominant tag; their only tag when constrained by tag).</summary>
    public IReadOnlyList<long> PrototypeTags => prototypeTags;

    /// <summary>Gets the class label of each prototype (its members' dominant class).</summary>
    public IReadOnlyList<long> PrototypeClasses => prototypeClasses;

    /// <summary>Gets the tag distribution t_r of each prototype's members [P, TagCount] (rows sum to 1).</summary>
    public Tensor TagDistribution { get; }

    /// <summary>Gets the class distribution of each prototype's members [P, ClassCount] (rows sum to 1).</summary>
    public Tensor ClassDistribution { get; }

    /// <summary>Gets the number of regions (final-epoch assignments) behind each prototype.</summary>
    public IReadOnlyList<long> MemberCounts => memberCounts;

    /// <summary>Gets the per-feature minimum used for scaling [D].</summary>
    public Tensor FeatureMin { get; }

    /// <summary>Gets the per-feature maximum used for scaling [D].</summary>
    public Tensor FeatureMax { get; }

    /// <summary>Gets the tag vocabulary size.</summary>
    public int TagCount { get; }

    /// <summary>Gets the number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>Gets the number of ART clusters before the purity and size filter.</summary>
    public int ClusterCount { get; }

    /// <summary>Gets the number of prototypes P.</summary>
    public int Count => prototypeTags.Length;

    /// <summary>Gets the raw feature dimension D.</summary>
    public long FeatureDimension => FeatureMin.shape[0];

    /// <summary>
    /// Builds the hierarchy from region features (VSCNet eq. 5).
    /// </summary>
    /// <param name="features">Region features [N, D] (e.g. GRU hidden states), finite.</param>
    /// <param name="tags">The tag id of each row, in [0, <paramref name="tagCount"/>).</param>
    /// <param name="classes">The class id of each row, in [0, <paramref name="classCount"/>).</param>
    /// <param name="tagCount">The tag vocabulary size M.</param>
    /// <param name="classCount">The number of classes S.</param>
    /// <param name="options">Options; defaults when null.</param>
    /// <param name="device">The device for clustering and for the result; the features' device when null.</param>
    /// <returns>The hierarchy.</returns>
    public static ExemplarHierarchy Build(Tensor features, IReadOnlyList<long> tags, IReadOnlyList<long> classes, int tagCount, int classCount, HierarchyOptions? options = null, Device? device = null)
    {
        options ??= new HierarchyOptions();
        options.Validate();
        Guard.Features(features, nameof(features));
        if (tagCount < 1)
        {
            throw new ArgumentException($"tagCount = {tagCount} must be >= 1.", nameof(tagCount));
        }

        if (classCount < 1)
        {
            throw new ArgumentException($"classCount = {classCount} must be >= 1.", nameof(classCount));
        }

        var n = features.shape[0];
        Guard.Ids(tags, n, tagCount, nameof(tags));
        Guard.Ids(classes, n, classCount, nameof(classes));
        var dev = device ?? features.device;

        using var scope = NewDisposeScope();
        var x = features.to(dev);
        var min = x.amin(new long[] { 0 });
        var max = x.amax(new long[] { 0 });
        var scaled = Scale(x, min, max);

        long[]? constraint = null;
        if (options.ConstrainByTag || options.ConstrainByClass)
        {
            constraint = new long[n];
            for (var i = 0; i < n; i++)
            {
                var t = options.ConstrainByTag ? tags[i] : 0;
                constraint[i] = options.ConstrainByClass ? (t * classCount) + classes[i] : t;
            }
        }

        var managed = options.Backend == ArtBackend.Managed || (options.Backend == ArtBackend.Auto && dev.type == DeviceType.CPU);
        FuzzyArt art;
        long[] assign;
        if (managed)
        {
            var flat = scaled.to(float64).cpu().data<double>().ToArray();
            var d = (int)scaled.shape[1];
            var rows = new double[n][];
            for (var i = 0; i < n; i++)
            {
                rows[i] = flat.AsSpan(i * d, d).ToArray();
            }

            IManagedFuzzyArt naive = options.Backend == ArtBackend.Managed ? new NaiveFuzzyArt(options.Art) : new VectorizedFuzzyArt(options.Art);
            assign = naive.Fit(rows, constraint);
            art = FuzzyArt.FromNaive(naive, dev, scaled.dtype == float64 ? ScalarType.Float64 : ScalarType.Float32);
        }
        else
        {
            art = new FuzzyArt(options.Art, dev);
            assign = art.Fit(scaled, constraint);
        }

        using var artScope = art;
        var c = art.ClusterCount;

        var tagHist = new long[c, tagCount];
        var classHist = new long[c, classCount];
        var size = new long[c];
        for (var i = 0; i < n; i++)
        {
            var j = assign[i];
            size[j]++;
            tagHist[j, tags[i]]++;
            classHist[j, classes[i]]++;
        }

        var kept = new List<int>();
        var keptTags = new List<long>();
        var keptClasses = new List<long>();
        for (var j = 0; j < c; j++)
        {
            if (size[j] < options.MinMembers)
            {
                continue;
            }

            var (cls, clsCount) = Dominant(classHist, j, classCount);
            if ((double)clsCount / size[j] < options.PurityThreshold)
            {
                continue;
            }

            kept.Add(j);
            keptClasses.Add(cls);
            keptTags.Add(Dominant(tagHist, j, tagCount).Index);
        }

        var p = kept.Count;
        var tagDist = new float[p * tagCount];
        var classDist = new float[p * classCount];
        var counts = new long[p];
        for (var k = 0; k < p; k++)
        {
            var j = kept[k];
            counts[k] = size[j];
            for (var t = 0; t < tagCount; t++)
            {
                tagDist[(k * tagCount) + t] = (float)tagHist[j, t] / size[j];
            }

            for (var s = 0; s < classCount; s++)
            {
                classDist[(k * classCount) + s] = (float)classHist[j, s] / size[j];
            }
        }

        var weights = art.GetWeights();
        var protos = weights.index_select(0, tensor(kept.Select(v => (long)v).ToArray(), device: dev));
        var result = new ExemplarHierarchy(
            protos.DetachFromDisposeScope(),
            keptTags.ToArray(),
            keptClasses.ToArray(),
            tensor(tagDist, new long[] { p, tagCount }).to(protos.dtype, dev).DetachFromDisposeScope(),
            tensor(classDist, new long[] { p, classCount }).to(protos.dtype, dev).DetachFromDisposeScope(),
            counts,
            min.to(protos.dtype).DetachFromDisposeScope(),
            max.to(protos.dtype).DetachFromDisposeScope(),
            tagCount,
            classCount,
            c);
        return result;
    }

    /// <summary>
    /// Matches raw region features to prototypes (VSCNet eq. 6): project, fuzzy Jaccard against all
    /// prototypes, then for each candidate tag the best prototype of that tag (all prototypes when
    /// the tag has none).
    /// </summary>
    /// <param name="regions">Raw region features [..., D] (e.g. [B, J, D]).</param>
    /// <param name="candidateTags">Candidate tag ids [..., K] (e.g. each region's top-5 predicted tags).</param>
    /// <returns>The best prototype, its similarity, and the fallback flag, each [..., K].</returns>
    public TagMatch Match(Tensor regions, Tensor candidateTags)
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("The hierarchy has no prototypes to match.");
        }

        using var projected = Project(regions);
        using var sim = PrototypeSimilarity.FuzzyJaccard(projected, Prototypes);
        return PrototypeSimilarity.BestByTag(sim, candidateTags, prototypeTags);
    }

    /// <summary>Projects raw features into prototype space: min-max scale with the stored range, clamp to [0, 1], complement code.</summary>
    /// <param name="features">Features [..., D].</param>
    /// <returns>A new tensor [..., 2D] on the hierarchy's device.</returns>
    public Tensor Project(Tensor features)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(features);
        if (features.dim() == 0 || features.shape[^1] != FeatureDimension)
        {
            throw new ArgumentException($"features has last dimension {(features.dim() == 0 ? 0 : features.shape[^1])} but the hierarchy was built on D = {FeatureDimension} (dimension mismatch).", nameof(features));
        }

        if (!features.is_floating_point())
        {
            throw new ArgumentException($"features must be floating point, got {features.dtype}.", nameof(features));
        }

        Guard.Finite(features, nameof(features));
        using var scope = NewDisposeScope();
        var x = features.to(Prototypes.dtype, Prototypes.device);
        var coded = FuzzyArt.ComplementCoding(Scale(x, FeatureMin, FeatureMax));
        return coded.MoveToOuterDisposeScope();
    }

    /// <summary>Returns the indices of the prototypes of one tag.</summary>
    /// <param name="tag">The tag id.</param>
    /// <returns>Prototype indices (possibly empty).</returns>
    public long[] PrototypesOfTag(long tag)
    {
        if (tag < 0 || tag >= TagCount)
        {
            throw new ArgumentException($"tag = {tag} is out of range [0, {TagCount}).", nameof(tag));
        }

        return Enumerable.Range(0, Count).Where(k => prototypeTags[k] == tag).Select(k => (long)k).ToArray();
    }

    /// <summary>Saves the hierarchy (atomically: a temporary file, then a rename).</summary>
    /// <param name="path">The file path.</param>
    /// <remarks>The file is a safetensors file (see <see cref="Save(Stream)"/> for its layout).</remarks>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var w = Writer();
        w.Save(path);
    }

    /// <summary>Saves the hierarchy to a stream as a safetensors file.</summary>
    /// <param name="stream">The stream (left open).</param>
    /// <remarks>Layout: tensors <c>prototypes</c> [P, 2D], <c>tag_distribution</c> [P, M], <c>class_distribution</c>
    /// [P, S], <c>feature_min</c> and <c>feature_max</c> [D] (all in the prototypes' dtype, F32 or F64), and
    /// <c>prototype_tags</c>, <c>prototype_classes</c>, <c>member_counts</c> [P] (I64); <c>__metadata__</c>
    /// <c>format</c> = <see cref="Format"/>, <c>format_version</c> = <see cref="FormatVersion"/>, <c>tag_count</c>,
    /// <c>class_count</c> and <c>cluster_count</c> as strings.</remarks>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ObjectDisposedException.ThrowIf(disposed, this);
        using var w = Writer();
        w.Save(stream);
    }

    /// <summary>Loads a hierarchy saved by <see cref="Save(string)"/> (or a legacy <c>CVEXEMPLARS</c> file).</summary>
    /// <param name="path">The file path.</param>
    /// <param name="device">The target device; CPU when null.</param>
    /// <returns>The hierarchy.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a hierarchy file, or it is truncated or corrupt (the
    /// message names the file and the field or tensor).</exception>
    public static ExemplarHierarchy Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var fs = File.OpenRead(path);
        return Load(fs, device);
    }

    /// <summary>Loads a hierarchy from a stream: a safetensors hierarchy file, or the legacy <c>CVEXEMPLARS</c> layout (read only).</summary>
    /// <param name="stream">The stream, positioned at the file's start; a safetensors file runs to the stream's end.</param>
    /// <param name="device">The target device; CPU when null.</param>
    /// <returns>The hierarchy.</returns>
    /// <exception cref="InvalidDataException">The content is not a hierarchy file, or it is truncated or corrupt.</exception>
    public static ExemplarHierarchy Load(Stream stream, Device? device = null)
    {
        return StateFileReader.Load(stream, Format, FormatVersion, What, r => Read(r, device ?? CPU), BinaryTensor.Prefix(LegacyMagic), LegacyMagic, legacy => LoadLegacy(legacy, device));
    }

    // The legacy CVEXEMPLARS version-1 reader (BinaryWriter layout: M, S, cluster count, prototypes, tags, classes,
    // tag and class distributions, member counts, feature min and max).
    internal static ExemplarHierarchy LoadLegacy(Stream stream, Device? device)
    {
        using var r = BinaryTensor.BeginRead(stream, LegacyMagic, 1);
        return BinaryTensor.Guarded(LegacyMagic, () =>
        {
            var dev = device ?? CPU;
            var tagCount = r.ReadInt32();
            var classCount = r.ReadInt32();
            var clusterCount = r.ReadInt32();
            using var scope = NewDisposeScope();
            var protos = BinaryTensor.ReadTensor(r, dev);
            var p = (int)protos.shape[0];
            var tags = BinaryTensor.ReadLongs(r, p);
            var classes = BinaryTensor.ReadLongs(r, p);
            var tagDist = BinaryTensor.ReadTensor(r, dev);
            var classDist = BinaryTensor.ReadTensor(r, dev);
            var counts = BinaryTensor.ReadLongs(r, p);
            var min = BinaryTensor.ReadTensor(r, dev);
            var max = BinaryTensor.ReadTensor(r, dev);
            if (tagCount < 1 || classCount < 1 || protos.dim() != 2 || min.dim() != 1 || protos.shape[1] != 2 * min.shape[0]
                || !tagDist.shape.SequenceEqual(new long[] { p, tagCount }) || !classDist.shape.SequenceEqual(new long[] { p, classCount })
                || !max.shape.SequenceEqual(min.shape))
            {
                throw new InvalidDataException("Corrupt exemplar hierarchy: inconsistent shapes.");
            }

            if (new[] { protos, tagDist, classDist, min, max }.Any(t => !t.isfinite().all().item<bool>()))
            {
                throw new InvalidDataException("Corrupt exemplar hierarchy: NaN or infinite values.");
            }

            return new ExemplarHierarchy(
                protos.DetachFromDisposeScope(), tags, classes, tagDist.DetachFromDisposeScope(), classDist.DetachFromDisposeScope(),
                counts, min.DetachFromDisposeScope(), max.DetachFromDisposeScope(), tagCount, classCount, clusterCount);
        });
    }

    private StateFileWriter Writer()
    {
        var w = new StateFileWriter(Format, FormatVersion);
        w.Set("tag_count", TagCount)
            .Set("class_count", ClassCount)
            .Set("cluster_count", ClusterCount)
            .Add("prototypes", Prototypes)
            .Add("tag_distribution", TagDistribution)
            .Add("class_distribution", ClassDistribution)
            .Add("feature_min", FeatureMin)
            .Add("feature_max", FeatureMax)
            .AddInt64s("prototype_tags", prototypeTags)
            .AddInt64s("prototype_classes", prototypeClasses)
            .AddInt64s("member_counts", memberCounts);
        return w;
    }

    private static ExemplarHierarchy Read(StateFileReader r, Device device)
    {
        var tagCount = r.GetInt32("tag_count");
        var classCount = r.GetInt32("class_count");
        var clusterCount = r.GetInt32("cluster_count");
        if (tagCount < 1)
        {
            throw r.Error("metadata 'tag_count'", $"{tagCount} is below 1.");
        }

        if (classCount < 1)
        {
            throw r.Error("metadata 'class_count'", $"{classCount} is below 1.");
        }

        var min = r.GetFiniteFloat("feature_min", -1);
        var dtype = min.dtype;
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
        {
            throw r.Error("tensor 'feature_min'", $"dtype {dtype}, expected Float32 or Float64.");
        }

        var d = min.shape[0];
        if (d < 1)
        {
            throw r.Error("tensor 'feature_min'", "has no features (D = 0).");
        }

        Tensor Float(string name, params long[] shape)
        {
            var t = r.GetFiniteFloat(name, shape);
            return t.dtype == dtype ? t : throw r.Error($"tensor '{name}'", $"dtype {t.dtype}, expected {dtype} as 'feature_min'.");
        }

        var max = Float("feature_max", d);
        var protos = Float("prototypes", -1, 2 * d);
        var p = protos.shape[0];
        if (clusterCount < p)
        {
            throw r.Error("metadata 'cluster_count'", $"{clusterCount} clusters cannot give {p} prototypes.");
        }

        var tagDist = Float("tag_distribution", p, tagCount);
        var classDist = Float("class_distribution", p, classCount);
        var tags = r.GetInt64s("prototype_tags", p);
        if (Array.FindIndex(tags, v => v < 0 || v >= tagCount) is var badTag and >= 0)
        {
            throw r.Error("tensor 'prototype_tags'", $"entry {badTag} ({tags[badTag]}) is outside [0, {tagCount}).");
        }

        var classes = r.GetInt64s("prototype_classes", p);
        if (Array.FindIndex(classes, v => v < 0 || v >= classCount) is var badClass and >= 0)
        {
            throw r.Error("tensor 'prototype_classes'", $"entry {badClass} ({classes[badClass]}) is outside [0, {classCount}).");
        }

        var counts = r.GetInt64s("member_counts", p);
        if (Array.FindIndex(counts, v => v < 0) is var badCount and >= 0)
        {
            throw r.Error("tensor 'member_counts'", $"entry {badCount} is negative ({counts[badCount]}).");
        }

        r.RejectUnread();
        var owned = new List<Tensor>();
        try
        {
            foreach (var t in new[] { protos, tagDist, classDist, min, max })
            {
                owned.Add(BinaryTensor.Owned(t, device));
            }

            return new ExemplarHierarchy(owned[0], tags, classes, owned[1], owned[2], counts, owned[3], owned[4], tagCount, classCount, clusterCount);
        }
        catch
        {
            owned.ForEach(t => t.Dispose());
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            Prototypes.Dispose();
            TagDistribution.Dispose();
            ClassDistribution.Dispose();
            FeatureMin.Dispose();
            FeatureMax.Dispose();
        }
    }

    private static Tensor Scale(Tensor x, Tensor min, Tensor max)
    {
        var range = max - min;
        var safe = where(range > 0, range, ones_like(range));
        var scaled = ((x - min) / safe).clamp(0.0, 1.0);
        return where(range > 0, scaled, zeros_like(scaled));
    }

    private static (long Index, long Count) Dominant(long[,] hist, int row, int width)
    {
        long best = 0;
        for (var k = 1; k < width; k++)
        {
            if (hist[row, k] > hist[row, best])
            {
                best = k;
            }
        }

        return (best, hist[row, best]);
    }
}
