// The SIMD kernels of VectorizedFuzzyArt: the exact (double) category search and the float32 screen's
// batched search. Each is written once, generic over ISimdLanes, and instantiated for Vector512 (where
// accelerated) and Vector<T>; the JIT specialises each instantiation, so there is no abstraction cost.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CausalVision.Clustering.Art;

/// <content>The category-search kernels.</content>
public sealed partial class VectorizedFuzzyArt
{
    /// <summary>
    /// The SIMD category search: for every cluster j &lt; <paramref name="clusters"/>, inter_j = sum_i min(x_i, w_ji)
    /// (summed in index order, as the reference), choice_j = inter_j / (alpha + |w_j|), match_j = inter_j / |x|.
    /// </summary>
    private static void Search(double[] panels, double[] norms, int clusters, int dim, ReadOnlySpan<double> x, double alpha, double xNorm, double[] choice, double[] match)
    {
        if (Use512)
        {
            Search<Lanes512Double, Vector512<double>>(panels, norms, clusters, dim, x, alpha, xNorm, choice, match);
        }
        else
        {
            Search<LanesDouble, Vector<double>>(panels, norms, clusters, dim, x, alpha, xNorm, choice, match);
        }
    }

    // One panel = AccumulatorsPerPanel vectors of clusters; eight accumulators stay in registers while the
    // kernel walks the panel feature by feature. MinNative is one vmin: its result differs from Math.Min only
    // for NaN (excluded by the input checks) and for the sign of a zero, which cannot change a sum that starts
    // at +0. Divisions are correctly rounded, so choice and match carry the reference's bits.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Search<TLanes, TV>(double[] panels, double[] norms, int clusters, int dim, ReadOnlySpan<double> x, double alpha, double xNorm, double[] choice, double[] match)
        where TLanes : struct, ISimdLanes<TV, double>
        where TV : struct
    {
        var lanes = (nuint)TLanes.Count;
        var block = AccumulatorsPerPanel * TLanes.Count;
        var panelCount = (clusters + block - 1) / block;
        ref var w0 = ref MemoryMarshal.GetArrayDataReference(panels);
        ref var x0 = ref MemoryMarshal.GetReference(x);
        ref var n0 = ref MemoryMarshal.GetArrayDataReference(norms);
        ref var c0 = ref MemoryMarshal.GetArrayDataReference(choice);
        ref var m0 = ref MemoryMarshal.GetArrayDataReference(match);
        var alphaV = TLanes.Splat(alpha);
        var xNormV = TLanes.Splat(xNorm);
        for (var p = 0; p < panelCount; p++)
        {
            ref var panel = ref Unsafe.Add(ref w0, (nint)p * dim * block);
            var a0 = TLanes.Zero;
            var a1 = TLanes.Zero;
            var a2 = TLanes.Zero;
            var a3 = TLanes.Zero;
            var a4 = TLanes.Zero;
            var a5 = TLanes.Zero;
            var a6 = TLanes.Zero;
            var a7 = TLanes.Zero;
            for (var i = 0; i < dim; i++)
            {
                var xi = TLanes.Splat(Unsafe.Add(ref x0, i));
                ref var row = ref Unsafe.Add(ref panel, (nint)i * block);
                a0 = TLanes.AddMin(a0, xi, TLanes.Load(ref row, 0));
                a1 = TLanes.AddMin(a1, xi, TLanes.Load(ref row, lanes));
                a2 = TLanes.AddMin(a2, xi, TLanes.Load(ref row, 2 * lanes));
                a3 = TLanes.AddMin(a3, xi, TLanes.Load(ref row, 3 * lanes));
                a4 = TLanes.AddMin(a4, xi, TLanes.Load(ref row, 4 * lanes));
                a5 = TLanes.AddMin(a5, xi, TLanes.Load(ref row, 5 * lanes));
                a6 = TLanes.AddMin(a6, xi, TLanes.Load(ref row, 6 * lanes));
                a7 = TLanes.AddMin(a7, xi, TLanes.Load(ref row, 7 * lanes));
            }

            var j = (nuint)(p * block);
            Finish<TLanes, TV>(a0, j, alphaV, xNormV, ref n0, ref c0, ref m0);
            Finish<TLanes, TV>(a1, j + lanes, alphaV, xNormV, ref n0, ref c0, ref m0);
            Finish<TLanes, TV>(a2, j + (2 * lanes), alphaV, xNormV, ref n0, ref c0, ref m0);
            Finish<TLanes, TV>(a3, j + (3 * lanes), alphaV, xNormV, ref n0, ref c0, ref m0);
            Finish<TLanes, TV>(a4, j + (4 * lanes), alphaV, xNormV, ref n0, ref c0, ref m0);
            Finish<TLanes, TV>(a5, j + (5 * lanes), alphaV, xNormV, ref n0, ref c0, ref m0);
            Finish<TLanes, TV>(a6, j + (6 * lanes), alphaV, xNormV, ref n0, ref c0, ref m0);
            Finish<TLanes, TV>(a7, j + (7 * lanes), alphaV, xNormV, ref n0, ref c0, ref m0);
        }
    }

