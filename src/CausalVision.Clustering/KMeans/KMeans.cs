// K-means on tensors (CPU or CUDA).
// Lloyd iterations: S. Lloyd (1982), "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28(2).
// k-means++ seeding: Arthur & Vassilvitskii (2007), "k-means++: The Advantages of Careful Seeding", SODA;
//   greedy variant with 2 + ln K local trials and tolerance scaled by the mean feature variance as
//   scikit-learn's KMeans (sklearn/cluster/_kmeans.py); empty clusters re-seeded from the points
//   farthest from their centres (scikit-learn's relocation).
// Mini-batch: D. Sculley (2010), "Web-Scale K-Means Clustering", WWW; per-centre learning rate 1/v_c,
//   applied in aggregate per batch: c <- (v_c c + sum of batch members) / (v_c + n_c).
using CausalVision.Clustering.Internal;
using CausalVision.Runtime;
using CausalVision.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Clustering.KMeans;

/// <summary>
/// K-means clustering: k-means++ seeding, Lloyd iterations, a mini-batch variant for data that does
/// not fit in memory (also fed from a stream of batches), inertia and cluster sizes, save/load.
/// </summary>
/// <remarks>
/// <para>
/// Squared distances are ||x||^2 - 2 x c^T + ||c||^2 (clamped at 0), computed in row chunks of at most
/// <see cref="KMeansOptions.ChunkElements"/> distance entries, so 100k x 512 with K = 80 runs in a
/// fixed, small working set. Inertia and the tolerance are accumulated in float64.
/// </para>
/// <para>
/// float32 data on the CPU takes the fused kernel by default (<see cref="KMeansOptions.Kernel"/>): one pass per
/// Lloyd iteration computes the distances in register tiles (AVX-512 or AVX2 + FMA, chosen at run time), the
/// argmin and the float64 centre sums, with no [N, K] matrix; decisions closer than the float32 rounding bound
/// are recomputed in float64. It uses <c>torch.get_num_threads()</c> threads. Other dtypes and devices use libtorch.
/// </para>
/// <para>Shapes: data [N, D] (float32 or float64); centres [K, D]; labels [N].</para>
/// </remarks>
public sealed class KMeans : IDisposable
{
    /// <summary>The <c>format</c> metadata tag of a K-means file.</summary>
    public const string Format = "causalvision.kmeans";

    /// <summary>The <c>format_version</c> written and read.</summary>
    public const int FormatVersion = 1;

    private const string LegacyMagic = "CVKMEANS";
    private const string What = "K-means file";
    private readonly KMeansOptions options;
    private readonly Device device;
    private Tensor? centers;
    private long[] sizes = Array.Empty<long>();
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="KMeans"/> class.</summary>
    /// <param name="options">The options (copied); defaults when null.</param>
    /// <param name="device">The device of the centres; CPU when null.</param>
    public KMeans(KMeansOptions? options = null, Device? device = null)
    {
        this.options = (options ?? new KMeansOptions()).Clone();
        this.options.Validate();
        this.device = device ?? CPU;
    }

    /// <summary>Gets a copy of the options.</summary>
    public KMeansOptions Options => options.Clone();

    /// <summary>Gets the device of the centres.</summary>
    public Device Device => device;

    /// <summary>Gets a value indicating whether the model has been fitted.</summary>
    public bool IsFitted => centers is not null;

    /// <summary>Gets the feature dimension D (-1 before fitting).</summary>
    public long Dimension => centers is null ? -1 : centers.shape[1];

    /// <summary>Gets the number of clusters K.</summary>
    public int ClusterCount => options.Clusters;

    /// <summary>Gets the inertia (sum of squared distances to the nearest centre) of the fitted data, from the final assignment pass.</summary>
    public double Inertia { get; private set; } = double.NaN;

    /// <summary>Gets the Lloyd iterations (or mini-batch steps) of the kept run.</summary>
    public int Iterations { get; private set; }

    /// <summary>Gets a value indicating whether the kept run met the tolerance (or stopped changing labels).</summary>
    public bool Converged { get; private set; }

    /// <summary>Gets the number of fitted samples nearest to each centre, from the final assignment pass.</summary>
    public IReadOnlyList<long> ClusterSizes => sizes.ToArray();

