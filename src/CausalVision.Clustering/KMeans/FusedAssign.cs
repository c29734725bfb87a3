// Fused nearest-centre kernel for float32 K-means on the CPU: register-tiled SIMD distance GEMM, argmin and the
// centre-sum accumulation in one pass over the rows, with no [N, K] distance matrix.
// Decision rule as scikit-learn's Lloyd (sklearn/cluster/_k_means_lloyd.pyx): argmin_k (||c_k||^2 / 2 - x.c_k),
// ||x||^2 added to the minimum only. Rows whose float32 decision is within the float32 rounding-error bound
// of the dot products (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., eq. 3.5:
// |fl(x.c) - x.c| <= gamma_D sum |x_d c_d|, gamma_D = D u / (1 - D u)) are recomputed in float64, so labels equal
// the float64 argmin (ties to the lowest index) whatever the SIMD width, as the ART kernel's exact rechecks.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Clustering.KMeans;

/// <summary>The fused float32 assignment kernel (see the file header).</summary>
internal static unsafe class FusedAssign
{
    /// <summary>Rows per register tile.</summary>
    internal const int TileRows = 6;

    // Rows per parallel work item (a multiple of TileRows).
    private const int BlockRows = TileRows * 256;

    /// <summary>Gets a value indicating whether the Vector512 kernel runs on this CPU.</summary>
    public static bool Has512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>Gets a value indicating whether the Vector256 (AVX2 + FMA) kernel runs on this CPU.</summary>
    public static bool Has256 => Vector256.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>Gets a value indicating whether a SIMD kernel runs on this CPU.</summary>
    public static bool IsSupported => Has512 || Has256;

    /// <summary>Returns the float32 lanes of the kernel to use.</summary>
    /// <param name="allow512">Whether the Vector512 kernel may be used.</param>
    /// <returns>16 or 8.</returns>
    public static int Lanes(bool allow512) => allow512 && Has512 ? 16 : 8;