    // Same expressions as the reference: inter / (alpha + |w|) and inter / |x|.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TLanes, TV>(TV inter, nuint j, TV alpha, TV xNorm, ref double norms, ref double choice, ref double match)
        where TLanes : struct, ISimdLanes<TV, double>
        where TV : struct
    {
        var n = TLanes.Load(ref norms, j);
        TLanes.Store(TLanes.Divide(inter, TLanes.Add(alpha, n)), ref choice, j);
        TLanes.Store(TLanes.Divide(inter, xNorm), ref match, j);
    }

    // float32 |I ^ w_j|_1 of SampleBatch (4) samples x [4][dim] against every cluster j < clusters, into
    // inter[k * stride + j]: each weight is read once for the four samples (sequential per cluster, vectorised
    // across clusters, four vectors of clusters at a time, 16 accumulators). The float32 panels are Block32
    // clusters wide; four vectors divide Block32 for either vector width.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SearchBatch32<TLanes, TV>(float[] panels32, int clusters, int dim, float[] x, float[] inter, int stride)
        where TLanes : struct, ISimdLanes<TV, float>
        where TV : struct
    {
        var lanes = (nuint)TLanes.Count;
        var block = Block32;
        var step = 4 * TLanes.Count;
        ref var wp = ref MemoryMarshal.GetArrayDataReference(panels32);
        ref var x0 = ref MemoryMarshal.GetArrayDataReference(x);
        ref var o0 = ref MemoryMarshal.GetArrayDataReference(inter);
        var s1 = (nuint)stride;
        for (var j = 0; j < clusters; j += step)
        {
            ref var panel = ref Unsafe.Add(ref wp, ((nint)(j / block) * dim * block) + (j % block));
            var a00 = TLanes.Zero;
            var a01 = TLanes.Zero;
            var a02 = TLanes.Zero;
            var a03 = TLanes.Zero;
            var a10 = TLanes.Zero;
            var a11 = TLanes.Zero;
            var a12 = TLanes.Zero;
            var a13 = TLanes.Zero;
            var a20 = TLanes.Zero;
            var a21 = TLanes.Zero;
            var a22 = TLanes.Zero;
            var a23 = TLanes.Zero;
            var a30 = TLanes.Zero;
            var a31 = TLanes.Zero;
            var a32 = TLanes.Zero;
            var a33 = TLanes.Zero;
            for (var i = 0; i < dim; i++)
            {
                ref var row = ref Unsafe.Add(ref panel, (nint)i * block);
                var wv0 = TLanes.Load(ref row, 0);
                var wv1 = TLanes.Load(ref row, lanes);
                var wv2 = TLanes.Load(ref row, 2 * lanes);
                var wv3 = TLanes.Load(ref row, 3 * lanes);
                var xv0 = TLanes.Splat(Unsafe.Add(ref x0, i));
                a00 = TLanes.AddMin(a00, xv0, wv0);
                a01 = TLanes.AddMin(a01, xv0, wv1);
                a02 = TLanes.AddMin(a02, xv0, wv2);
                a03 = TLanes.AddMin(a03, xv0, wv3);
                var xv1 = TLanes.Splat(Unsafe.Add(ref x0, (nint)(1 * dim) + i));
                a10 = TLanes.AddMin(a10, xv1, wv0);
                a11 = TLanes.AddMin(a11, xv1, wv1);
                a12 = TLanes.AddMin(a12, xv1, wv2);
                a13 = TLanes.AddMin(a13, xv1, wv3);
                var xv2 = TLanes.Splat(Unsafe.Add(ref x0, (nint)(2 * dim) + i));
                a20 = TLanes.AddMin(a20, xv2, wv0);
                a21 = TLanes.AddMin(a21, xv2, wv1);
                a22 = TLanes.AddMin(a22, xv2, wv2);
                a23 = TLanes.AddMin(a23, xv2, wv3);
                var xv3 = TLanes.Splat(Unsafe.Add(ref x0, (nint)(3 * dim) + i));
                a30 = TLanes.AddMin(a30, xv3, wv0);
                a31 = TLanes.AddMin(a31, xv3, wv1);
                a32 = TLanes.AddMin(a32, xv3, wv2);
                a33 = TLanes.AddMin(a33, xv3, wv3);
            }

            var o = (nuint)j;
            TLanes.Store(a00, ref o0, o);
            TLanes.Store(a01, ref o0, o + lanes);
            TLanes.Store(a02, ref o0, o + (2 * lanes));
            TLanes.Store(a03, ref o0, o + (3 * lanes));
            TLanes.Store(a10, ref o0, s1 + o);
            TLanes.Store(a11, ref o0, s1 + o + lanes);
            TLanes.Store(a12, ref o0, s1 + o + (2 * lanes));
            TLanes.Store(a13, ref o0, s1 + o + (3 * lanes));
            TLanes.Store(a20, ref o0, (2 * s1) + o);
            TLanes.Store(a21, ref o0, (2 * s1) + o + lanes);
            TLanes.Store(a22, ref o0, (2 * s1) + o + (2 * lanes));
            TLanes.Store(a23, ref o0, (2 * s1) + o + (3 * lanes));
            TLanes.Store(a30, ref o0, (3 * s1) + o);
            TLanes.Store(a31, ref o0, (3 * s1) + o + lanes);
            TLanes.Store(a32, ref o0, (3 * s1) + o + (2 * lanes));
            TLanes.Store(a33, ref o0, (3 * s1) + o + (3 * lanes));
        }
    }
}
