// Fuzzy ART and AM-ART on tensors (CPU or CUDA).
// Fuzzy ART: Carpenter, Grossberg, Rosen (1991), Neural Networks 4:759-771 (complement coding,
//   choice T_j = |I ^ w_j|_1 / (alpha + |w_j|_1), match M_j = |I ^ w_j|_1 / |I|_1 >= rho,
//   learning w_j <- beta (I ^ w_j) + (1 - beta) w_j).
// AM-ART: Meng, Tan, Wunsch (2016), IEEE TNNLS 27(12):2656-2669, "Adaptive Scaling of Cluster
//   Boundaries for Large-Scale Social Media Data Clustering"; the update order follows the authors'
//   am_art.py: the winner is the cluster of highest choice among those passing their own vigilance
//   (ties go to the later cluster, as `>=` in their loop); every other cluster whose choice is >= the
//   winner's (all clusters when no winner) has rho *= (1 - sigma); then the winner learns and has
//   rho *= (1 + sigma), or a new cluster is committed with rho0.
// Match tracking (MT+): Carpenter, Grossberg, Markuzon, Reynolds, Rosen (1992), Fuzzy ARTMAP.
using CausalVision.Clustering.Internal;
using CausalVision.Runtime;
using CausalVision.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Clustering.Art;

/// <summary>
/// Fuzzy ART / AM-ART clustering with the category search vectorised on tensors.
/// </summary>
/// <remarks>
/// <para>
/// Samples are inherently sequential (each one may change the weights the next one sees), so
/// learning loops over samples; for one sample, choice, match, vigilance test, winner search and the
/// AM-ART vigilance updates against ALL clusters are a handful of tensor operations (no loop over
/// clusters) and one device synchronisation. <see cref="Predict"/> does not learn and is batched over
/// samples too.
/// </para>
/// <para>
/// Which path when: learning here costs about 30 small tensor kernels per sample plus one pass over
/// the [C, 2D] weights that materialises min(W, x). On CUDA that is one launch-bound step regardless
/// of C, so use this class there, and for <see cref="Predict"/> (batched over samples) on CUDA. On
/// CPU each of those kernels costs tens of microseconds of dispatch, which made this path slower than
/// even the per-cluster loop of <see cref="NaiveFuzzyArt"/> (0.37 vs 0.28 ms per sample at D = 16,
/// 2.0 vs 0.5 ms at D = 256, about 10^2 to 10^3 clusters, a shared 2-core machine); the SIMD kernel
/// <see cref="VectorizedFuzzyArt"/> is the CPU path (see ArtBenchmarks for its speed-up). For CPU fits
/// use it and turn its result into this class with <see cref="FromNaive"/> when tensors are needed
/// (<see cref="Hierarchy.ExemplarHierarchy.Build"/> does so with <see cref="ArtBackend.Auto"/> on CPU).
/// All three give the same clustering; <see cref="NaiveFuzzyArt"/> is the reference in the equivalence tests.
/// Float64 inputs give results identical to <see cref="NaiveFuzzyArt"/> up to summation order.
/// </para>
/// <para>
/// Labels (optional, one per sample) constrain clustering: by default a labelled sample may only join
/// clusters created with its own label (masking); with <see cref="ArtOptions.MatchTracking"/> the
/// ARTMAP match-tracking search is used instead. Clusters remember the label of the sample that
/// created them.
/// </para>
/// <para>Shapes: inputs [N, D] in [0, 1]; weights [C, 2D] with complement coding (else [C, D]).</para>
/// </remarks>
public sealed class FuzzyArt : IDisposable
{
    /// <summary>The <c>format</c> metadata tag of an ART file.</summary>
    public const string Format = "causalvision.fuzzy-art";

    /// <summary>The <c>format_version</c> written and read.</summary>
    public const int FormatVersion = 1;

    private const string LegacyMagic = "CVFUZZYART";
    private const string What = "ART file";
    private const int InitialCapacity = 64;

