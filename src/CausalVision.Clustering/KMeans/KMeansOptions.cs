// Options for K-means (Lloyd 1982 / k-means++ Arthur & Vassilvitskii 2007 / mini-batch Sculley 2010).
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Clustering.KMeans;

/// <summary>Hyper-parameters of <see cref="KMeans"/>; the defaults follow scikit-learn's KMeans / MiniBatchKMeans.</summary>
public sealed class KMeansOptions
{
    /// <summary>Gets or sets the number of clusters K.</summary>
    /// <value>Default 8.</value>
    [Range(1, int.MaxValue)]
    public int Clusters { get; set; } = 8;

    /// <summary>Gets or sets the maximum number of Lloyd iterations per run.</summary>
    /// <value>Default 300.</value>
    [Range(1, int.MaxValue)]
    public int MaxIterations { get; set; } = 300;

    /// <summary>
    /// Gets or sets the relative tolerance: a run stops when the summed squared centre shift of an
    /// iteration is &lt;= Tolerance x (mean per-feature variance of the data), as scikit-learn.
    /// </summary>
    /// <value>Default 1e-4.</value>
    [Range(0.0, double.MaxValue)]
    public double Tolerance { get; set; } = 1e-4;

    /// <summary>Gets or sets the number of k-means++ restarts; the run of least inertia is kept.</summary>
    /// <value>Default 1.</value>
    [Range(1, int.MaxValue)]
    public int Restarts { get; set; } = 1;

    /// <summary>Gets or sets the seed of the k-means++ sampling and of the mini-batch order.</summary>
    /// <value>Default 0.</value>
    public int Seed { get; set; }

    /// <summary>Gets or sets the candidates tried per k-means++ step (greedy k-means++); 0 means 2 + ln K (scikit-learn).</summary>
    /// <value>Default 0.</value>
    [Range(0, int.MaxValue)]
    public int LocalTrials { get; set; }

    /// <summary>Gets or sets the most distance-matrix elements (rows x K) computed at once; bounds memory.</summary>
    /// <value>Default 2^24 (64 MiB of float32).</value>
    [Range(1, long.MaxValue)]
    public long ChunkElements { get; set; } = 1L << 24;

    /// <summary>Gets or sets the mini-batch size (mini-batch and streaming fits; larger stream batches are split).</summary>
    /// <value>Default 1024 (scikit-learn).</value>
    [Range(1, int.MaxValue)]
    public int BatchSize { get; set; } = 1024;

    /// <summary>Gets or sets the number of passes over the data of a mini-batch or streaming fit.</summary>
    /// <value>Default 10.</value>
    [Range(1, int.MaxValue)]
    public int MiniBatchEpochs { get; set; } = 10;

    /// <summary>Gets or sets the rows used for the k-means++ initialisation of a mini-batch fit; 0 means max(3 x BatchSize, K) (scikit-learn).</summary>
    /// <value>Default 0.</value>
    [Range(0, int.MaxValue)]
    public int InitSize { get; set; }

    /// <summary>
    /// Gets or sets the assignment kernel of the CPU float32 path: <see cref="KMeansKernel.Auto"/> picks the fused SIMD
    /// kernel where the CPU has AVX-512 or AVX2 + FMA, else libtorch. A run-time choice: not saved with the model.
    /// </summary>
    /// <value>Default <see cref="KMeansKernel.Auto"/>.</value>
    [EnumDataType(typeof(KMeansKernel))]
    public KMeansKernel Kernel { get; set; } = KMeansKernel.Auto;

    /// <summary>Returns a copy of these options.</summary>
    /// <returns>The copy.</returns>
    public KMeansOptions Clone() => (KMeansOptions)MemberwiseClone();

    /// <summary>Throws <see cref="ArgumentException"/> listing every option that is out of range.</summary>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new KMeansOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="KMeansOptions"/>: the attribute rules, no reflection at run time.</summary>
[OptionsValidator]
public sealed partial class KMeansOptionsValidator : IValidateOptions<KMeansOptions>
{
}
