// The confounder dictionary of paper B's backdoor adjustment P(Y|do(X)) = sum_c P(Y|X, c) P(c):
// K confounder centres c_k with their prior P(c_k). The slides' default builds it by K-means on
// spatial features of a pre-trained (frozen) backbone with P(c) from the cluster sizes (the
// authors' answer to a reviewer; no public code). Table 6 alternatives: "Random" centres and a
// "Label" dictionary of per-class mean features with the class frequency as prior (the VC R-CNN /
// CCD_MLIC construction). K-means itself lives in the Clustering package
// (CausalVision.CausalLabels.Confounders.KMeansConfounderDictionary), which returns this type; Core
// never depends on Clustering (see IConfounderDictionaryBuilder).
using System.Text;
using CausalVision.Runtime;
using CausalVision.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// An immutable confounder dictionary: centres C [K, D] and prior P(c) [K] (finite, non-negative,
/// summing to 1 within 1e-4). Owns its tensors (float32, CPU).
/// </summary>
/// <remarks>
/// Shapes: <see cref="Centres"/> [K, D], <see cref="Prior"/> [K]. Do not dispose the tensors; clone
/// them to keep them past <see cref="Dispose"/>. Files: <see cref="Save(string)"/> / <see cref="Load(string)"/>, a
/// safetensors file (tensors <c>centres</c> and <c>prior</c>, F32; metadata <c>format</c> = <see cref="Format"/>,
/// <c>format_version</c>); legacy <c>CVCONFDICT</c> files (magic, version 1, K, D, little-endian float32) still load.
/// </remarks>
public sealed class ConfounderDictionary : IDisposable
{
    /// <summary>The <c>format</c> metadata tag of a dictionary file.</summary>
    public const string Format = "causalvision.confounder-dictionary";

    /// <summary>The <c>format_version</c> written and read.</summary>
    public const int FormatVersion = 1;

    private const string LegacyMagic = "CVCONFDICT";
    private const string What = "Confounder dictionary file";
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="ConfounderDictionary"/> class (validates and copies the inputs).</summary>
    /// <param name="centres">Centres [K, D], finite.</param>
    /// <param name="prior">Prior [K], finite, non-negative, summing to 1 (within 1e-4).</param>
    /// <exception cref="ArgumentException">Wrong shapes, non-finite values, a negative prior or one that does not sum to 1.</exception>
    public ConfounderDictionary(Tensor centres, Tensor prior)
    {
        CheckMatrix(centres, nameof(centres));
        ArgumentNullException.ThrowIfNull(prior);
        if (prior.dim() != 1 || prior.shape[0] != centres.shape[0])
        {
            throw new ArgumentException($"The prior must be [K] = [{centres.shape[0]}]; got [{Shape(prior)}].", nameof(prior));
        }

        using var scope = NewDisposeScope();
        var p = prior.detach().cpu().to(float64);
        if (!torch.isfinite(p).all().item<bool>())
        {
            throw new ArgumentException("The prior contains NaN or Inf.", nameof(prior));
        }

        if ((p < 0).any().item<bool>())
        {
            throw new ArgumentException("The prior has negative entries.", nameof(prior));
        }

        var sum = p.sum().item<double>();
        if (Math.Abs(sum - 1.0) > 1e-4)
        {
            throw new ArgumentException($"The prior must sum to 1; it sums to {sum:G6}.", nameof(prior));
        }

        Centres = centres.detach().cpu().to(float32).clone().DetachFromDisposeScope();
        Prior = p.to(float32).DetachFromDisposeScope();
    }

    /// <summary>Gets the centres [K, D] (float32, CPU; owned by the dictionary).</summary>
    public Tensor Centres { get; }

    /// <summary>Gets the prior P(c) [K] (float32, CPU; owned by the dictionary).</summary>
    public Tensor Prior { get; }

    /// <summary>Gets the number of confounders K.</summary>
    public int Count => (int)Centres.shape[0];

    /// <summary>Gets the feature dimension D.</summary>
    public int Dim => (int)Centres.shape[1];

