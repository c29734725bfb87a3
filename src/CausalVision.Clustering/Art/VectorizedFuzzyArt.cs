// Fuzzy ART / AM-ART on the CPU with a SIMD category search (System.Numerics.Vector<double>).
// Fuzzy ART: Carpenter, Grossberg, Rosen (1991), Neural Networks 4:759-771 (complement coding,
//   choice T_j = |I ^ w_j|_1 / (alpha + |w_j|_1), match M_j = |I ^ w_j|_1 / |I|_1 >= rho_j,
//   learning w_j <- beta (I ^ w_j) + (1 - beta) w_j).
// AM-ART: Meng, Tan, Wunsch (2016), IEEE TNNLS 27(12):2656-2669; update order as the authors' am_art.py
//   (see FuzzyArt). Match tracking (MT+): Carpenter et al. (1992), Fuzzy ARTMAP.
//
// Design (why this is both fast and bit-identical to NaiveFuzzyArt):
// - The weights live in one double[] laid out in panels of Block clusters: [C / Block][codedDim][Block].
//   For one sample the kernel walks each panel feature by feature and keeps Block running sums
//   |I ^ w_j|_1 in SIMD registers, i.e. it vectorises ACROSS CLUSTERS, not across features. Every
//   cluster's sum is therefore accumulated in the same order as the reference loop (0 + m_0 + m_1 + ...),
//   so intersections, choices and matches carry the same bits as NaiveFuzzyArt and every decision
//   (winner, ties to the later cluster, resets, match tracking) is the same. Vector division is
//   correctly rounded, so the choice T_j = inter / (alpha + |w_j|) computed in SIMD is the same number.
// - |w_j|_1 is cached per cluster and recomputed (sequentially, as the reference's Sum) only when
//   w_j learns, so a sample reads each weight once instead of twice.
// - The panel layout makes the search one contiguous stream over memory; growing the model appends
//   panels (capacity doubles), so existing weights never move within the layout.
// - Float32 screen with exact rechecks (unlabelled learning, the common case): the search is memory-bound
//   (it streams all C x codedDim weights per sample), so a float32 shadow of the weights (own panel layout,
//   Block32 clusters wide, refreshed from the double weights whenever a cluster is committed or learns)
//   halves the traffic. The float32 |I ^ w_j|_1 gives an interval that provably contains the reference's
//   double value: min commutes with round-to-nearest, so each float32 term is the rounded double term
//   (relative error 2^-24, absolute 2^-150 if subnormal); the float32 sum adds gamma_n = n u / (1 - n u)
//   relative to the sum of (non-negative) terms; the double reference differs from the real sum by
//   gamma_n(2^-53). All of it is below 1.05 (n + 2) 2^-24 relative for n <= 2^16; we use 4 (n + 2) 2^-24
//   + 2^-45 and an absolute 2^-100. Choice and match bounds follow by monotonicity of the correctly
//   rounded division (bounds taken with 1 / (alpha + |w|) and a further 2^-45 margin, thresholds kept in
//   the normal range). Every decision is then settled from intervals or by recomputing that cluster
//   exactly (double, index order, the reference's bits): (1) resonance match_j >= rho_j; (2) the winner,
//   the highest choice among resonating clusters with ties to the later one: every resonating cluster
//   whose upper bound reaches the best lower bound is made exact and the winner is chosen among those
//   exactly; (3) the AM-ART reset choice_j >= winner's choice. Learning and commits stay in double, so
//   the state is bit-identical to the float64 search. Labelled samples, |I| = 0, alpha outside
//   [1e-200, 1e200] and codedDim > 2^16 use the float64 search; Predict always does.
// - The screen computes the float32 sums of SampleBatch = 4 consecutive samples in one pass over the
//   float32 weights (each weight loaded once for four samples). A sample changes at most one cluster (the
//   one it joins or creates), so before sample k of a batch decides, its sums against the clusters that
//   samples 0..k-1 of the batch changed or created are recomputed; it therefore sees the current model,
//   exactly as in the one-sample-at-a-time loop.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;

namespace CausalVision.Clustering.Art;