    private readonly ArtOptions options;
    private readonly Device device;
    private readonly List<long> counts = new();
    private readonly List<long> clusterLabels = new();
    private ScalarType dtype = ScalarType.Float32;
    private Tensor? weights;   // [capacity, codedDim]
    private Tensor? weightNorms; // [capacity]
    private Tensor? vigilances; // [capacity]
    private Tensor? labelTensor; // [capacity] long
    private int clusterCount;
    private long inputDim = -1;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="FuzzyArt"/> class.</summary>
    /// <param name="options">The options (copied); defaults when null.</param>
    /// <param name="device">The device holding the weights; CPU when null.</param>
    public FuzzyArt(ArtOptions? options = null, Device? device = null)
    {
        this.options = (options ?? new ArtOptions()).Clone();
        this.options.Validate();
        this.device = device ?? CPU;
    }

    /// <summary>Gets a copy of the options.</summary>
    public ArtOptions Options => options.Clone();

    /// <summary>Gets the device holding the weights.</summary>
    public Device Device => device;

    /// <summary>Gets the number of committed clusters.</summary>
    public int ClusterCount => clusterCount;

    /// <summary>Gets the raw input dimension D (before complement coding), or -1 before the first fit.</summary>
    public long InputDimension => inputDim;

    /// <summary>Gets the weight dimension (2D with complement coding, else D), or -1 before the first fit.</summary>
    public long CodedDimension => inputDim < 0 ? -1 : (options.ComplementCode ? 2 * inputDim : inputDim);

    /// <summary>Gets, per cluster, how many learning presentations it has won (new-cluster commits included), over all epochs and fits.</summary>
    public IReadOnlyList<long> Counts => counts.ToArray();

    /// <summary>Gets, per cluster, the label of the sample that created it (-1 for unlabelled fits).</summary>
    public IReadOnlyList<long> ClusterLabels => clusterLabels.ToArray();

    /// <summary>Gets a copy of the current per-cluster vigilances rho_j.</summary>
    public double[] Vigilances
    {
        get
        {
            if (clusterCount == 0)
            {
                return Array.Empty<double>();
            }

            using var v = vigilances!.narrow(0, 0, clusterCount).cpu().to(float64);
            return v.data<double>().ToArray();
        }
    }

    /// <summary>Returns a copy of the weights [C, codedDim] on the model's device (caller disposes).</summary>
    /// <returns>The weights.</returns>
    public Tensor GetWeights()
    {
        ThrowIfDisposed();
        if (clusterCount == 0)
        {
            return zeros(new long[] { 0, Math.Max(0, CodedDimension) }, dtype, device);
        }

        using var view = weights!.narrow(0, 0, clusterCount);
        return view.clone();
    }

