// The assignment kernels of K-means on the CPU (see KMeans and FusedAssign).
namespace CausalVision.Clustering.KMeans;

/// <summary>How <see cref="KMeans"/> finds the nearest centres on the CPU.</summary>
public enum KMeansKernel
{
    /// <summary>The fused SIMD kernel for float32 data on the CPU when the CPU has AVX-512 or AVX2 + FMA; libtorch otherwise.</summary>
    Auto,

    /// <summary>Always libtorch: one addmm per row chunk, then min over the [rows, K] distances.</summary>
    Torch,

    /// <summary>
    /// The fused kernel (float32 CPU data; other data falls back to libtorch): register-tiled distances, argmin and centre
    /// sums in one pass, no [N, K] matrix, float32 decisions within rounding error recomputed in float64.
    /// </summary>
    Fused,

    /// <summary>As <see cref="Fused"/> restricted to 256-bit vectors (AVX2 + FMA) even where AVX-512 is present.</summary>
    Fused256,
}