/// <summary>
/// Fuzzy ART / AM-ART on the CPU with a vectorised (SIMD) category search: the choice and match of one
/// sample against all clusters are one pass over a contiguous float64 weight buffer, vectorised across
/// clusters. The default CPU backend (<see cref="ArtBackend.Auto"/>).
/// </summary>
/// <remarks>
/// <para>
/// Results (assignments, counts, labels, vigilances and weights) are bit-identical to
/// <see cref="NaiveFuzzyArt"/>, the per-sample, per-cluster reference: each cluster's |I ^ w|_1 is
/// summed in the same order, only many clusters at once. Unlabelled learning first screens the clusters
/// with float32 sums under a proven error bound and recomputes in float64 every cluster whose decision
/// (resonance, winner, AM-ART reset) the bound leaves open, so its decisions are the reference's too.
/// Learning stays sequential over samples (each sample may change what the next one sees);
/// <see cref="Predict"/> runs samples in parallel.
/// </para>
/// <para>
/// Labels (optional, one per sample, &gt;= 0) constrain clustering exactly as in <see cref="FuzzyArt"/>:
/// masking by default, ARTMAP match tracking with <see cref="ArtOptions.MatchTracking"/>.
/// Use <see cref="FuzzyArt.FromNaive"/> to turn a fitted model into the tensor form.
/// </para>
/// <para>
/// Speed (AM-ART fit, N = 5,000, rho0 = 0.85, 100 centres with +-0.2 noise, one thread, on a 2-core
/// AVX-512 machine shared with other work, load average 2.5 to 5, so only ratios mean much): in the
/// compare harness at D = 64 (1,704 clusters), two sets of three alternating runs, medians 62 and 65 ms
/// against 1,078 and 1,014 ms for the naive loop (16 to 17x, JIT included; the float64 search alone
/// measured 122 ms there, 9.3x). Against the float64 search in the same process (medians of warm runs):
/// D = 64 2.0x (42 against 86 ms), D = 256 (1,767 clusters) 4.1x, rho0 = 0.95 (5,000 clusters) 4.7x,
/// rho0 = 0.5 or 0.7 (400 to 500 clusters) 1.4 to 2x. 0.08 to 0.4% of (sample, cluster) pairs needed an
/// exact recheck (at least the winner's, one per sample). The tensor path on the same CPU was 20 to 170x
/// slower than the float64 search.
/// </para>
/// <para>Shapes: rows of length D in [0, 1]; weights [C][2D] with complement coding (else [C][D]).</para>
/// </remarks>
public sealed partial class VectorizedFuzzyArt : IManagedFuzzyArt
{
    private const int AccumulatorsPerPanel = 8;
    private const int InitialCapacity = 64;
    private const long ParallelPredictWork = 1L << 20;

    // AVX-512 where the runtime reports it accelerated (Vector<T> stays 256 bits wide there), else Vector<T>.
    private static readonly bool Use512 = Vector512.IsHardwareAccelerated;
    private static readonly int Lanes = Use512 ? Vector512<double>.Count : Vector<double>.Count;
    private static readonly int Block = AccumulatorsPerPanel * Lanes;
    private static readonly int Lanes32 = Use512 ? Vector512<float>.Count : Vector<float>.Count;
    private static readonly int Block32 = AccumulatorsPerPanel * Lanes32; // a multiple of Block

    // Float32 screen (see the header): a relative margin 2^-45 covers the double roundings of the bound
    // arithmetic itself, Tiny keeps vigilance thresholds in the normal range, TinyChoice absorbs subnormal
    // products, ScreenAbs the subnormal float32 conversions (at most codedDim * 2^-150).
    private const double Margin = 1.0 / (1L << 45);
    private const double Tiny = 1.1754943508222875e-38 * 1.1754943508222875e-38 * 1.1754943508222875e-38; // ~2^-378
    private const double TinyChoice = Tiny * Tiny; // ~2^-756
    private const double ScreenAbs = 1.0 / (1L << 50) / (1L << 50); // 2^-100
    private const int MaxScreenDim = 1 << 16;
    private const int SampleBatch = 4; // samples whose float32 sums one pass over the weights computes

