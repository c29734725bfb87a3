// The float32 screen of VectorizedFuzzyArt (unlabelled learning): float32 sums of |I ^ w_j|_1 for a batch of
// samples, intervals that provably contain the reference's double choice and match, and exact double
// rechecks wherever an interval does not settle a decision (the design notes are in VectorizedFuzzyArt.cs).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CausalVision.Clustering.Art;

/// <content>The float32 screen with exact rechecks.</content>
public sealed partial class VectorizedFuzzyArt
{
    // Unlabelled learning through the float32 screen, SampleBatch samples per pass over the weights: the
    // float32 sums of the batch's samples are computed against the clusters as they are at the start of the
    // batch; before each sample learns, the sums against the clusters that earlier samples of the batch
    // changed or created (one each, its assignment) are recomputed, so every sample sees the current model.
    private void LearnAllScreened(IReadOnlyList<double[]> data, long[] assign)
    {
        for (var start = 0; start < data.Count; start += SampleBatch)
        {
            var count = Math.Min(SampleBatch, data.Count - start);
            EnsureCapacity(clusterCount + SampleBatch); // no reallocation (of inter32) within the batch
            for (var k = 0; k < count; k++)
            {
                var x = codedBatch[k];
                Code(data[start + k], x);
                for (var i = 0; i < codedDim; i++)
                {
                    coded32[(k * codedDim) + i] = (float)x[i];
                }
            }

            if (clusterCount > 0)
            {
                if (Use512 && UseVector512Screen)
                {
                    SearchBatch32<Lanes512Single, Vector512<float>>(panels32, clusterCount, codedDim, coded32, inter32, capacity);
                }
                else
                {
                    SearchBatch32<LanesSingle, Vector<float>>(panels32, clusterCount, codedDim, coded32, inter32, capacity);
                }
            }

            for (var k = 0; k < count; k++)
            {
                var x = codedBatch[k];
                var xNorm = SequentialSum(x);
                if (clusterCount > 0 && xNorm > 0)
                {
                    interBase = k * capacity;
                    for (var q = 0; q < k; q++)
                    {
                        Refresh32(k, (int)assign[start + q]);
                    }

                    assign[start + k] = LearnScreened(x, xNorm, clusterCount);
                }
                else
                {
                    assign[start + k] = Learn(x, -1);
                }
            }
        }
    }

    // Recomputes sample k's float32 |I ^ w_j|_1 for one cluster (the kernel's order).
    private void Refresh32(int k, int j)
    {
        var offset32 = PanelOffset32(j);
        var xo = k * codedDim;
        var s = 0f;
        for (var i = 0; i < codedDim; i++)
        {
            s += MathF.Min(coded32[xo + i], panels32[offset32 + (i * Block32)]);
        }

        inter32[(k * capacity) + j] = s;
    }

    // One unlabelled presentation through the screen: float32 |I ^ w|_1 for every cluster, intervals that
    // provably contain the reference's double choice and match, and an exact double recheck of a cluster
    // wherever an interval does not settle a decision. Same decisions, hence the same state, as the reference.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long LearnScreened(double[] x, double xNorm, int c)
    {
        if (++stamp == int.MaxValue)
        {
            Array.Clear(exactStamp);
            stamp = 1;
        }

        ScreenedPairs += c;
        var best = Bound(x, xNorm, c);

        // Winner: the highest exact choice among resonating clusters, ties to the later one. Every cluster
        // whose upper bound reaches the best lower bound (best) is made exact; no other can win or tie.
        var winner = -1;
        var winnerChoice = -1.0;
        if (best > double.NegativeInfinity)
        {
            var top = double.NegativeInfinity;
            var lanes = Vector<double>.Count;
            var bestV = new Vector<double>(best);
            var none = new Vector<double>(double.NegativeInfinity);
            ref var lo0 = ref MemoryMarshal.GetArrayDataReference(resonantLo);
            ref var hi0 = ref MemoryMarshal.GetArrayDataReference(choiceHi);
            var j0 = 0;
            for (; j0 < c; j0 += lanes)
            {
                var end = Math.Min(c, j0 + lanes);
                if (end - j0 == lanes
                    && (Vector.GreaterThan(Vector.LoadUnsafe(ref lo0, (nuint)j0), none) & Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref hi0, (nuint)j0), bestV)) == Vector<long>.Zero)
                {
                    continue;
                }

                for (var j = j0; j < end; j++)
                {
                    if (resonantLo[j] > double.NegativeInfinity && choiceHi[j] >= best)
                    {
                        if (exactStamp[j] != stamp)
                        {
                            Recheck(x, xNorm, j);
                        }

                        if (choiceLo[j] >= top)
                        {
                            top = choiceLo[j];
                            winner = j;
                        }
                    }
                }
            }