    /// <summary>Complement codes inputs in [0, 1]: [x, 1 - x].</summary>
    /// <param name="x">Inputs [..., D] in [0, 1].</param>
    /// <returns>A new tensor [..., 2D].</returns>
    public static Tensor ComplementCoding(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        var result = cat(new[] { x, 1.0 - x }, -1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Clears the model and learns <paramref name="data"/> for <see cref="ArtOptions.Epochs"/> epochs.</summary>
    /// <param name="data">Inputs [N, D] in [0, 1].</param>
    /// <param name="labels">Optional per-row labels (&gt;= 0) constraining which clusters a row may join.</param>
    /// <returns>The cluster of every row in the last epoch.</returns>
    public long[] Fit(Tensor data, IReadOnlyList<long>? labels = null)
    {
        ThrowIfDisposed();
        Guard.Features(data, nameof(data));
        Reset();
        long[] assign = Array.Empty<long>();
        for (var e = 0; e < options.Epochs; e++)
        {
            assign = PartialFit(data, labels);
        }

        return assign;
    }

    /// <summary>Learns one pass over a batch without clearing the model (online / streaming use).</summary>
    /// <param name="batch">Inputs [N, D] in [0, 1].</param>
    /// <param name="labels">Optional per-row labels (&gt;= 0).</param>
    /// <returns>The cluster each row joined.</returns>
    public long[] PartialFit(Tensor batch, IReadOnlyList<long>? labels = null)
    {
        ThrowIfDisposed();
        Guard.Features(batch, nameof(batch), inputDim >= 0 ? inputDim : null);
        Guard.UnitRange(batch, nameof(batch));
        CheckLabels(labels, batch.shape[0]);
        if (inputDim < 0)
        {
            inputDim = batch.shape[1];
            dtype = batch.dtype == float64 ? float64 : float32;
        }

        using var scope = NewDisposeScope();
        var coded = Code(batch);
        var norms = coded.sum(1).cpu().to(float64).data<double>().ToArray();
        var n = coded.shape[0];
        var assign = new long[n];
        for (long i = 0; i < n; i++)
        {
            using var sampleScope = NewDisposeScope();
            assign[i] = Learn(coded[i], norms[i], labels is null ? -1 : labels[(int)i]);
        }

        return assign;
    }

    /// <summary>Streams batches through <see cref="PartialFit"/>, <see cref="ArtOptions.Epochs"/> times (the sequence is enumerated once per epoch); the model is not cleared first.</summary>
    /// <param name="batches">Feature batches [n_i, D] in [0, 1]; the caller owns and disposes them.</param>
    /// <returns>The number of samples presented.</returns>
    public long FitStream(IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return FitStream(batches.Select(b => (b, (IReadOnlyList<long>?)null)));
    }

    /// <summary>Streams labelled batches through <see cref="PartialFit"/>, <see cref="ArtOptions.Epochs"/> times.</summary>
    /// <param name="batches">Pairs of features [n_i, D] and labels (or null).</param>
    /// <returns>The number of samples presented.</returns>
    public long FitStream(IEnumerable<(Tensor Features, IReadOnlyList<long>? Labels)> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ThrowIfDisposed();
        long seen = 0;
        for (var e = 0; e < options.Epochs; e++)
        {
            foreach (var (features, labels) in batches)
            {
                PartialFit(features, labels);
                seen += features.shape[0];
            }
        }

        return seen;
    }

    /// <summary>
    /// Assigns rows to clusters without learning: the cluster of highest choice among those whose
    /// vigilance the row passes (ties to the later cluster), or -1 when none passes (or, with
    /// <paramref name="requireResonance"/> false, the cluster of highest choice). Batched over rows.
    /// </summary>
    /// <param name="data">Inputs [N, D] in [0, 1].</param>
    /// <param name="labels">Optional labels restricting rows to clusters of their own label.</param>
    /// <param name="requireResonance">Whether the vigilance test applies.</param>
    /// <returns>The cluster per row, or -1.</returns>
    public long[] Predict(Tensor data, IReadOnlyList<long>? labels = null, bool requireResonance = true)
    {
        ThrowIfDisposed();
        if (inputDim < 0)
        {
            throw new InvalidOperationException("The model is not fitted.");
        }

        Guard.Features(data, nameof(data), inputDim);
        Guard.UnitRange(data, nameof(data));
        CheckLabels(labels, data.shape[0]);
        var n = data.shape[0];
        var result = new long[n];
        if (clusterCount == 0)
        {
            Array.Fill(result, -1L);
            return result;
        }

        using var scope = NewDisposeScope();
        var coded = Code(data);
        var w = weights!.narrow(0, 0, clusterCount);
        var wn = weightNorms!.narrow(0, 0, clusterCount);
        var rho = vigilances!.narrow(0, 0, clusterCount);
        var lab = labels is null ? null : tensor(labels.ToArray(), device: device);
        var chunk = Math.Max(1L, (1L << 24) / Math.Max(1L, clusterCount * coded.shape[1]));
        for (long start = 0; start < n; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            var len = Math.Min(chunk, n - start);
            var x = coded.narrow(0, start, len);
            var inter = minimum(x.unsqueeze(1), w.unsqueeze(0)).sum(2); // [c, C]
            var choice = inter / (wn + options.Alpha);
            var ok = ones_like(choice, dtype: ScalarType.Bool);
            if (requireResonance)
            {
                var match = inter / x.sum(1, keepdim: true);
                ok = match >= rho;
            }

            if (lab is not null)
            {
                var clusterLab = labelTensor!.narrow(0, 0, clusterCount);
                ok = ok & (clusterLab.unsqueeze(0) == lab.narrow(0, start, len).unsqueeze(1));
            }

            var masked = where(ok, choice, full_like(choice, double.NegativeInfinity));
            var flipped = masked.flip(1);
            var idx = (clusterCount - 1) - flipped.argmax(1);
            var any = ok.any(1);
            var best = where(any, idx, full_like(idx, -1L)).cpu().data<long>().ToArray();
            Array.Copy(best, 0, result, start, len);
        }

        return result;
    }

    /// <summary>
    /// Creates a tensor model holding the state of a fitted managed model, <see cref="NaiveFuzzyArt"/> or
    /// <see cref="VectorizedFuzzyArt"/> (weights, vigilances, counts, labels, options).
    /// </summary>
    /// <param name="naive">The fitted managed model.</param>
    /// <param name="device">The target device; CPU when null.</param>
    /// <param name="dtype">The weight dtype (float32 or float64).</param>
    /// <returns>The model; further learning continues from that state.</returns>
    public static FuzzyArt FromNaive(IManagedFuzzyArt naive, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(naive);
        if (naive.InputDimension < 0)
        {
            throw new ArgumentException($"The {naive.GetType().Name} model is not fitted.", nameof(naive));
        }

        if (dtype != ScalarType.Float32 && dtype != ScalarType.Float64)
        {
            throw new ArgumentException($"dtype must be float32 or float64, got {dtype}.", nameof(dtype));
        }

        var art = new FuzzyArt(naive.Options, device) { inputDim = naive.InputDimension, dtype = dtype };
        var w = naive.Weights;
        var rho = naive.Vigilances;
        var cnt = naive.Counts;
        var lab = naive.ClusterLabels;
        art.EnsureCapacity(Math.Max(1, w.Length));
        using var scope = NewDisposeScope();
        for (var j = 0; j < w.Length; j++)
        {
            using var row = tensor(w[j], dtype, art.device);
            art.Commit(row, rho[j], lab[j]);
            art.counts[j] = cnt[j];
        }

        return art;
    }

    /// <summary>Saves weights, vigilances, counts, labels and options (atomically: a temporary file, then a rename).</summary>
    /// <param name="path">The file path.</param>
    /// <remarks>The file is a safetensors file (see <see cref="Save(Stream)"/> for its layout).</remarks>
    public void Save(string path)
    {
        ThrowIfDisposed();
        using var weightsCopy = GetWeights();
        using var w = Writer(weightsCopy);
        w.Save(path);
    }

    /// <summary>Saves the model to a stream as a safetensors file.</summary>
    /// <param name="stream">The stream (left open).</param>
    /// <remarks>Layout: tensors <c>weights</c> [C, codedDim] (F32 or F64, the model's dtype; [0, 0] before the first
    /// fit), <c>vigilances</c> [C] (F64), <c>counts</c> [C] and <c>cluster_labels</c> [C] (I64); <c>__metadata__</c>
    /// <c>format</c> = <see cref="Format"/>, <c>format_version</c> = <see cref="FormatVersion"/>, the options
    /// (<c>vigilance</c>, <c>alpha</c>, <c>beta</c>, <c>sigma</c>, <c>complement_code</c>, <c>match_tracking</c>,
    /// <c>match_tracking_epsilon</c>, <c>epochs</c>) and <c>input_dimension</c> (-1 before the first fit) as strings.</remarks>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ThrowIfDisposed();
        using var weightsCopy = GetWeights();
        using var w = Writer(weightsCopy);
        w.Save(stream);
    }

    /// <summary>Loads a model saved by <see cref="Save(string)"/> (or a legacy <c>CVFUZZYART</c> file).</summary>
    /// <param name="path">The file path.</param>
    /// <param name="device">The target device; CPU when null.</param>
    /// <returns>The model.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ART file, or it is truncated or corrupt (the message
    /// names the file and the field or tensor).</exception>
    public static FuzzyArt Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var fs = File.OpenRead(path);
        return Load(fs, device);
    }