    private readonly ArtOptions options;
    private double[] panels = Array.Empty<double>(); // [capacity / Block][codedDim][Block]
    private double[] norms = Array.Empty<double>();  // [capacity] |w_j|_1
    private double[] vigilances = Array.Empty<double>(); // [capacity]
    private long[] counts = Array.Empty<long>();
    private long[] clusterLabels = Array.Empty<long>();
    private double[] choice = Array.Empty<double>();  // scratch [capacity]
    private double[] match = Array.Empty<double>();   // scratch [capacity]
    private bool[] rejected = Array.Empty<bool>();    // scratch [capacity], match tracking
    private double[] coded = Array.Empty<double>();   // scratch [codedDim]
    private float[] panels32 = Array.Empty<float>();  // [capacity / Block32][codedDim][Block32] float32 shadow of the weights
    private double[] invDen = Array.Empty<double>();  // [capacity] 1 / (alpha + |w_j|), for the screen's bounds only
    private float[] inter32 = Array.Empty<float>();   // scratch [SampleBatch][capacity] float32 |I ^ w_j|_1
    private double[] choiceLo = Array.Empty<double>(); // scratch [capacity] lower bound of choice_j (exact when rechecked)
    private double[] choiceHi = Array.Empty<double>(); // scratch [capacity] upper bound of choice_j
    private double[] resonantLo = Array.Empty<double>(); // scratch [capacity] choiceLo_j when j resonates, else -inf
    private int[] exactStamp = Array.Empty<int>();    // scratch [capacity] == stamp when choiceLo/Hi hold the exact choice
    private float[] coded32 = Array.Empty<float>();   // scratch [SampleBatch][codedDim]
    private double[][] codedBatch = Array.Empty<double[]>(); // scratch [SampleBatch][codedDim]
    private int interBase; // offset of the current sample's row in inter32
    private int stamp;
    private bool screenable;
    private double relLo;
    private double relHi;
    private int capacity;
    private int clusterCount;
    private int inputDim = -1;
    private int codedDim;

    /// <summary>Initializes a new instance of the <see cref="VectorizedFuzzyArt"/> class.</summary>
    /// <param name="options">The options (copied); defaults when null.</param>
    public VectorizedFuzzyArt(ArtOptions? options = null)
    {
        this.options = (options ?? new ArtOptions()).Clone();
        this.options.Validate();
    }

