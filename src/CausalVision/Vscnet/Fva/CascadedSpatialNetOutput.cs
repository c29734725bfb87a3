// The per-step outputs of the Cascaded Spatial Net (VSCNet eq. 1-2): affine matrices, region features,
// hidden states and tag logits, owned by the caller.
using static TorchSharp.torch;

namespace CausalVision.Vscnet.Fva;

/// <summary>
/// What <see cref="CascadedSpatialNet"/> returns for a batch: one entry per step j = 1..J. The caller owns the
/// tensors; dispose the result (or let an enclosing dispose scope collect them).
/// </summary>
/// <remarks>
/// Shapes: B = batch, J = steps, D = feature size, H = hidden size, M = tag vocabulary size.
/// </remarks>
public sealed class CascadedSpatialNetOutput : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="CascadedSpatialNetOutput"/> class.</summary>
    /// <param name="thetas">Affine matrices <c>[B, J, 2, 3]</c>.</param>
    /// <param name="regionFeatures">Pooled region features <c>r_j</c> <c>[B, J, D]</c>.</param>
    /// <param name="hiddenStates">Hidden states <c>H_1..H_J</c> <c>[B, J, H]</c>.</param>
    /// <param name="tagLogits">Tag logits <c>t^_j</c> <c>[B, J, M]</c> (before softmax).</param>
    public CascadedSpatialNetOutput(Tensor thetas, Tensor regionFeatures, Tensor hiddenStates, Tensor tagLogits)
    {
        Thetas = thetas ?? throw new ArgumentNullException(nameof(thetas));
        RegionFeatures = regionFeatures ?? throw new ArgumentNullException(nameof(regionFeatures));
        HiddenStates = hiddenStates ?? throw new ArgumentNullException(nameof(hiddenStates));
        TagLogits = tagLogits ?? throw new ArgumentNullException(nameof(tagLogits));
    }

    /// <summary>Gets the affine matrices theta of every step, <c>[B, J, 2, 3]</c>: row 0 is
    /// <c>[theta_11, theta_12, theta_13]</c> (x scale, rotation/shear, x shift), row 1 <c>[theta_21, theta_22, theta_23]</c>.</summary>
    public Tensor Thetas { get; }

    /// <summary>Gets the pooled region features r_j, <c>[B, J, D]</c>.</summary>
    public Tensor RegionFeatures { get; }

    /// <summary>Gets the GRU hidden states H_1..H_J, <c>[B, J, H]</c>.</summary>
    public Tensor HiddenStates { get; }

    /// <summary>Gets the tag logits of every step, <c>[B, J, M]</c>.</summary>
    public Tensor TagLogits { get; }

    /// <summary>Gets the number of steps J.</summary>
    public long Steps => Thetas.shape[1];

    /// <summary>Disposes the four tensors.</summary>
    public void Dispose()
    {
        Thetas.Dispose();
        RegionFeatures.Dispose();
        HiddenStates.Dispose();
        TagLogits.Dispose();
    }
}