    /// <summary>Loads a model from a stream: a safetensors ART file, or the legacy <c>CVFUZZYART</c> layout (read only).</summary>
    /// <param name="stream">The stream, positioned at the file's start; a safetensors file runs to the stream's end.</param>
    /// <param name="device">The target device; CPU when null.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">The content is not an ART file, or it is truncated or corrupt.</exception>
    public static FuzzyArt Load(Stream stream, Device? device = null)
    {
        return StateFileReader.Load(stream, Format, FormatVersion, What, r => Read(r, device), BinaryTensor.Prefix(LegacyMagic), LegacyMagic, legacy => LoadLegacy(legacy, device));
    }

    // The legacy CVFUZZYART version-1 reader (BinaryWriter layout: options, input dimension, dtype flag, cluster count,
    // weights, vigilances, counts, labels).
    internal static FuzzyArt LoadLegacy(Stream stream, Device? device)
    {
        using var r = BinaryTensor.BeginRead(stream, LegacyMagic, 1);
        return BinaryTensor.Guarded(LegacyMagic, () =>
        {
            var opts = ReadLegacyOptions(r);
            var art = new FuzzyArt(opts, device);
            art.inputDim = r.ReadInt64();
            art.dtype = r.ReadBoolean() ? float64 : float32;
            var c = r.ReadInt32();
            using var w = BinaryTensor.ReadTensor(r, art.device);
            var rho = BinaryTensor.ReadDoubles(r, c);
            if (rho.Any(v => !double.IsFinite(v) || v < 0 || v > 1))
            {
                throw new InvalidDataException("Corrupt FuzzyArt file: a cluster vigilance is outside [0, 1].");
            }

            var cnt = BinaryTensor.ReadLongs(r, c);
            var lab = BinaryTensor.ReadLongs(r, c);
            if (w.shape[0] != c || (c > 0 && w.shape[1] != art.CodedDimension))
            {
                throw new InvalidDataException($"Corrupt FuzzyArt file: weights [{string.Join(", ", w.shape)}] for {c} clusters of dimension {art.CodedDimension}.");
            }

            art.EnsureCapacity(Math.Max(c, 1));
            using var scope = NewDisposeScope();
            for (var j = 0; j < c; j++)
            {
                art.Commit(w[j], rho[j], lab[j]);
                art.counts[j] = cnt[j];
            }

            return art;
        });
    }