    /// <summary>Gets or sets a value indicating whether unlabelled learning uses the float32 screen with exact rechecks (default true; false = the float64 search for every sample). Results are the same either way.</summary>
    internal bool UseFloat32Screen { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the screen's float32 kernel uses Vector512 where accelerated (default true; false runs the Vector&lt;float&gt; kernel, for tests).</summary>
    internal bool UseVector512Screen { get; set; } = true;

    /// <summary>Gets the number of exact float64 recomputations of one cluster's |I ^ w|_1 the screen needed (since construction).</summary>
    internal long ExactRechecks { get; private set; }

    /// <summary>Gets the number of (sample, cluster) pairs the screen decided (since construction).</summary>
    internal long ScreenedPairs { get; private set; }

    /// <summary>Gets the number of float64 lanes of the SIMD registers the kernel uses on this machine (8 with AVX-512, else <see cref="Vector{T}.Count"/>).</summary>
    public static int VectorLanes => Lanes;

    /// <summary>Gets a copy of the options.</summary>
    public ArtOptions Options => options.Clone();

    /// <summary>Gets the raw input dimension D, or -1 before the first fit.</summary>
    public int InputDimension => inputDim;

    /// <summary>Gets the weight dimension (2D with complement coding, else D), or -1 before the first fit.</summary>
    public int CodedDimension => inputDim < 0 ? -1 : codedDim;

    /// <summary>Gets the number of clusters.</summary>
    public int ClusterCount => clusterCount;

    /// <summary>Gets copies of the cluster weights [C][codedDim].</summary>
    public double[][] Weights
    {
        get
        {
            var result = new double[clusterCount][];
            for (var j = 0; j < clusterCount; j++)
            {
                var row = new double[codedDim];
                var offset = PanelOffset(j);
                for (var i = 0; i < codedDim; i++)
                {
                    row[i] = panels[offset + (i * Block)];
                }

                result[j] = row;
            }

            return result;
        }
    }

    /// <summary>Gets the per-cluster vigilances rho_j.</summary>
    public double[] Vigilances => vigilances.AsSpan(0, clusterCount).ToArray();

    /// <summary>Gets, per cluster, how many learning presentations it has won (new-cluster commits included), over all epochs and fits.</summary>
    public long[] Counts => counts.AsSpan(0, clusterCount).ToArray();

    /// <summary>Gets, per cluster, the label of the sample that created it (-1 for unlabelled samples).</summary>
    public long[] ClusterLabels => clusterLabels.AsSpan(0, clusterCount).ToArray();

    /// <summary>Clears the model and learns the rows for <see cref="ArtOptions.Epochs"/> epochs.</summary>
    /// <param name="data">Rows in [0, 1], all of the same length.</param>
    /// <param name="labels">Optional per-row labels (&gt;= 0) constraining which clusters a row may join.</param>
    /// <returns>The cluster of each row in the last epoch.</returns>
    public long[] Fit(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels = null)
    {
        Check(data, labels, null);
        Reset(data[0].Length);
        var assign = new long[data.Count];
        for (var e = 0; e < options.Epochs; e++)
        {
            LearnAll(data, labels, assign);
        }

        return assign;
    }

    /// <summary>Clears the model and learns the rows of a [N, D] tensor (copied to float64 on the CPU) for <see cref="ArtOptions.Epochs"/> epochs.</summary>
    /// <param name="data">Inputs [N, D] in [0, 1], any device, float32 or float64.</param>
    /// <param name="labels">Optional per-row labels (&gt;= 0).</param>
    /// <returns>The cluster of each row in the last epoch.</returns>
    public long[] Fit(torch.Tensor data, IReadOnlyList<long>? labels = null) => Fit(ToRows(data, nameof(data)), labels);

    /// <summary>Learns one pass over the rows without clearing the model (online / streaming use).</summary>
    /// <param name="data">Rows in [0, 1], of the model's dimension once fitted.</param>
    /// <param name="labels">Optional per-row labels (&gt;= 0).</param>
    /// <returns>The cluster each row joined.</returns>
    public long[] PartialFit(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels = null)
    {
        Check(data, labels, inputDim >= 0 ? inputDim : null);
        if (inputDim < 0)
        {
            Reset(data[0].Length);
        }

        var assign = new long[data.Count];
        LearnAll(data, labels, assign);
        return assign;
    }

    /// <summary>
    /// Assigns rows to clusters without learning: the cluster of highest choice among those whose
    /// vigilance the row passes (ties to the later cluster), or -1 when none passes (or, with
    /// <paramref name="requireResonance"/> false, the cluster of highest choice). Rows run in parallel.
    /// </summary>
    /// <param name="data">Rows in [0, 1] of the model's dimension.</param>
    /// <param name="labels">Optional labels restricting rows to clusters of their own label.</param>
    /// <param name="requireResonance">Whether the vigilance test applies.</param>
    /// <returns>The cluster per row, or -1.</returns>
    public long[] Predict(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels = null, bool requireResonance = true)
    {
        if (inputDim < 0)
        {
            throw new InvalidOperationException("The model is not fitted.");
        }

        Check(data, labels, inputDim);
        var n = data.Count;
        var result = new long[n];
        if ((long)n * clusterCount * codedDim < ParallelPredictWork || Environment.ProcessorCount == 1)
        {
            var s = new PredictScratch(capacity, codedDim);
            for (var r = 0; r < n; r++)
            {
                result[r] = PredictOne(data[r], labels is null ? -1 : labels[r], requireResonance, s);
            }

            return result;
        }

        Parallel.For(
            0,
            n,
            () => new PredictScratch(capacity, codedDim),
            (r, _, s) =>
            {
                result[r] = PredictOne(data[r], labels is null ? -1 : labels[r], requireResonance, s);
                return s;
            },
            _ => { });
        return result;
    }

    private static void Check(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels, int? expectedDim)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
        {
            throw new ArgumentException("data has zero rows; at least one sample is required.", nameof(data));
        }

        var d = data[0]?.Length ?? throw new ArgumentException("data contains a null row.", nameof(data));
        if (d == 0)
        {
            throw new ArgumentException("data has zero columns; at least one feature is required.", nameof(data));
        }

        if (expectedDim is int e && d != e)
        {
            throw new ArgumentException($"data has {d} features per row but the model expects {e} (dimension mismatch).", nameof(data));
        }

        foreach (var row in data)
        {
            if (row is null)
            {
                throw new ArgumentException("data contains a null row.", nameof(data));
            }

            if (row.Length != d)
            {
                throw new ArgumentException("data rows differ in length (dimension mismatch).", nameof(data));
            }

            foreach (var v in row)
            {
                if (!double.IsFinite(v))
                {
                    throw new ArgumentException("data contains NaN or Inf values.", nameof(data));
                }

                if (v is < 0 or > 1)
                {
                    throw new ArgumentException($"data must lie in [0, 1] (min-max scale it first); found {v}.", nameof(data));
                }
            }
        }

        if (labels is not null)
        {
            Guard.Ids(labels, data.Count, long.MaxValue, nameof(labels));
        }
    }