    /// <summary>Assigns every row of <paramref name="x"/> to its nearest centre, optionally accumulating the centre sums.</summary>
    /// <param name="x">Rows [N, D], float32, CPU, contiguous.</param>
    /// <param name="c">The prepared centres.</param>
    /// <param name="labels">Out: labels [N], int64, CPU, contiguous.</param>
    /// <param name="minDist">Out: squared distance to the nearest centre [N], float32, CPU, contiguous.</param>
    /// <param name="sums">Out (when not null): per-centre row sums [K * D] in float64, zeroed by the caller.</param>
    /// <param name="counts">Out (when not null): per-centre counts [K], zeroed by the caller.</param>
    /// <param name="threads">Worker threads (1 runs inline).</param>
    /// <returns>The number of rows whose decision was recomputed in float64.</returns>
    public static long Run(Tensor x, FusedCentres c, Tensor labels, Tensor minDist, double[]? sums, long[]? counts, int threads)
    {
        var n = x.shape[0];
        if (n == 0)
        {
            return 0;
        }

        var xp = (IntPtr)DataPointer(x);
        var lp = (IntPtr)DataPointer(labels);
        var mp = (IntPtr)DataPointer(minDist);
        var blocks = (n + BlockRows - 1) / BlockRows;
        if (threads <= 1 || blocks == 1)
        {
            return RunBlocks(xp, n, c, lp, mp, sums, counts, 0, blocks);
        }

        long rechecks = 0;
        var gate = new object();
        var per = (blocks + threads - 1) / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var first = t * per;
            var last = Math.Min(blocks, first + per);
            if (first >= last)
            {
                return;
            }

            var localSums = sums is null ? null : new double[sums.Length];
            var localCounts = counts is null ? null : new long[counts.Length];
            var r = RunBlocks(xp, n, c, lp, mp, localSums, localCounts, first, last);
            lock (gate)
            {
                rechecks += r;
                if (sums is not null)
                {
                    Add(sums, localSums!);
                    for (var k = 0; k < counts!.Length; k++)
                    {
                        counts[k] += localCounts![k];
                    }
                }
            }
        });
        return rechecks;
    }

    /// <summary>Mean per-feature (biased) variance of float32 rows, accumulated in float64 in one pass (no float64 copy of the data).</summary>
    /// <param name="x">Rows [N, D], float32, CPU, contiguous, N &gt; 0.</param>
    /// <returns>The mean over features of the per-feature variance.</returns>
    public static double MeanVariance(Tensor x)
    {
        var n = x.shape[0];
        var d = (int)x.shape[1];
        var sum = new double[d];
        var sumSq = new double[d];
        var xp = (float*)DataPointer(x);
        fixed (double* s = sum, q = sumSq)
        {
            for (long r = 0; r < n; r++)
            {
                var xr = xp + (r * d);
                var i = 0;
                for (; i <= d - 8; i += 8)
                {
                    var (lo, hi) = Vector256.Widen(Vector256.Load(xr + i));
                    (Vector256.Load(s + i) + lo).Store(s + i);
                    (Vector256.Load(s + i + 4) + hi).Store(s + i + 4);
                    (Vector256.Load(q + i) + (lo * lo)).Store(q + i);
                    (Vector256.Load(q + i + 4) + (hi * hi)).Store(q + i + 4);
                }

                for (; i < d; i++)
                {
                    s[i] += xr[i];
                    q[i] += (double)xr[i] * xr[i];
                }
            }
        }

        var total = 0.0;
        for (var i = 0; i < d; i++)
        {
            var mean = sum[i] / n;
            total += Math.Max(0.0, (sumSq[i] / n) - (mean * mean));
        }

        return total / d;
    }

    // The address of a CPU tensor's first element (the tensor must stay alive and contiguous while it is used).
    private static void* DataPointer(Tensor t)
    {
        using var first = t.view(-1).narrow(0, 0, 1);
        fixed (byte* p = first.bytes)
        {
            return p;
        }
    }

    private static void Add(double[] into, double[] from)
    {
        var i = 0;
        var lanes = Vector256<double>.Count;
        fixed (double* a = into, b = from)
        {
            for (; i <= into.Length - lanes; i += lanes)
            {
                (Vector256.Load(a + i) + Vector256.Load(b + i)).Store(a + i);
            }

            for (; i < into.Length; i++)
            {
                a[i] += b[i];
            }
        }
    }

    private static long RunBlocks(IntPtr xp, long n, FusedCentres c, IntPtr lp, IntPtr mp, double[]? sums, long[]? counts, long firstBlock, long lastBlock)
    {
        var d = c.D;
        var kp = c.Padded;
        var use512 = c.Lanes == 16;
        var scores = new float[TileRows * kp];
        var pad = new float[TileRows * d];
        long rechecks = 0;
        // Error bound of a float32 score s_k = h_k - x.c_k (sequential FMA dot of D terms, h_k rounded, one
        // subtraction): |e_k| <= (D + 3) u (||x|| ||c_k|| + h_k), u = 2^-24. Two scores: twice that, with slack.
        var unit = (d + 8) * Math.ScaleB(1.0, -23) * 1.01;
        fixed (float* panel = c.Panel, half = c.Half, rows = c.Rows, sc = scores, pb = pad)
        fixed (double* hx = c.HalfExact, sm = sums)
        fixed (long* cnt = counts)
        {
            var x = (float*)xp;
            var labels = (long*)lp;
            var minD = (float*)mp;
            for (var b = firstBlock; b < lastBlock; b++)
            {
                var start = b * BlockRows;
                var end = Math.Min(n, start + BlockRows);
                for (var r0 = start; r0 < end; r0 += TileRows)
                {
                    var m = (int)Math.Min(TileRows, end - r0);
                    var xb = x + (r0 * d);
                    if (m < TileRows)
                    {
                        new Span<float>(pb, TileRows * d).Clear();
                        Buffer.MemoryCopy(xb, pb, (long)TileRows * d * sizeof(float), (long)m * d * sizeof(float));
                        xb = pb;
                    }

                    if (use512)
                    {
                        Scores512(xb, d, panel, kp, half, sc);
                    }
                    else
                    {
                        Scores256(xb, d, panel, kp, half, sc);
                    }

                    for (var r = 0; r < m; r++)
                    {
                        var xr = x + ((r0 + r) * d);
                        var s = sc + (r * kp);
                        var best = 0;
                        var bestScore = s[0];
                        for (var k = 1; k < c.K; k++)
                        {
                            if (s[k] < bestScore)
                            {
                                bestScore = s[k];
                                best = k;
                            }
                        }

                        var xNorm = SquaredNorm(xr, d);
                        var margin = unit * ((Math.Sqrt(xNorm) * c.MaxNorm) + (0.5 * c.MaxNorm * c.MaxNorm));
                        var score = (double)bestScore;
                        var close = false;
                        for (var k = 0; k < c.K; k++)
                        {
                            if (k != best && s[k] <= bestScore + margin)
                            {
                                close = true;
                                break;
                            }
                        }

                        if (close || !float.IsFinite(bestScore))
                        {
                            rechecks++;
                            (best, score) = Recheck(xr, d, rows, hx, s, c.K, bestScore + margin);
                        }

                        labels[r0 + r] = best;
                        minD[r0 + r] = (float)Math.Max(0.0, xNorm + (2.0 * score));
                        if (sm != null)
                        {
                            cnt[best]++;
                            AddRow(sm + ((long)best * d), xr, d);
                        }
                    }
                }
            }
        }

        return rechecks;
    }

    // Float64 scores h_k - x.c_k of every centre whose float32 score is within the bound; the least, ties to the lowest k.
    private static (int Best, double Score) Recheck(float* xr, int d, float* rows, double* half, float* s, int k, double limit)
    {
        var best = -1;
        var bestScore = double.PositiveInfinity;
        for (var j = 0; j < k; j++)
        {
            if (s[j] > limit)
            {
                continue;
            }

            var cr = rows + ((long)j * d);
            var dot = 0.0;
            for (var i = 0; i < d; i++)
            {
                dot += (double)xr[i] * cr[i];
            }

            var v = half[j] - dot;
            if (best < 0 || v < bestScore)
            {
                best = j;
                bestScore = v;
            }
        }

        return (best, bestScore);
    }

    // ||x||^2 in float64 (two float64 vectors per float32 vector).
    private static double SquaredNorm(float* x, int d)
    {
        var acc = Vector256<double>.Zero;
        var i = 0;
        for (; i <= d - 8; i += 8)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Load(x + i));
            acc += (lo * lo) + (hi * hi);
        }

        var sum = Vector256.Sum(acc);
        for (; i < d; i++)
        {
            sum += (double)x[i] * x[i];
        }

        return sum;
    }

    private static void AddRow(double* sum, float* x, int d)
    {
        var i = 0;
        for (; i <= d - 8; i += 8)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Load(x + i));
            (Vector256.Load(sum + i) + lo).Store(sum + i);
            (Vector256.Load(sum + i + 4) + hi).Store(sum + i + 4);
        }

        for (; i < d; i++)
        {
            sum[i] += x[i];
        }
    }

    // scores[r * kp + k] = half[k] - x_r . c_k for TileRows rows at xb (row stride d), every padded centre:
    // TileRows x 2 vectors of centres at a time (12 accumulators), then one vector (6 accumulators).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores512(float* xb, int d, float* panel, int kp, float* half, float* scores)
    {
        const int l = 16;
        var j = 0;
        for (; j + (2 * l) <= kp; j += 2 * l)
        {
            var a00 = Vector512<float>.Zero;
            var a01 = Vector512<float>.Zero;
            var a10 = Vector512<float>.Zero;
            var a11 = Vector512<float>.Zero;
            var a20 = Vector512<float>.Zero;
            var a21 = Vector512<float>.Zero;
            var a30 = Vector512<float>.Zero;
            var a31 = Vector512<float>.Zero;
            var a40 = Vector512<float>.Zero;
            var a41 = Vector512<float>.Zero;
            var a50 = Vector512<float>.Zero;
            var a51 = Vector512<float>.Zero;
            var p = panel + j;
            for (var i = 0; i < d; i++, p += kp)
            {
                var c0 = Vector512.Load(p);
                var c1 = Vector512.Load(p + l);
                var x0 = Vector512.Create(xb[i]);
                a00 = Vector512.FusedMultiplyAdd(x0, c0, a00);
                a01 = Vector512.FusedMultiplyAdd(x0, c1, a01);
                var x1 = Vector512.Create(xb[d + i]);
                a10 = Vector512.FusedMultiplyAdd(x1, c0, a10);
                a11 = Vector512.FusedMultiplyAdd(x1, c1, a11);
                var x2 = Vector512.Create(xb[(2 * d) + i]);
                a20 = Vector512.FusedMultiplyAdd(x2, c0, a20);
                a21 = Vector512.FusedMultiplyAdd(x2, c1, a21);
                var x3 = Vector512.Create(xb[(3 * d) + i]);
                a30 = Vector512.FusedMultiplyAdd(x3, c0, a30);
                a31 = Vector512.FusedMultiplyAdd(x3, c1, a31);
                var x4 = Vector512.Create(xb[(4 * d) + i]);
                a40 = Vector512.FusedMultiplyAdd(x4, c0, a40);
                a41 = Vector512.FusedMultiplyAdd(x4, c1, a41);
                var x5 = Vector512.Create(xb[(5 * d) + i]);
                a50 = Vector512.FusedMultiplyAdd(x5, c0, a50);
                a51 = Vector512.FusedMultiplyAdd(x5, c1, a51);
            }

            var h0 = Vector512.Load(half + j);
            var h1 = Vector512.Load(half + j + l);
            (h0 - a00).Store(scores + j);
            (h1 - a01).Store(scores + j + l);
            (h0 - a10).Store(scores + kp + j);
            (h1 - a11).Store(scores + kp + j + l);
            (h0 - a20).Store(scores + (2 * kp) + j);
            (h1 - a21).Store(scores + (2 * kp) + j + l);
            (h0 - a30).Store(scores + (3 * kp) + j);
            (h1 - a31).Store(scores + (3 * kp) + j + l);
            (h0 - a40).Store(scores + (4 * kp) + j);
            (h1 - a41).Store(scores + (4 * kp) + j + l);
            (h0 - a50).Store(scores + (5 * kp) + j);
            (h1 - a51).Store(scores + (5 * kp) + j + l);
        }

        for (; j < kp; j += l)
        {
            var a0 = Vector512<float>.Zero;
            var a1 = Vector512<float>.Zero;
            var a2 = Vector512<float>.Zero;
            var a3 = Vector512<float>.Zero;
            var a4 = Vector512<float>.Zero;
            var a5 = Vector512<float>.Zero;
            var p = panel + j;
            for (var i = 0; i < d; i++, p += kp)
            {
                var c0 = Vector512.Load(p);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(xb[i]), c0, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(xb[d + i]), c0, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(xb[(2 * d) + i]), c0, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(xb[(3 * d) + i]), c0, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(xb[(4 * d) + i]), c0, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(xb[(5 * d) + i]), c0, a5);
            }

            var h = Vector512.Load(half + j);
            (h - a0).Store(scores + j);
            (h - a1).Store(scores + kp + j);
            (h - a2).Store(scores + (2 * kp) + j);
            (h - a3).Store(scores + (3 * kp) + j);
            (h - a4).Store(scores + (4 * kp) + j);
            (h - a5).Store(scores + (5 * kp) + j);
        }
    }

    // As Scores512 with 8-lane vectors (AVX2 + FMA: 12 accumulators + 2 centre vectors + 1 broadcast of 16 registers).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores256(float* xb, int d, float* panel, int kp, float* half, float* scores)
    {
        const int l = 8;
        var j = 0;
        for (; j + (2 * l) <= kp; j += 2 * l)
        {
            var a00 = Vector256<float>.Zero;
            var a01 = Vector256<float>.Zero;
            var a10 = Vector256<float>.Zero;
            var a11 = Vector256<float>.Zero;
            var a20 = Vector256<float>.Zero;
            var a21 = Vector256<float>.Zero;
            var a30 = Vector256<float>.Zero;
            var a31 = Vector256<float>.Zero;
            var a40 = Vector256<float>.Zero;
            var a41 = Vector256<float>.Zero;
            var a50 = Vector256<float>.Zero;
            var a51 = Vector256<float>.Zero;
            var p = panel + j;
            for (var i = 0; i < d; i++, p += kp)
            {
                var c0 = Vector256.Load(p);
                var c1 = Vector256.Load(p + l);
                var x0 = Vector256.Create(xb[i]);
                a00 = Fma.MultiplyAdd(x0, c0, a00);
                a01 = Fma.MultiplyAdd(x0, c1, a01);
                var x1 = Vector256.Create(xb[d + i]);
                a10 = Fma.MultiplyAdd(x1, c0, a10);
                a11 = Fma.MultiplyAdd(x1, c1, a11);
                var x2 = Vector256.Create(xb[(2 * d) + i]);
                a20 = Fma.MultiplyAdd(x2, c0, a20);
                a21 = Fma.MultiplyAdd(x2, c1, a21);
                var x3 = Vector256.Create(xb[(3 * d) + i]);
                a30 = Fma.MultiplyAdd(x3, c0, a30);
                a31 = Fma.MultiplyAdd(x3, c1, a31);
                var x4 = Vector256.Create(xb[(4 * d) + i]);
                a40 = Fma.MultiplyAdd(x4, c0, a40);
                a41 = Fma.MultiplyAdd(x4, c1, a41);
                var x5 = Vector256.Create(xb[(5 * d) + i]);
                a50 = Fma.MultiplyAdd(x5, c0, a50);
                a51 = Fma.MultiplyAdd(x5, c1, a51);
            }

            var h0 = Vector256.Load(half + j);
            var h1 = Vector256.Load(half + j + l);
            (h0 - a00).Store(scores + j);
            (h1 - a01).Store(scores + j + l);
            (h0 - a10).Store(scores + kp + j);
            (h1 - a11).Store(scores + kp + j + l);
            (h0 - a20).Store(scores + (2 * kp) + j);
            (h1 - a21).Store(scores + (2 * kp) + j + l);
            (h0 - a30).Store(scores + (3 * kp) + j);
            (h1 - a31).Store(scores + (3 * kp) + j + l);
            (h0 - a40).Store(scores + (4 * kp) + j);
            (h1 - a41).Store(scores + (4 * kp) + j + l);
            (h0 - a50).Store(scores + (5 * kp) + j);
            (h1 - a51).Store(scores + (5 * kp) + j + l);
        }

        for (; j < kp; j += l)
        {
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero;
            var a3 = Vector256<float>.Zero;
            var a4 = Vector256<float>.Zero;
            var a5 = Vector256<float>.Zero;
            var p = panel + j;
            for (var i = 0; i < d; i++, p += kp)
            {
                var c0 = Vector256.Load(p);
                a0 = Fma.MultiplyAdd(Vector256.Create(xb[i]), c0, a0);
                a1 = Fma.MultiplyAdd(Vector256.Create(xb[d + i]), c0, a1);
                a2 = Fma.MultiplyAdd(Vector256.Create(xb[(2 * d) + i]), c0, a2);
                a3 = Fma.MultiplyAdd(Vector256.Create(xb[(3 * d) + i]), c0, a3);
                a4 = Fma.MultiplyAdd(Vector256.Create(xb[(4 * d) + i]), c0, a4);
                a5 = Fma.MultiplyAdd(Vector256.Create(xb[(5 * d) + i]), c0, a5);
            }

            var h = Vector256.Load(half + j);
            (h - a0).Store(scores + j);
            (h - a1).Store(scores + kp + j);
            (h - a2).Store(scores + (2 * kp) + j);
            (h - a3).Store(scores + (3 * kp) + j);
            (h - a4).Store(scores + (4 * kp) + j);
            (h - a5).Store(scores + (5 * kp) + j);
        }
    }
}