    /// <summary>Returns a copy of the centres [K, D] (caller disposes).</summary>
    /// <returns>The centres.</returns>
    public Tensor GetCenters()
    {
        ThrowIfNotFitted();
        return centers!.clone();
    }

    /// <summary>Fits by Lloyd iterations from k-means++ seeds, <see cref="KMeansOptions.Restarts"/> times, keeping the run of least inertia.</summary>
    /// <param name="data">Samples [N, D], N &gt;= K.</param>
    /// <returns>This model.</returns>
    public KMeans Fit(Tensor data)
    {
        ThrowIfDisposed();
        Guard.Features(data, nameof(data));
        CheckK(data.shape[0]);
        using var scope = NewDisposeScope();
        var x = data.to(device);
        var tolAbs = options.Tolerance * MeanVariance(x);
        var seeds = new Random(options.Seed);
        Tensor? best = null;
        var bestInertia = double.PositiveInfinity;
        var bestIter = 0;
        var bestConv = false;
        for (var run = 0; run < options.Restarts; run++)
        {
            var c = PlusPlus(x, seeds.Next());
            var (iter, conv) = Lloyd(x, ref c, tolAbs);
            var (_, minD) = Assign(x, c);
            var inertia = minD.sum(float64).item<double>();
            if (inertia < bestInertia)
            {
                best = c;
                bestInertia = inertia;
                bestIter = iter;
                bestConv = conv;
            }
        }

        SetCenters(best!);
        Iterations = bestIter;
        Converged = bestConv;
        FinalPass(Split(new[] { x }));
        return this;
    }

    /// <summary>
    /// Fits by Lloyd iterations from the given initial centres (one run; scikit-learn's <c>init=ndarray</c>), e.g. to
    /// compare implementations from an identical start or to warm-start from a previous dictionary.
    /// </summary>
    /// <param name="data">Samples [N, D], N &gt;= K.</param>
    /// <param name="initialCenters">Initial centres [K, D] with K = <see cref="KMeansOptions.Clusters"/>; not modified.</param>
    /// <returns>This model.</returns>
    public KMeans Fit(Tensor data, Tensor initialCenters)
    {
        ThrowIfDisposed();
        Guard.Features(data, nameof(data));
        Guard.Features(initialCenters, nameof(initialCenters));
        CheckK(data.shape[0]);
        if (initialCenters.shape[0] != options.Clusters || initialCenters.shape[1] != data.shape[1])
        {
            throw new ArgumentException($"Initial centres must be [{options.Clusters}, {data.shape[1]}], got [{string.Join(", ", initialCenters.shape)}].", nameof(initialCenters));
        }

        using var scope = NewDisposeScope();
        var x = data.to(device);
        var tolAbs = options.Tolerance * MeanVariance(x);
        var c = initialCenters.to(device).to(x.dtype).clone();
        var (iter, conv) = Lloyd(x, ref c, tolAbs);
        SetCenters(c);
        Iterations = iter;
        Converged = conv;
        FinalPass(Split(new[] { x }));
        return this;
    }

    /// <summary>Fits by mini-batch K-means (Sculley 2010) over shuffled batches of an in-memory tensor.</summary>
    /// <param name="data">Samples [N, D], N &gt;= K.</param>
    /// <returns>This model.</returns>
    public KMeans FitMiniBatch(Tensor data)
    {
        ThrowIfDisposed();
        Guard.Features(data, nameof(data));
        CheckK(data.shape[0]);
        var n = data.shape[0];
        var rng = new Random(options.Seed);
        IEnumerable<Tensor> Epoch()
        {
            var perm = Enumerable.Range(0, (int)n).OrderBy(_ => rng.Next()).Select(i => (long)i).ToArray();
            for (var s = 0; s < n; s += options.BatchSize)
            {
                var idx = perm.Skip(s).Take(options.BatchSize).ToArray();
                using var index = tensor(idx, device: data.device);
                yield return data.index_select(0, index);
            }
        }

        MiniBatch(_ => Epoch(), () => Split(new[] { data }), validate: false);
        return this;
    }