    private static double[][] ToRows(torch.Tensor data, string name)
    {
        Guard.Features(data, name);
        using var cpu = data.detach().to(torch.float64, torch.CPU).contiguous();
        var flat = cpu.data<double>().ToArray();
        var n = (int)data.shape[0];
        var d = (int)data.shape[1];
        var rows = new double[n][];
        for (var i = 0; i < n; i++)
        {
            rows[i] = flat.AsSpan(i * d, d).ToArray();
        }

        return rows;
    }

    private static double SequentialSum(ReadOnlySpan<double> v)
    {
        // Deliberately scalar and in index order: the same bits as the reference's Enumerable.Sum.
        var s = 0.0;
        foreach (var t in v)
        {
            s += t;
        }

        return s;
    }

    private int PanelOffset(int j) => ((j / Block) * codedDim * Block) + (j % Block);

    private int PanelOffset32(int j) => ((j / Block32) * codedDim * Block32) + (j % Block32);

    private void Reset(int dim)
    {
        inputDim = dim;
        codedDim = options.ComplementCode ? 2 * dim : dim;
        clusterCount = 0;
        capacity = 0;
        panels = Array.Empty<double>();
        norms = vigilances = choice = match = Array.Empty<double>();
        counts = clusterLabels = Array.Empty<long>();
        rejected = Array.Empty<bool>();
        coded = new double[codedDim];
        panels32 = inter32 = Array.Empty<float>();
        invDen = choiceLo = choiceHi = resonantLo = Array.Empty<double>();
        exactStamp = Array.Empty<int>();
        coded32 = new float[SampleBatch * codedDim];
        codedBatch = Enumerable.Range(0, SampleBatch).Select(_ => new double[codedDim]).ToArray();
        stamp = 0;

        // The screen's interval for the reference's double |I ^ w|_1 (n = codedDim terms in [0, 1], u = 2^-24):
        // min commutes with round-to-nearest (monotone), so each float32 term is the rounded double term
        // (relative error u, absolute 2^-150 when subnormal); the float32 sum adds gamma_n = n u / (1 - n u)
        // relative to the sum of terms, and the double reference itself is within gamma_n(2^-53) of the real
        // sum. For n u <= 0.01 all of it is below 1.05 (n + 2) u relative to the float32 result; we use
        // 4 (n + 2) u plus the 2^-45 margin and an absolute 2^-100.
        var k = 4.0 * (codedDim + 2) / (1 << 24);
        screenable = codedDim <= MaxScreenDim && options.Alpha is >= 1e-200 and <= 1e200;
        relLo = 1.0 - (k + Margin);
        relHi = 1.0 + (k + Margin);
    }

    private void Code(double[] raw, Span<double> x)
    {
        raw.CopyTo(x);
        if (options.ComplementCode)
        {
            for (var i = 0; i < raw.Length; i++)
            {
                x[raw.Length + i] = 1.0 - raw[i];
            }
        }
    }

    private void LearnAll(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels, long[] assign)
    {
        if (labels is null && screenable && UseFloat32Screen)
        {
            LearnAllScreened(data, assign);
            return;
        }

        for (var n = 0; n < data.Count; n++)
        {
            Code(data[n], coded);
            assign[n] = Learn(coded, labels is null ? -1 : labels[n]);
        }
    }