    /// <summary>
    /// Dictionary from a clustering: centres = member means of each cluster, P(c) = cluster size / N
    /// (the authors' answer to a reviewer). An empty cluster gets a zero centre and P(c) = 0.
    /// </summary>
    /// <param name="features">Clustered features [N, D] (spatial features of a frozen backbone).</param>
    /// <param name="assignments">Cluster of each feature [N], integers in [0, K).</param>
    /// <param name="k">K.</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="ArgumentException">K &lt; 1, K larger than the feature count, wrong shapes, non-finite features, assignments out of range.</exception>
    public static ConfounderDictionary FromAssignments(Tensor features, Tensor assignments, int k)
    {
        CheckMatrix(features, nameof(features));
        ArgumentNullException.ThrowIfNull(assignments);
        var n = features.shape[0];
        CheckK(k, n);
        if (assignments.dim() != 1 || assignments.shape[0] != n || assignments.is_floating_point())
        {
            throw new ArgumentException($"Assignments must be an integer tensor [N] = [{n}]; got {assignments.dtype} [{Shape(assignments)}].", nameof(assignments));
        }

        using var scope = NewDisposeScope();
        var a = assignments.detach().cpu().to(int64);
        if ((a < 0).any().item<bool>() || (a >= k).any().item<bool>())
        {
            throw new ArgumentException($"Cluster assignments must lie in [0, {k}); found {a.min().item<long>()}..{a.max().item<long>()}.", nameof(assignments));
        }

        var f = features.detach().cpu().to(float64);
        var sums = ScalarSafe.IndexAdd_(torch.zeros(k, f.shape[1], dtype: float64), 0, a, f, 1.0);
        var counts = ScalarSafe.IndexAdd_(torch.zeros(k, dtype: float64), 0, a, torch.ones(n, dtype: float64), 1.0);
        var centres = sums / counts.clamp_min(1).unsqueeze(1);
        return new ConfounderDictionary(centres, counts / n);
    }

    /// <summary>Dictionary from given centres and cluster sizes: P(c) = count_c / sum counts (K-means: the cluster sizes).</summary>
    /// <param name="centres">Centres [K, D].</param>
    /// <param name="counts">Non-negative sizes [K], not all zero.</param>
    /// <returns>The dictionary (copies).</returns>
    /// <exception cref="ArgumentException">Wrong shapes, non-finite values, negative or all-zero counts.</exception>
    public static ConfounderDictionary FromCentres(Tensor centres, Tensor counts)
    {
        CheckMatrix(centres, nameof(centres));
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.dim() != 1 || counts.shape[0] != centres.shape[0])
        {
            throw new ArgumentException($"Counts must be [K] = [{centres.shape[0]}]; got [{Shape(counts)}].", nameof(counts));
        }

        using var scope = NewDisposeScope();
        var c = counts.detach().cpu().to(float64);
        if (!torch.isfinite(c).all().item<bool>() || (c < 0).any().item<bool>() || c.sum().item<double>() <= 0)
        {
            throw new ArgumentException("Counts must be finite, non-negative and not all zero.", nameof(counts));
        }