            winnerChoice = top;
        }

        if (options.Sigma > 0)
        {
            ScreenedReset(x, xNorm, c, winner, winnerChoice, 1.0 - options.Sigma);
        }

        if (winner < 0)
        {
            return Commit(x, xNorm, -1);
        }

        return LearnWinner(x, winner);
    }

    // Fills choiceLo/choiceHi/resonantLo from the float32 sums, rechecking exactly where the match test is not
    // settled; returns the largest resonantLo (-inf when nothing resonates).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Bound(double[] x, double xNorm, int c)
    {
        var lanesF = Vector<float>.Count;
        var lanesD = Vector<double>.Count;
        var j = 0;
        ref var f0 = ref inter32[interBase];
        var bestV = new Vector<double>(double.NegativeInfinity);
        for (; j <= c - lanesF; j += lanesF)
        {
            Vector.Widen(Vector.LoadUnsafe(ref f0, (nuint)j), out var s0, out var s1);
            bestV = Vector.Max(bestV, BoundVector(x, xNorm, s0, j));
            bestV = Vector.Max(bestV, BoundVector(x, xNorm, s1, j + lanesD));
        }

        var best = double.NegativeInfinity;
        for (var k = 0; k < lanesD; k++)
        {
            best = Math.Max(best, bestV[k]);
        }

        for (; j < c; j++)
        {
            BoundOne(x, xNorm, inter32[interBase + j], j);
            best = Math.Max(best, resonantLo[j]);
        }

        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector<double> BoundVector(double[] x, double xNorm, Vector<double> s, int j)
    {
        var lo = (s * new Vector<double>(relLo)) - new Vector<double>(ScreenAbs);
        var hi = (s * new Vector<double>(relHi)) + new Vector<double>(ScreenAbs);
        var rho = Vector.LoadUnsafe(ref vigilances[0], (nuint)j);
        var thr = rho * new Vector<double>(xNorm);
        var normal = Vector.GreaterThanOrEqual(thr, new Vector<double>(Tiny));
        var pass = (Vector.GreaterThanOrEqual(lo, thr * new Vector<double>(1 + Margin)) & normal) | Vector.Equals(rho, Vector<double>.Zero);
        var fail = Vector.LessThan(hi, thr * new Vector<double>(1 - Margin)) & normal;
        var inv = Vector.LoadUnsafe(ref invDen[0], (nuint)j);
        var cl = (lo * inv * new Vector<double>(1 - Margin)) - new Vector<double>(TinyChoice);
        var ch = (hi * inv * new Vector<double>(1 + Margin)) + new Vector<double>(TinyChoice);
        cl.StoreUnsafe(ref choiceLo[0], (nuint)j);
        ch.StoreUnsafe(ref choiceHi[0], (nuint)j);
        var resonant = Vector.ConditionalSelect(pass, cl, new Vector<double>(double.NegativeInfinity));
        resonant.StoreUnsafe(ref resonantLo[0], (nuint)j);
        var unsettled = ~(pass | fail);
        if (unsettled != Vector<long>.Zero)
        {
            for (var k = 0; k < Vector<double>.Count; k++)
            {
                if (unsettled[k] != 0)
                {
                    Recheck(x, xNorm, j + k);
                }
            }

            resonant = Vector.LoadUnsafe(ref resonantLo[0], (nuint)j);
        }

        return resonant;
    }

    // Scalar twin of BoundVector (the tail of the cluster range), the same expressions.
    private void BoundOne(double[] x, double xNorm, double s, int j)
    {
        var lo = (s * relLo) - ScreenAbs;
        var hi = (s * relHi) + ScreenAbs;
        var rho = vigilances[j];
        var thr = rho * xNorm;
        var normal = thr >= Tiny;
        var pass = (lo >= thr * (1 + Margin) && normal) || rho == 0;
        var fail = hi < thr * (1 - Margin) && normal;
        var inv = invDen[j];
        var cl = (lo * inv * (1 - Margin)) - TinyChoice;
        choiceLo[j] = cl;
        choiceHi[j] = (hi * inv * (1 + Margin)) + TinyChoice;
        resonantLo[j] = pass ? cl : double.NegativeInfinity;
        if (!pass && !fail)
        {
            Recheck(x, xNorm, j);
        }
    }

    // The reference's numbers for cluster j: |I ^ w_j|_1 summed in index order in double, its choice and match.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Recheck(double[] x, double xNorm, int j)
    {
        var offset = PanelOffset(j);
        var inter = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            inter += Math.Min(x[i], panels[offset + (i * Block)]);
        }

        var t = inter / (options.Alpha + norms[j]);
        choiceLo[j] = choiceHi[j] = t;
        resonantLo[j] = inter / xNorm >= vigilances[j] ? t : double.NegativeInfinity;
        exactStamp[j] = stamp;
        ExactRechecks++;
    }

    // AM-ART reset from the intervals: rho_j *= (1 - sigma) for j != winner with choice_j >= winnerChoice,
    // rechecking exactly the clusters whose interval straddles winnerChoice.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScreenedReset(double[] x, double xNorm, int c, int winner, double winnerChoice, double shrink)
    {
        var lanes = Vector<double>.Count;
        var keepWinner = winner >= 0 ? vigilances[winner] : 0;
        var wc = new Vector<double>(winnerChoice);
        var f = new Vector<double>(shrink);
        ref var r0 = ref MemoryMarshal.GetArrayDataReference(vigilances);
        ref var lo0 = ref MemoryMarshal.GetArrayDataReference(choiceLo);
        ref var hi0 = ref MemoryMarshal.GetArrayDataReference(choiceHi);
        var j = 0;
        for (; j <= c - lanes; j += lanes)
        {
            var lo = Vector.LoadUnsafe(ref lo0, (nuint)j);
            var unsettled = ~(Vector.GreaterThanOrEqual(lo, wc) | Vector.LessThan(Vector.LoadUnsafe(ref hi0, (nuint)j), wc));
            if (unsettled != Vector<long>.Zero)
            {
                for (var k = 0; k < lanes; k++)
                {
                    if (unsettled[k] != 0)
                    {
                        Recheck(x, xNorm, j + k);
                    }
                }

                lo = Vector.LoadUnsafe(ref lo0, (nuint)j);
            }

            var r = Vector.LoadUnsafe(ref r0, (nuint)j);
            Vector.ConditionalSelect(Vector.GreaterThanOrEqual(lo, wc), r * f, r).StoreUnsafe(ref r0, (nuint)j);
        }

        for (; j < c; j++)
        {
            if (!(choiceLo[j] >= winnerChoice) && !(choiceHi[j] < winnerChoice))
            {
                Recheck(x, xNorm, j);
            }

            if (choiceLo[j] >= winnerChoice)
            {
                vigilances[j] *= shrink;
            }
        }

        if (winner >= 0)
        {
            vigilances[winner] = keepWinner;
        }
    }
}