    private long Learn(double[] x, long label)
    {
        var xNorm = SequentialSum(x);
        var c = clusterCount;
        if (c > 0)
        {
            Search(panels, norms, c, codedDim, x, options.Alpha, xNorm, choice, match);
        }

        var masked = label >= 0 && !options.MatchTracking;
        var tracking = label >= 0 && options.MatchTracking;
        int winner;
        if (masked)
        {
            winner = -1;
            var tMax = double.NegativeInfinity;
            for (var j = 0; j < c; j++)
            {
                if (clusterLabels[j] == label && match[j] >= vigilances[j] && choice[j] >= tMax)
                {
                    tMax = choice[j];
                    winner = j;
                }
            }
        }
        else
        {
            winner = ResonantWinner(c);
        }

        if (tracking && winner >= 0 && clusterLabels[winner] != label)
        {
            // MT+: raise this sample's vigilance just above the rejected winner's match and search again;
            // a rejected cluster is never retried (also when epsilon is 0).
            Array.Clear(rejected, 0, c);
            while (winner >= 0 && clusterLabels[winner] != label)
            {
                var sampleRho = match[winner] + options.MatchTrackingEpsilon;
                rejected[winner] = true;
                winner = -1;
                var tMax = double.NegativeInfinity;
                for (var j = 0; j < c; j++)
                {
                    if (!rejected[j] && match[j] >= vigilances[j] && match[j] >= sampleRho && choice[j] >= tMax)
                    {
                        tMax = choice[j];
                        winner = j;
                    }
                }
            }
        }

        if (options.Sigma > 0)
        {
            var winnerChoice = winner >= 0 ? choice[winner] : -1.0;
            var shrink = 1.0 - options.Sigma;
            if (masked)
            {
                for (var j = 0; j < c; j++)
                {
                    if (j != winner && clusterLabels[j] == label && choice[j] >= winnerChoice)
                    {
                        vigilances[j] *= shrink;
                    }
                }
            }
            else
            {
                ShrinkReset(c, winner, winnerChoice, shrink);
            }
        }

        if (winner < 0)
        {
            return Commit(x, xNorm, label);
        }

        return LearnWinner(x, winner);
    }

    // The reference's learning step for the winner, in double; the float32 shadow and 1 / (alpha + |w|) follow.
    private int LearnWinner(double[] x, int winner)
    {
        var beta = options.Beta;
        var keep = 1.0 - beta;
        var offset = PanelOffset(winner);
        var offset32 = PanelOffset32(winner);
        var s = 0.0;
        for (var i = 0; i < codedDim; i++)
        {
            ref var w = ref panels[offset + (i * Block)];
            w = (beta * Math.Min(w, x[i])) + (keep * w);
            panels32[offset32 + (i * Block32)] = (float)w;
            s += w;
        }

        norms[winner] = s;
        invDen[winner] = 1.0 / (options.Alpha + s);
        if (options.Sigma > 0)
        {
            vigilances[winner] *= 1.0 + options.Sigma;
        }

        counts[winner]++;
        return winner;
    }