    /// <summary>
    /// Fits by mini-batch K-means from a stream of feature batches, for more data than fits in memory.
    /// The sequence is enumerated <see cref="KMeansOptions.MiniBatchEpochs"/> + 1 times (the last pass
    /// computes inertia and cluster sizes), so it must be re-enumerable (e.g. re-reading files). The
    /// first batches, up to <see cref="KMeansOptions.InitSize"/> rows, seed k-means++. The caller owns
    /// the batches.
    /// </summary>
    /// <param name="batches">Batches [n_i, D].</param>
    /// <returns>This model.</returns>
    public KMeans FitStream(IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ThrowIfDisposed();
        MiniBatch(_ => Split(batches), () => Split(batches), validate: true);
        return this;
    }

    /// <summary>Returns the nearest centre of every row.</summary>
    /// <param name="data">Samples [N, D].</param>
    /// <returns>Labels [N] as int64 on the model's device (caller disposes).</returns>
    public Tensor Predict(Tensor data)
    {
        ThrowIfNotFitted();
        Guard.Features(data, nameof(data), Dimension);
        using var scope = NewDisposeScope();
        var (labels, _) = Assign(data.to(device), centers!);
        return labels.MoveToOuterDisposeScope();
    }

    /// <summary>Returns the inertia of <paramref name="data"/> under the fitted centres.</summary>
    /// <param name="data">Samples [N, D].</param>
    /// <returns>The sum of squared distances to the nearest centres.</returns>
    public double Score(Tensor data)
    {
        ThrowIfNotFitted();
        Guard.Features(data, nameof(data), Dimension);
        using var scope = NewDisposeScope();
        var (_, minD) = Assign(data.to(device), centers!);
        return minD.sum(float64).item<double>();
    }

    /// <summary>Computes squared Euclidean distances [N, K] = ||x||^2 - 2 x c^T + ||c||^2, clamped at 0 (one chunk; no validation).</summary>
    /// <param name="x">Rows [N, D].</param>
    /// <param name="c">Centres [K, D].</param>
    /// <returns>Distances [N, K].</returns>
    public static Tensor SquaredDistances(Tensor x, Tensor c)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(c);
        using var scope = NewDisposeScope();
        var d = ScalarSafe.Add(x.pow(2).sum(1, keepdim: true) - (2 * x.matmul(c.t())), c.pow(2).sum(1).unsqueeze(0));
        return d.clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>Saves the centres, sizes, inertia and options (atomically: a temporary file, then a rename).</summary>
    /// <param name="path">The file path.</param>
    /// <remarks>The file is a safetensors file (see <see cref="Save(Stream)"/> for its layout).</remarks>
    public void Save(string path)
    {
        ThrowIfNotFitted();
        using var w = Writer();
        w.Save(path);
    }

