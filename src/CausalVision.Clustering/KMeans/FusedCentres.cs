// Centres prepared for the fused K-means kernel (FusedAssign): the transposed, lane-padded float32 panel the
// register tiles read, the half squared norms of the decision rule argmin_k (||c_k||^2 / 2 - x.c_k), and the
// float64 copies the exact rechecks use.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Clustering.KMeans;

/// <summary>Centres prepared for <see cref="FusedAssign"/>: a transposed, lane-padded float32 panel and the half norms.</summary>
internal sealed class FusedCentres
{
    /// <summary>Initializes a new instance of the <see cref="FusedCentres"/> class.</summary>
    /// <param name="centres">Centres [K, D] (any float dtype, CPU or not; copied).</param>
    /// <param name="lanes">The float32 lanes of the kernel (16 or 8).</param>
    public FusedCentres(Tensor centres, int lanes)
    {
        Lanes = lanes;
        K = (int)centres.shape[0];
        D = (int)centres.shape[1];
        Padded = (K + lanes - 1) / lanes * lanes;
        Rows = centres.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        Panel = new float[(long)D * Padded];
        Half = new float[Padded];
        HalfExact = new double[K];
        var maxNorm = 0.0;
        for (var k = 0; k < K; k++)
        {
            var sq = 0.0;
            for (var d = 0; d < D; d++)
            {
                var v = Rows[((long)k * D) + d];
                Panel[((long)d * Padded) + k] = v;
                sq += (double)v * v;
            }

            HalfExact[k] = 0.5 * sq;
            Half[k] = (float)(0.5 * sq);
            maxNorm = Math.Max(maxNorm, Math.Sqrt(sq));
        }

        // Padding centres: zero rows with an infinite half norm never win.
        for (var k = K; k < Padded; k++)
        {
            Half[k] = float.PositiveInfinity;
        }

        MaxNorm = maxNorm;
    }

    /// <summary>Gets the float32 lanes of the kernel these centres are padded for (16: Vector512, 8: Vector256).</summary>
    public int Lanes { get; }

    /// <summary>Gets the number of centres K.</summary>
    public int K { get; }

    /// <summary>Gets the feature dimension D.</summary>
    public int D { get; }

    /// <summary>Gets K rounded up to whole vectors.</summary>
    public int Padded { get; }

    /// <summary>Gets the centres row-major [K, D] (float32, for the float64 rechecks).</summary>
    public float[] Rows { get; }

    /// <summary>Gets the transposed centres [D, Padded].</summary>
    public float[] Panel { get; }

    /// <summary>Gets ||c_k||^2 / 2 rounded to float32 [Padded] (+inf for padding).</summary>
    public float[] Half { get; }

    /// <summary>Gets ||c_k||^2 / 2 in float64 [K].</summary>
    public double[] HalfExact { get; }

    /// <summary>Gets max_k ||c_k||.</summary>
    public double MaxNorm { get; }
}