        return new ConfounderDictionary(centres, c / c.sum());
    }

    /// <summary>Dictionary from given centres and cluster sizes (see <see cref="FromCentres(Tensor, Tensor)"/>), e.g. a fitted K-means' <c>ClusterSizes</c>.</summary>
    /// <param name="centres">Centres [K, D].</param>
    /// <param name="counts">Non-negative sizes, K of them, not all zero.</param>
    /// <returns>The dictionary.</returns>
    public static ConfounderDictionary FromClusterSizes(Tensor centres, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        using var c = torch.tensor(counts.Select(v => (double)v).ToArray(), float64);
        return FromCentres(centres, c);
    }

    /// <summary>
    /// Slides' Table 6 "Random": centres drawn i.i.d. N(0, scale^2) with a fixed seed, uniform prior.
    /// (The slides do not say how their random dictionary is drawn; this keeps it data-independent.)
    /// </summary>
    /// <param name="k">K.</param>
    /// <param name="dim">D.</param>
    /// <param name="seed">Generator seed; default 0.</param>
    /// <param name="scale">Standard deviation of the entries; default 1.</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Non-positive sizes or scale.</exception>
    public static ConfounderDictionary Random(int k, int dim, long seed = 0, double scale = 1.0)
    {
        if (k < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "K must be at least 1.");
        }

        if (dim < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), dim, "The dimension must be at least 1.");
        }

        if (!(scale > 0) || !double.IsFinite(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be positive and finite.");
        }

        using var generator = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        return new ConfounderDictionary(torch.randn(k, dim, generator: generator) * scale, torch.full(k, 1.0 / k, float64));
    }

    /// <summary>
    /// Slides' Table 6 "Label" (as VC R-CNN / CCD): one centre per label, the mean feature of the
    /// images having it; P(c) = label frequency / total label count. K = L.
    /// </summary>
    /// <param name="features">Per-image features [N, D] (e.g. pooled backbone features).</param>
    /// <param name="targets">Multi-hot labels [N, L] (non-zero = present), or class ids [N] (int64) with <paramref name="numLabels"/>.</param>
    /// <param name="numLabels">L when <paramref name="targets"/> holds class ids; ignored (may be null) for multi-hot targets.</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="ArgumentException">Wrong shapes, non-finite features, ids out of range, or a label no image has.</exception>
    public static ConfounderDictionary FromClassMeans(Tensor features, Tensor targets, int? numLabels = null)
    {
        CheckMatrix(features, nameof(features));
        ArgumentNullException.ThrowIfNull(targets);
        var n = features.shape[0];
        using var scope = NewDisposeScope();
        Tensor t;
        if (targets.dim() == 1)
        {
            if (numLabels is not int l || l < 1)
            {
                throw new ArgumentException("Class-id targets [N] need numLabels >= 1.", nameof(numLabels));
            }

            if (targets.shape[0] != n || targets.is_floating_point())
            {
                throw new ArgumentException($"Class ids must be an integer tensor [N] = [{n}]; got {targets.dtype} [{Shape(targets)}].", nameof(targets));
            }

            var ids = targets.detach().cpu().to(int64);
            if ((ids < 0).any().item<bool>() || (ids >= l).any().item<bool>())
            {
                throw new ArgumentException($"Class ids must lie in [0, {l}); found {ids.min().item<long>()}..{ids.max().item<long>()} (labels out of range).", nameof(targets));
            }

            t = nn.functional.one_hot(ids, l).to(float64);
        }
        else if (targets.dim() == 2 && targets.shape[0] == n && targets.shape[1] >= 1)
        {
            var tc = targets.detach().cpu();
            if (tc.is_floating_point() && !torch.isfinite(tc).all().item<bool>())
            {
                throw new ArgumentException("The targets contain NaN or Inf.", nameof(targets));
            }

            t = (tc != 0).to(float64);
        }
        else
        {
            throw new ArgumentException($"Targets must be multi-hot [N, L] = [{n}, L >= 1] or class ids [N]; got [{Shape(targets)}].", nameof(targets));
        }

        var counts = t.sum(dim: 0);
        var missing = (counts == 0).nonzero();
        if (missing.shape[0] > 0)
        {
            throw new ArgumentException($"Label {missing[0, 0].item<long>()} has no image, so it has no class-mean confounder ({missing.shape[0]} such label(s)).", nameof(targets));
        }

        var centres = t.t().matmul(features.detach().cpu().to(float64)) / counts.unsqueeze(1);
        return new ConfounderDictionary(centres, counts / counts.sum());
    }

    /// <summary>Loads a dictionary saved by <see cref="Save(string)"/> (or a legacy <c>CVCONFDICT</c> file).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a dictionary file, truncated or invalid contents (the message names the
    /// file and the field or tensor).</exception>
    public static ConfounderDictionary Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var fs = File.OpenRead(path);
        return Load(fs);
    }

    /// <summary>Loads a dictionary from a stream: a safetensors dictionary file (see <see cref="Save(Stream)"/>), or the
    /// legacy <c>CVCONFDICT</c> layout (read only).</summary>
    /// <param name="stream">The stream (left open), positioned at the file's start; a safetensors file runs to the stream's end.</param>
    /// <returns>The dictionary.</returns>
    /// <exception cref="InvalidDataException">Not a dictionary, truncated or invalid contents.</exception>
    public static ConfounderDictionary Load(Stream stream) =>
        StateFileReader.Load(stream, Format, FormatVersion, What, Read, Encoding.ASCII.GetBytes(LegacyMagic), LegacyMagic, LoadLegacy);

    private static ConfounderDictionary Read(StateFileReader r)
    {
        var centres = r.GetTensor("centres", [ScalarType.Float32], -1, -1);
        var prior = r.GetTensor("prior", [ScalarType.Float32], centres.shape[0]);
        r.RejectUnread();
        try
        {
            return new ConfounderDictionary(centres, prior);
        }
        catch (ArgumentException e)
        {
            throw r.Error($"tensor '{(e.ParamName == nameof(prior) ? "prior" : "centres")}'", e.Message, e);
        }
    }

    // The legacy CVCONFDICT version-1 reader: magic (ASCII), version, K, D, centres and prior (little-endian float32).
    internal static ConfounderDictionary LoadLegacy(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            var magic = Encoding.ASCII.GetString(r.ReadBytes(LegacyMagic.Length));
            if (magic != LegacyMagic)
            {
                throw new InvalidDataException("Not a CausalVision confounder dictionary (bad magic).");
            }

            var version = r.ReadInt32();
            if (version != 1)
            {
                throw new InvalidDataException($"Unsupported confounder dictionary version {version} (expected 1).");
            }

            var k = r.ReadInt32();
            var d = r.ReadInt32();
            if (k < 1 || d < 1 || (long)k * d > int.MaxValue)
            {
                throw new InvalidDataException($"Corrupt confounder dictionary: K = {k}, D = {d}.");
            }

            // The header's sizes are checked against what the file holds before anything is allocated: a corrupt
            // K or D must not cost gigabytes (a fuzzed header asked for 2 GB per file).
            var declared = ((long)k * d * sizeof(float)) + ((long)k * sizeof(float));
            if (stream.CanSeek && declared > stream.Length - stream.Position)
            {
                throw new InvalidDataException($"The confounder dictionary file is truncated: K = {k}, D = {d} need {declared} bytes of values, {stream.Length - stream.Position} remain.");
            }

            var centres = ReadFloats(r, k * d);
            var prior = ReadFloats(r, k);
            using var c = torch.tensor(centres, new long[] { k, d });
            using var p = torch.tensor(prior);
            return new ConfounderDictionary(c, p);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The confounder dictionary file is truncated.", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Corrupt confounder dictionary: {e.Message}", e);
        }
    }

    /// <summary>Throws unless the last dimension of <paramref name="features"/> is D.</summary>
    /// <param name="features">Features [..., D].</param>
    /// <param name="name">The parameter name for the message.</param>
    /// <exception cref="ArgumentException">The dimensions differ ("dimension mismatch").</exception>
    public void ValidateFeatures(Tensor features, string name = "features")
    {
        ArgumentNullException.ThrowIfNull(features, name);
        var last = features.dim() == 0 ? 0 : features.shape[^1];
        if (last != Dim)
        {
            throw new ArgumentException($"{name} has last dimension {last} but the confounder dictionary has D = {Dim} (dimension mismatch: the dictionary was built from features of another size).", name);
        }
    }

    /// <summary>Saves the dictionary atomically (temporary file in the same folder, then rename) as a safetensors file.</summary>
    /// <param name="path">The file.</param>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var w = Writer();
        w.Save(path);
    }

    /// <summary>Saves the dictionary to a stream (left open) as a safetensors file.</summary>
    /// <param name="stream">The stream.</param>
    /// <remarks>Layout: tensors <c>centres</c> [K, D] and <c>prior</c> [K] (F32); <c>__metadata__</c> <c>format</c> =
    /// <see cref="Format"/>, <c>format_version</c> = <see cref="FormatVersion"/>.</remarks>
    public void Save(Stream stream)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(stream);
        using var w = Writer();
        w.Save(stream);
    }

    private StateFileWriter Writer()
    {
        var w = new StateFileWriter(Format, FormatVersion);
        w.Add("centres", Centres).Add("prior", Prior);
        return w;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            Centres.Dispose();
            Prior.Dispose();
        }
    }

    private static float[] ReadFloats(BinaryReader r, int count)
    {
        if ((long)count * sizeof(float) > Array.MaxLength)
        {
            throw new EndOfStreamException();
        }

        var bytes = r.ReadBytes(count * sizeof(float));
        if (bytes.Length != count * sizeof(float))
        {
            throw new EndOfStreamException();
        }

        var values = new float[count];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
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

    private static void CheckMatrix(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.dim() != 2 || x.shape[0] < 1 || x.shape[1] < 1)
        {
            throw new ArgumentException($"{name} must be a non-empty matrix [N, D]; got [{Shape(x)}].", name);
        }

        if (!x.is_floating_point())
        {
            throw new ArgumentException($"{name} must be floating point; got {x.dtype}.", name);
        }

        using var finite = torch.isfinite(x);
        using var all = finite.all();
        if (!all.item<bool>())
        {
            throw new ArgumentException($"{name} contains NaN or Inf.", name);
        }
    }

    private static string Shape(Tensor t) => string.Join(", ", t.shape);
}