    // The reference's winner loop without label masking, vectorised: the highest choice among clusters with
    // match >= rho, ties to the LATER cluster (its `>=`), -1 when none resonates. Pass 1 finds the maximum,
    // pass 2 scans back from the end for the last resonating cluster holding it.
    private int ResonantWinner(int c)
    {
        var lanes = Vector<double>.Count;
        ref var ch0 = ref MemoryMarshal.GetArrayDataReference(choice);
        ref var m0 = ref MemoryMarshal.GetArrayDataReference(match);
        ref var r0 = ref MemoryMarshal.GetArrayDataReference(vigilances);
        var none = new Vector<double>(double.NegativeInfinity);
        var bestV = none;
        var j = 0;
        for (; j <= c - lanes; j += lanes)
        {
            var pass = Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref m0, (nuint)j), Vector.LoadUnsafe(ref r0, (nuint)j));
            bestV = Vector.Max(bestV, Vector.ConditionalSelect(pass, Vector.LoadUnsafe(ref ch0, (nuint)j), none));
        }

        var best = double.NegativeInfinity;
        for (var k = 0; k < lanes; k++)
        {
            best = Math.Max(best, bestV[k]);
        }

        for (; j < c; j++)
        {
            if (match[j] >= vigilances[j] && choice[j] > best)
            {
                best = choice[j];
            }
        }

        if (double.IsNegativeInfinity(best))
        {
            return -1;
        }

        for (var k = c - 1; k >= 0; k--)
        {
            if (choice[k] == best && match[k] >= vigilances[k])
            {
                return k;
            }
        }

        return -1; // unreachable: best came from a resonating cluster
    }

    // AM-ART reset without label masking, vectorised: rho_j *= (1 - sigma) for every j != winner with
    // choice_j >= the winner's choice (the same multiplication as the reference, so the same bits).
    private void ShrinkReset(int c, int winner, double winnerChoice, double shrink)
    {
        var lanes = Vector<double>.Count;
        ref var ch0 = ref MemoryMarshal.GetArrayDataReference(choice);
        ref var r0 = ref MemoryMarshal.GetArrayDataReference(vigilances);
        var keepWinner = winner >= 0 ? vigilances[winner] : 0;
        var wc = new Vector<double>(winnerChoice);
        var f = new Vector<double>(shrink);
        var j = 0;
        for (; j <= c - lanes; j += lanes)
        {
            var reset = Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref ch0, (nuint)j), wc);
            var r = Vector.LoadUnsafe(ref r0, (nuint)j);
            Vector.ConditionalSelect(reset, r * f, r).StoreUnsafe(ref r0, (nuint)j);
        }

        for (; j < c; j++)
        {
            if (choice[j] >= winnerChoice)
            {
                vigilances[j] *= shrink;
            }
        }

        if (winner >= 0)
        {
            vigilances[winner] = keepWinner;
        }
    }

    private int Commit(double[] x, double xNorm, long label)
    {
        EnsureCapacity(clusterCount + 1);
        var j = clusterCount;
        var offset = PanelOffset(j);
        var offset32 = PanelOffset32(j);
        for (var i = 0; i < codedDim; i++)
        {
            panels[offset + (i * Block)] = x[i];
            panels32[offset32 + (i * Block32)] = (float)x[i];
        }

        invDen[j] = 1.0 / (options.Alpha + xNorm);
        norms[j] = xNorm; // the reference's Sum of the stored copy of x: the same sequential sum
        vigilances[j] = options.Vigilance;
        counts[j] = 1;
        clusterLabels[j] = label;
        clusterCount++;
        return j;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= capacity)
        {
            return;
        }

        var newCap = Math.Max(InitialCapacity, capacity);
        while (newCap < needed)
        {
            newCap *= 2;
        }

        newCap = (newCap + Block32 - 1) / Block32 * Block32; // Block32 is a multiple of Block

        // Panels are independent blocks, so growing is a prefix copy.
        Array.Resize(ref panels, checked(newCap * codedDim));
        Array.Resize(ref norms, newCap);
        Array.Resize(ref vigilances, newCap);
        Array.Resize(ref counts, newCap);
        Array.Resize(ref clusterLabels, newCap);
        Array.Resize(ref panels32, checked(newCap * codedDim));
        Array.Resize(ref invDen, newCap);
        choice = new double[newCap];
        match = new double[newCap];
        inter32 = new float[SampleBatch * newCap];
        choiceLo = new double[newCap];
        choiceHi = new double[newCap];
        resonantLo = new double[newCap];
        exactStamp = new int[newCap];
        stamp = 0;
        rejected = new bool[newCap];
        capacity = newCap;
    }

    private long PredictOne(double[] raw, long label, bool requireResonance, PredictScratch s)
    {
        if (clusterCount == 0)
        {
            return -1;
        }

        Code(raw, s.Coded);
        var xNorm = SequentialSum(s.Coded);
        Search(panels, norms, clusterCount, codedDim, s.Coded, options.Alpha, xNorm, s.Choice, s.Match);
        var best = -1L;
        var bestT = double.NegativeInfinity;
        for (var j = 0; j < clusterCount; j++)
        {
            if (label >= 0 && clusterLabels[j] != label)
            {
                continue;
            }

            if ((!requireResonance || s.Match[j] >= vigilances[j]) && s.Choice[j] >= bestT)
            {
                bestT = s.Choice[j];
                best = j;
            }
        }

        return best;
    }

    private sealed class PredictScratch(int capacity, int dim)
    {
        public double[] Choice { get; } = new double[capacity];

        public double[] Match { get; } = new double[capacity];

        public double[] Coded { get; } = new double[dim];
    }
}