    private StateFileWriter Writer(Tensor weightsCopy)
    {
        var w = new StateFileWriter(Format, FormatVersion);
        w.Set("vigilance", options.Vigilance)
            .Set("alpha", options.Alpha)
            .Set("beta", options.Beta)
            .Set("sigma", options.Sigma)
            .Set("complement_code", options.ComplementCode)
            .Set("match_tracking", options.MatchTracking)
            .Set("match_tracking_epsilon", options.MatchTrackingEpsilon)
            .Set("epochs", options.Epochs)
            .Set("input_dimension", inputDim)
            .Add("weights", weightsCopy)
            .AddFloat64s("vigilances", Vigilances)
            .AddInt64s("counts", counts)
            .AddInt64s("cluster_labels", clusterLabels);
        return w;
    }

    private static FuzzyArt Read(StateFileReader r, Device? device)
    {
        var o = new ArtOptions
        {
            Vigilance = r.GetDouble("vigilance"),
            Alpha = r.GetDouble("alpha"),
            Beta = r.GetDouble("beta"),
            Sigma = r.GetDouble("sigma"),
            ComplementCode = r.GetBoolean("complement_code"),
            MatchTracking = r.GetBoolean("match_tracking"),
            MatchTrackingEpsilon = r.GetDouble("match_tracking_epsilon"),
            Epochs = r.GetInt32("epochs"),
        };
        FuzzyArt art;
        try
        {
            art = new FuzzyArt(o, device);
        }
        catch (ArgumentException e)
        {
            throw r.Error("metadata", $"invalid options ({e.Message})", e);
        }

        try
        {
            var inputDim = r.GetInt64("input_dimension");
            if (inputDim is not (-1 or (>= 1 and <= int.MaxValue)))
            {
                throw r.Error("metadata 'input_dimension'", $"{inputDim} is neither -1 (not fitted) nor in [1, {int.MaxValue}].");
            }

            art.inputDim = inputDim;
            var w = r.GetFiniteFloat("weights", -1, Math.Max(0, art.CodedDimension));
            if (w.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            {
                throw r.Error("tensor 'weights'", $"dtype {w.dtype}, expected Float32 or Float64.");
            }

            var c = w.shape[0];
            if (c > 0 && inputDim < 0)
            {
                throw r.Error("tensor 'weights'", $"{c} clusters in a model that was never fitted (input_dimension -1).");
            }

            art.dtype = w.dtype;
            var rho = r.GetFloat64s("vigilances", c);
            if (Array.FindIndex(rho, v => !double.IsFinite(v) || v < 0 || v > 1) is var badRho and >= 0)
            {
                throw r.Error("tensor 'vigilances'", $"entry {badRho} ({rho[badRho]}) is outside [0, 1].");
            }

            var cnt = r.GetInt64s("counts", c);
            if (Array.FindIndex(cnt, v => v < 0) is var badCount and >= 0)
            {
                throw r.Error("tensor 'counts'", $"entry {badCount} is negative ({cnt[badCount]}).");
            }

            var lab = r.GetInt64s("cluster_labels", c);
            if (Array.FindIndex(lab, v => v < -1) is var badLabel and >= 0)
            {
                throw r.Error("tensor 'cluster_labels'", $"entry {badLabel} ({lab[badLabel]}) is below -1 (unlabelled).");
            }

            r.RejectUnread();
            if (c > 0)
            {
                art.EnsureCapacity((int)c);
                using var scope = NewDisposeScope();
                for (var j = 0; j < c; j++)
                {
                    art.Commit(w[j], rho[j], lab[j]);
                    art.counts[j] = cnt[j];
                }
            }

            return art;
        }
        catch
        {
            art.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        weights?.Dispose();
        weightNorms?.Dispose();
        vigilances?.Dispose();
        labelTensor?.Dispose();
    }

    private static ArtOptions ReadLegacyOptions(BinaryReader r)
    {
        var o = new ArtOptions
        {
            Vigilance = r.ReadDouble(),
            Alpha = r.ReadDouble(),
            Beta = r.ReadDouble(),
            Sigma = r.ReadDouble(),
            ComplementCode = r.ReadBoolean(),
            MatchTracking = r.ReadBoolean(),
            MatchTrackingEpsilon = r.ReadDouble(),
            Epochs = r.ReadInt32(),
        };
        try
        {
            o.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Corrupt ART options: {e.Message}", e);
        }

        return o;
    }

    private static void CheckLabels(IReadOnlyList<long>? labels, long n)
    {
        if (labels is not null)
        {
            Guard.Ids(labels, n, long.MaxValue, nameof(labels));
        }
    }

    private Tensor Code(Tensor batch)
    {
        var x = batch.to(dtype, device);
        return options.ComplementCode ? ComplementCoding(x) : x.alias();
    }

    private void Reset()
    {
        weights?.Dispose();
        weightNorms?.Dispose();
        vigilances?.Dispose();
        labelTensor?.Dispose();
        weights = weightNorms = vigilances = labelTensor = null;
        counts.Clear();
        clusterLabels.Clear();
        clusterCount = 0;
        inputDim = -1;
    }

    // One sample: category search against all clusters at once, AM-ART vigilance updates, learning.
    private long Learn(Tensor x, double xNorm, long label)
    {
        if (clusterCount == 0)
        {
            return Commit(x, options.Vigilance, label);
        }

        var c = clusterCount;
        var w = weights!.narrow(0, 0, c);
        var rho = vigilances!.narrow(0, 0, c);
        var inter = minimum(w, x).sum(1);
        var choice = inter / (weightNorms!.narrow(0, 0, c) + options.Alpha);
        var match = inter / xNorm;
        Tensor? eligible = null;
        if (label >= 0 && !options.MatchTracking)
        {
            eligible = labelTensor!.narrow(0, 0, c) == label;
        }

        var passBase = match >= rho;
        if (eligible is not null)
        {
            passBase = passBase & eligible;
        }

        var pass = passBase;
        long winner;
        Tensor winnerChoice;
        while (true)
        {
            var masked = where(pass, choice, full_like(choice, double.NegativeInfinity));
            var flippedIdx = masked.flip(0).argmax();
            var any = pass.any();
            var idx = where(any, (c - 1) - flippedIdx, full_like(flippedIdx, -1L));
            winner = idx.item<long>();
            if (winner < 0)
            {
                winnerChoice = full(1, -1.0, dtype: dtype, device: device);
                break;
            }

            if (label >= 0 && options.MatchTracking && clusterLabels[(int)winner] != label)
            {
                // MT+: raise this sample's vigilance just above the rejected winner's match and search again.
                var raised = match[winner].to(float64).item<double>() + options.MatchTrackingEpsilon;
                pass = pass & (match >= raised);
                pass[winner].fill_(false); // also when epsilon is 0: a rejected cluster is never retried
                continue;
            }

            winnerChoice = choice[winner];
            break;
        }

        if (options.Sigma > 0)
        {
            // AM-ART: clusters (other than the winner) whose choice >= the winner's were reset: shrink their vigilance.
            var reset = choice >= winnerChoice;
            if (winner >= 0)
            {
                reset = reset & (arange(c, device: device) != winner);
            }

            if (eligible is not null)
            {
                reset = reset & eligible;
            }

            var factor = reset.to_type(dtype).mul_(-options.Sigma).add_(1.0);
            rho.mul_(factor);
        }

        if (winner < 0)
        {
            return Commit(x, options.Vigilance, label);
        }

        var row = weights[winner];
        var updated = ScalarSafe.Add_(minimum(row, x).mul_(options.Beta), row * (1.0 - options.Beta));
        row.copy_(updated);
        weightNorms[winner] = updated.sum();
        if (options.Sigma > 0)
        {
            vigilances[winner].mul_(1.0 + options.Sigma);
        }

        counts[(int)winner]++;
        return winner;
    }

    private long Commit(Tensor x, double rho0, long label)
    {
        EnsureCapacity(clusterCount + 1);
        var j = clusterCount;
        weights![j].copy_(x);
        weightNorms![j] = x.sum().to(dtype);
        vigilances![j].fill_(rho0);
        labelTensor![j].fill_(label);
        counts.Add(1);
        clusterLabels.Add(label);
        clusterCount++;
        return j;
    }

    private void EnsureCapacity(int needed)
    {
        var cap = weights is null ? 0 : (int)weights.shape[0];
        if (needed <= cap)
        {
            return;
        }

        var newCap = Math.Max(InitialCapacity, cap);
        while (newCap < needed)
        {
            newCap *= 2;
        }

        var dim = CodedDimension;
        var newW = zeros(new long[] { newCap, dim }, dtype, device);
        var newN = zeros(new long[] { newCap }, dtype, device);
        var newR = zeros(new long[] { newCap }, dtype, device);
        var newL = full(new long[] { newCap }, -1L, ScalarType.Int64, device);
        if (clusterCount > 0)
        {
            newW.narrow(0, 0, clusterCount).copy_(weights!.narrow(0, 0, clusterCount));
            newN.narrow(0, 0, clusterCount).copy_(weightNorms!.narrow(0, 0, clusterCount));
            newR.narrow(0, 0, clusterCount).copy_(vigilances!.narrow(0, 0, clusterCount));
            newL.narrow(0, 0, clusterCount).copy_(labelTensor!.narrow(0, 0, clusterCount));
        }

        weights?.Dispose();
        weightNorms?.Dispose();
        vigilances?.Dispose();
        labelTensor?.Dispose();
        weights = newW.DetachFromDisposeScope();
        weightNorms = newN.DetachFromDisposeScope();
        vigilances = newR.DetachFromDisposeScope();
        labelTensor = newL.DetachFromDisposeScope();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}