    /// <summary>Saves the model to a stream as a safetensors file.</summary>
    /// <param name="stream">The stream (left open).</param>
    /// <remarks>Layout: tensors <c>centers</c> [K, D] (the fitted dtype) and <c>cluster_sizes</c> [K] (I64);
    /// <c>__metadata__</c> <c>format</c> = <see cref="Format"/>, <c>format_version</c> = <see cref="FormatVersion"/>,
    /// the options (<c>clusters</c>, <c>max_iterations</c>, <c>tolerance</c>, <c>restarts</c>, <c>seed</c>,
    /// <c>local_trials</c>, <c>chunk_elements</c>, <c>batch_size</c>, <c>mini_batch_epochs</c>, <c>init_size</c>) and the
    /// fit (<c>inertia</c>, <c>iterations</c>, <c>converged</c>) as strings. <see cref="KMeansOptions.Kernel"/> is a
    /// run-time choice and is not written.</remarks>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ThrowIfNotFitted();
        using var w = Writer();
        w.Save(stream);
    }

    /// <summary>Loads a model saved by <see cref="Save(string)"/> (or a legacy <c>CVKMEANS</c> file).</summary>
    /// <param name="path">The file path.</param>
    /// <param name="device">The target device; CPU when null.</param>
    /// <returns>The model.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a K-means file, or it is truncated or corrupt (the message
    /// names the file and the field or tensor).</exception>
    public static KMeans Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var fs = File.OpenRead(path);
        return Load(fs, device);
    }

    /// <summary>Loads a model from a stream: a safetensors K-means file, or the legacy <c>CVKMEANS</c> layout (read only).</summary>
    /// <param name="stream">The stream, positioned at the file's start; a safetensors file runs to the stream's end.</param>
    /// <param name="device">The target device; CPU when null.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">The content is not a K-means file, or it is truncated or corrupt.</exception>
    public static KMeans Load(Stream stream, Device? device = null)
    {
        return StateFileReader.Load(stream, Format, FormatVersion, What, r => Read(r, device), BinaryTensor.Prefix(LegacyMagic), LegacyMagic, legacy => LoadLegacy(legacy, device));
    }

    // The legacy CVKMEANS version-1 reader (BinaryWriter layout: options, inertia, iterations, converged, centres, sizes).
    internal static KMeans LoadLegacy(Stream stream, Device? device)
    {
        using var r = BinaryTensor.BeginRead(stream, LegacyMagic, 1);
        return BinaryTensor.Guarded(LegacyMagic, () =>
        {
            var o = new KMeansOptions
            {
                Clusters = r.ReadInt32(),
                MaxIterations = r.ReadInt32(),
                Tolerance = r.ReadDouble(),
                Restarts = r.ReadInt32(),
                Seed = r.ReadInt32(),
                LocalTrials = r.ReadInt32(),
                ChunkElements = r.ReadInt64(),
                BatchSize = r.ReadInt32(),
                MiniBatchEpochs = r.ReadInt32(),
                InitSize = r.ReadInt32(),
            };
            KMeans km;
            try
            {
                km = new KMeans(o, device);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Corrupt KMeans options: {e.Message}", e);
            }

            km.Inertia = r.ReadDouble();
            km.Iterations = r.ReadInt32();
            km.Converged = r.ReadBoolean();
            var c = BinaryTensor.ReadTensor(r, km.device);
            if (c.dim() != 2 || c.shape[0] != o.Clusters || !c.isfinite().all().item<bool>())
            {
                c.Dispose();
                throw new InvalidDataException($"Corrupt KMeans file: centres of shape [{string.Join(", ", c.shape)}] for K = {o.Clusters}, or not finite.");
            }

            km.centers = c.DetachFromDisposeScope();
            km.sizes = BinaryTensor.ReadLongs(r, o.Clusters);
            return km;
        });
    }

    private StateFileWriter Writer()
    {
        var w = new StateFileWriter(Format, FormatVersion);
        w.Set("clusters", options.Clusters)
            .Set("max_iterations", options.MaxIterations)
            .Set("tolerance", options.Tolerance)
            .Set("restarts", options.Restarts)
            .Set("seed", options.Seed)
            .Set("local_trials", options.LocalTrials)
            .Set("chunk_elements", options.ChunkElements)
            .Set("batch_size", options.BatchSize)
            .Set("mini_batch_epochs", options.MiniBatchEpochs)
            .Set("init_size", options.InitSize)
            .Set("inertia", Inertia)
            .Set("iterations", Iterations)
            .Set("converged", Converged)
            .Add("centers", centers!)
            .AddInt64s("cluster_sizes", sizes);
        return w;
    }

    private static KMeans Read(StateFileReader r, Device? device)
    {
        var o = new KMeansOptions
        {
            Clusters = r.GetInt32("clusters"),
            MaxIterations = r.GetInt32("max_iterations"),
            Tolerance = r.GetDouble("tolerance"),
            Restarts = r.GetInt32("restarts"),
            Seed = r.GetInt32("seed"),
            LocalTrials = r.GetInt32("local_trials"),
            ChunkElements = r.GetInt64("chunk_elements"),
            BatchSize = r.GetInt32("batch_size"),
            MiniBatchEpochs = r.GetInt32("mini_batch_epochs"),
            InitSize = r.GetInt32("init_size"),
        };
        KMeans km;
        try
        {
            km = new KMeans(o, device);
        }
        catch (ArgumentException e)
        {
            throw r.Error("metadata", $"invalid options ({e.Message})", e);
        }

        try
        {
            km.Inertia = r.GetDouble("inertia");
            if (km.Inertia < 0)
            {
                throw r.Error("metadata 'inertia'", $"{km.Inertia} is negative.");
            }

            km.Iterations = r.GetInt32("iterations");
            if (km.Iterations < 0)
            {
                throw r.Error("metadata 'iterations'", $"{km.Iterations} is negative.");
            }

            km.Converged = r.GetBoolean("converged");
            var c = r.GetFiniteFloat("centers", o.Clusters, -1);
            if (c.shape[1] < 1)
            {
                throw r.Error("tensor 'centers'", "has no features (D = 0).");
            }

            var sizes = r.GetInt64s("cluster_sizes", o.Clusters);
            if (Array.FindIndex(sizes, v => v < 0) is var bad and >= 0)
            {
                throw r.Error("tensor 'cluster_sizes'", $"entry {bad} is negative ({sizes[bad]}).");
            }

            r.RejectUnread();
            km.sizes = sizes;
            km.centers = BinaryTensor.Owned(c, km.device);
            return km;
        }
        catch
        {
            km.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            centers?.Dispose();
        }
    }

    // Mean per-feature (biased) variance, accumulated in float64 over row chunks (no full float64 copy).
    private double MeanVariance(Tensor x)
    {
        if (FusedLanes(x) > 0 && x.shape[0] > 0)
        {
            using var xc = x.contiguous();
            return FusedAssign.MeanVariance(xc);
        }

        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var d = x.shape[1];
        var sum = zeros(d, float64, x.device);
        var sumSq = zeros(d, float64, x.device);
        var chunk = Math.Max(1L, options.ChunkElements / Math.Max(1L, d));
        for (long s = 0; s < n; s += chunk)
        {
            using var inner = NewDisposeScope();
            var xs = x.narrow(0, s, Math.Min(chunk, n - s)).to(float64);
            ScalarSafe.Add_(sum, xs.sum(dim: 0L));
            ScalarSafe.Add_(sumSq, xs.pow(2).sum(dim: 0L));
        }

        var mean = sum / n;
        var variance = ((sumSq / n) - mean.pow(2)).clamp_min(0);
        return variance.mean().item<double>();
    }

    private void CheckK(long n)
    {
        if (options.Clusters > n)
        {
            throw new ArgumentException($"K = {options.Clusters} clusters exceeds the number of samples {n}.", "data");
        }
    }

    private void SetCenters(Tensor c)
    {
        var old = centers;
        centers = c.detach().clone().DetachFromDisposeScope();
        old?.Dispose();
    }

    // Labels [N] and squared distance to the nearest centre [N], in row chunks.
    // Squared distances with ||x||^2 given: ||x||^2 + ||c||^2 - 2 x c^T in one fused addmm.
    private static Tensor SquaredDistances(Tensor x, Tensor xNorm, Tensor c)
    {
        using var scope = NewDisposeScope();
        var cNorm = c.pow(2).sum(1).unsqueeze(0);
        return addmm(ScalarSafe.Add(xNorm, cNorm), x, c.t(), beta: 1, alpha: -2).clamp_min_(0).MoveToOuterDisposeScope();
    }

    private (Tensor Labels, Tensor MinDist) Assign(Tensor x, Tensor c)
    {
        var lanes = FusedLanes(x);
        if (lanes > 0)
        {
            var xc = x.contiguous();
            var fusedLabels = empty(x.shape[0], ScalarType.Int64, x.device);
            var fusedMin = empty(x.shape[0], x.dtype, x.device);
            FusedAssign.Run(xc, new FusedCentres(c, lanes), fusedLabels, fusedMin, null, null, torch.get_num_threads());
            return (fusedLabels, fusedMin);
        }

        var n = x.shape[0];
        var k = c.shape[0];
        var labels = empty(n, ScalarType.Int64, x.device);
        var minD = empty(n, x.dtype, x.device);
        var chunk = Math.Max(1L, options.ChunkElements / k);
        var cNorm = c.pow(2).sum(1).unsqueeze(0);
        for (long s = 0; s < n; s += chunk)
        {
            using var inner = NewDisposeScope();
            var len = Math.Min(chunk, n - s);
            var xs = x.narrow(0, s, len);
            // argmin_k ||x - c_k||^2 = argmin_k (||c_k||^2 - 2 x.c_k): ||x||^2 is added to the minimum only.
            var (values, indexes) = addmm(cNorm, xs, c.t(), beta: 1, alpha: -2).min(1);
            labels.narrow(0, s, len).copy_(indexes);
            minD.narrow(0, s, len).copy_(ScalarSafe.Add(values, xs.pow(2).sum(1)).clamp_min_(0));
        }

        return (labels, minD);
    }

    // Greedy k-means++ (D^2 sampling with local trials), sampled with a managed Random for determinism on any device.
    private Tensor PlusPlus(Tensor x, int seed)
    {
        var rng = new Random(seed);
        var n = x.shape[0];
        var k = options.Clusters;
        var trials = options.LocalTrials > 0 ? options.LocalTrials : 2 + (int)Math.Log(k);
        var c = empty(new long[] { k, x.shape[1] }, x.dtype, x.device);
        var first = rng.NextInt64(n);
        c[0].copy_(x[first]);
        // ||x||^2 once for the whole seeding: recomputing it for each of the K steps cost more than the distances.
        var xNorm = x.pow(2).sum(1, keepdim: true);
        var closest = SquaredDistances(x, xNorm, x.narrow(0, first, 1)).squeeze(1).to(float64);
        for (var j = 1; j < k; j++)
        {
            using var step = NewDisposeScope();
            var cum = closest.cumsum(0).cpu().data<double>().ToArray();
            var pot = cum[^1];
            var cands = new long[trials];
            for (var t = 0; t < trials; t++)
            {
                var r = rng.NextDouble() * pot;
                var idx = Array.BinarySearch(cum, r);
                idx = idx < 0 ? ~idx : idx;
                cands[t] = Math.Min(idx, n - 1);
            }

            var candIdx = tensor(cands, device: x.device);
            var candRows = x.index_select(0, candIdx);
            var dc = SquaredDistances(x, xNorm, candRows).to(float64); // [N, trials]
            var trialD = minimum(dc, closest.unsqueeze(1));
            var pots = trialD.sum(dim: 0L); // not sum(0): a literal 0 binds to sum(ScalarType)
            var best = pots.argmin().item<long>();
            c[j].copy_(candRows[best]);
            closest.copy_(trialD.select(1, best));
        }

        return c;
    }

    // The fused kernel's float32 lanes for this data (16 or 8), or 0 for libtorch.
    private int FusedLanes(Tensor x)
    {
        if (options.Kernel == KMeansKernel.Torch || x.device_type != DeviceType.CPU || x.dtype != ScalarType.Float32
            || x.dim() != 2 || x.shape[1] == 0 || !FusedAssign.IsSupported)
        {
            return 0;
        }

        return options.Kernel == KMeansKernel.Fused256 ? (FusedAssign.Has256 ? 8 : 0) : FusedAssign.Lanes(allow512: true);
    }

    // Lloyd with the fused kernel: assignment and float64 centre sums in one pass over the rows per iteration.
    private (int Iterations, bool Converged) LloydFused(Tensor x, ref Tensor c, double tolAbs, int lanes)
    {
        var k = options.Clusters;
        var n = x.shape[0];
        var d = (int)x.shape[1];
        var threads = torch.get_num_threads();
        using var xc = x.contiguous();
        using var minD = empty(n, x.dtype, x.device);
        var current = empty(n, ScalarType.Int64, x.device);
        var previous = empty(n, ScalarType.Int64, x.device);
        var sums = new double[(long)k * d];
        var counts = new long[k];
        try
        {
            for (var it = 1; it <= options.MaxIterations; it++)
            {
                using var iterScope = NewDisposeScope();
                Array.Clear(sums);
                Array.Clear(counts);
                FusedAssign.Run(xc, new FusedCentres(c, lanes), current, minD, sums, counts, threads);
                var sumsT = tensor(sums, new long[] { k, d }, float64);
                var countsT = tensor(Array.ConvertAll(counts, v => (double)v), float64);
                if (Array.IndexOf(counts, 0L) >= 0)
                {
                    RepairEmpty(xc, current, minD, sumsT, countsT);
                }

                var next = (sumsT / countsT.unsqueeze(1)).to(x.dtype);
                var shift = (next - c).pow(2).sum(float64).item<double>();
                var same = it > 1 && previous.equal(current).all().item<bool>();
                c.Dispose();
                c = next.MoveToOuterDisposeScope();
                (current, previous) = (previous, current);
                if (same || shift <= tolAbs)
                {
                    return (it, true);
                }
            }

            return (options.MaxIterations, false);
        }
        finally
        {
            current.Dispose();
            previous.Dispose();
        }
    }

    private (int Iterations, bool Converged) Lloyd(Tensor x, ref Tensor c, double tolAbs)
    {
        var lanes = FusedLanes(x);
        if (lanes > 0)
        {
            return LloydFused(x, ref c, tolAbs, lanes);
        }

        var k = options.Clusters;
        Tensor? previous = null;
        try
        {
            for (var it = 1; it <= options.MaxIterations; it++)
            {
                using var iterScope = NewDisposeScope();
                var (labels, minD) = Assign(x, c);
                var sums = ScalarSafe.IndexAdd_(zeros(new long[] { k, x.shape[1] }, x.dtype, x.device), 0, labels, x, 1.0);
                var counts = ScalarSafe.IndexAdd_(zeros(k, x.dtype, x.device), 0, labels, ones(x.shape[0], x.dtype, x.device), 1.0);
                RepairEmpty(x, labels, minD, sums, counts);
                var next = sums / counts.unsqueeze(1);
                var shift = (next - c).pow(2).sum(float64).item<double>();
                var same = previous is not null && previous.equal(labels).all().item<bool>();
                c.Dispose();
                c = next.MoveToOuterDisposeScope();
                previous?.Dispose();
                previous = labels.MoveToOuterDisposeScope();
                if (same || shift <= tolAbs)
                {
                    return (it, true);
                }
            }

            return (options.MaxIterations, false);
        }
        finally
        {
            previous?.Dispose();
        }
    }

    // Empty clusters take the points farthest from their centres; those points leave their old clusters.
    internal static void RepairEmpty(Tensor x, Tensor labels, Tensor minD, Tensor sums, Tensor counts)
    {
        var emptyIdx = (counts == 0).nonzero().squeeze(1);
        var e = emptyIdx.shape[0];
        if (e == 0)
        {
            return;
        }

        var far = minD.topk((int)Math.Min(e, minD.shape[0])).indexes;
        var m = far.shape[0];
        var farRows = x.index_select(0, far).to(sums.dtype);
        var oldLabels = labels.index_select(0, far);
        ScalarSafe.IndexAdd_(sums, 0, oldLabels, farRows, -1.0);
        ScalarSafe.IndexAdd_(counts, 0, oldLabels, ones(m, counts.dtype, counts.device), -1.0);
        var targets = emptyIdx.narrow(0, 0, m);
        sums.index_copy_(0, targets, farRows);
        counts.index_fill_(0, targets, 1.0);
        labels.index_copy_(0, far, targets);
        minD.index_fill_(0, far, 0.0);

        // A donor left empty keeps its old centre (sum 0 / count 0 would be NaN): give it count 1 and its own sum.
        counts.clamp_min_(1.0);
    }

    private IEnumerable<Tensor> Split(IEnumerable<Tensor> batches)
    {
        foreach (var b in batches)
        {
            if (b is null)
            {
                throw new ArgumentException("The batch sequence contains a null batch.", nameof(batches));
            }

            var n = b.dim() == 2 ? b.shape[0] : 0;
            if (n <= options.BatchSize)
            {
                yield return b.alias();
                continue;
            }

            for (long s = 0; s < n; s += options.BatchSize)
            {
                yield return b.narrow(0, s, Math.Min(options.BatchSize, n - s));
            }
        }
    }

    private void MiniBatch(Func<int, IEnumerable<Tensor>> epoch, Func<IEnumerable<Tensor>> finalPass, bool validate)
    {
        var k = options.Clusters;
        var initSize = options.InitSize > 0 ? options.InitSize : Math.Max(3 * options.BatchSize, k);
        long dim = -1;

        // Seed from the first rows (k-means++ on up to initSize rows).
        var buffer = new List<Tensor>();
        long buffered = 0;
        using (var initScope = NewDisposeScope())
        {
            foreach (var b in epoch(-1))
            {
                if (validate)
                {
                    Guard.Features(b, "batches", dim >= 0 ? dim : null);
                }

                dim = b.shape[1];
                buffer.Add(b.to(device));
                buffered += b.shape[0];
                if (buffered >= initSize)
                {
                    break;
                }
            }

            if (buffered == 0)
            {
                throw new ArgumentException("The batch sequence is empty; at least one sample is required.", "batches");
            }

            CheckK(buffered);
            var init = cat(buffer.ToArray(), 0);
            var tolAbs = options.Tolerance * MeanVariance(init);
            var c = PlusPlus(init, options.Seed);
            var v = zeros(k, float64, device);
            var steps = 0;
            var converged = false;
            for (var e = 0; e < options.MiniBatchEpochs && !converged; e++)
            {
                var epochShift = 0.0;
                Tensor? lastBatch = null;
                foreach (var raw in epoch(e))
                {
                    using var stepScope = NewDisposeScope();
                    if (validate)
                    {
                        Guard.Features(raw, "batches", dim);
                    }

                    var b = raw.to(device);
                    var (labels, _) = Assign(b, c);
                    var bsum = ScalarSafe.IndexAdd_(zeros(new long[] { k, dim }, float64, device), 0, labels, b.to(float64), 1.0);
                    var bcnt = ScalarSafe.IndexAdd_(zeros(k, float64, device), 0, labels, ones(b.shape[0], float64, device), 1.0);
                    var vNew = ScalarSafe.Add(v, bcnt);
                    var updated = ScalarSafe.Add(c.to(float64) * v.unsqueeze(1), bsum) / vNew.clamp_min(1).unsqueeze(1);
                    var next = where((bcnt > 0).unsqueeze(1), updated, c.to(float64)).to(c.dtype);
                    epochShift += (next - c).pow(2).sum(float64).item<double>();
                    c.copy_(next);
                    v.copy_(vNew);
                    steps++;
                    lastBatch?.Dispose();
                    lastBatch = raw;
                }

                // Centres nothing has reached yet are re-seeded from the last batch's farthest points.
                using (var repairScope = NewDisposeScope())
                {
                    var emptyIdx = (v == 0).nonzero().squeeze(1);
                    if (emptyIdx.shape[0] > 0 && lastBatch is not null)
                    {
                        var (_, minD) = Assign(lastBatch, c);
                        var m = Math.Min(emptyIdx.shape[0], minD.shape[0]);
                        var far = minD.topk((int)m).indexes;
                        c.index_copy_(0, emptyIdx.narrow(0, 0, m), lastBatch.index_select(0, far));
                        epochShift = double.PositiveInfinity;
                    }
                }

                lastBatch?.Dispose();
                converged = epochShift <= tolAbs;
            }

            SetCenters(c);
            Iterations = steps;
            Converged = converged;
        }

        FinalPass(finalPass());
    }

    // Inertia and cluster sizes of the fitted data under the final centres.
    private void FinalPass(IEnumerable<Tensor> batches)
    {
        var k = options.Clusters;
        var counts = new long[k];
        var inertia = 0.0;
        foreach (var b in batches)
        {
            using var owned = b; // Split yields views this class owns.
            using var scope = NewDisposeScope();
            var (labels, minD) = Assign(b.to(device), centers!);
            inertia += minD.sum(float64).item<double>();
            var cnt = ScalarSafe.IndexAdd_(zeros(k, ScalarType.Int64, device), 0, labels, ones(labels.shape[0], ScalarType.Int64, device), 1);
            var host = cnt.cpu().data<long>().ToArray();
            for (var j = 0; j < k; j++)
            {
                counts[j] += host[j];
            }
        }

        sizes = counts;
        Inertia = inertia;
    }

    private void ThrowIfNotFitted()
    {
        ThrowIfDisposed();
        if (centers is null)
        {
            throw new InvalidOperationException("The K-means model is not fitted.");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}

