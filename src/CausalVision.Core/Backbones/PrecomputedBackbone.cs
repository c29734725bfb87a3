// A backbone whose "images" are feature maps computed beforehand by a frozen backbone: the cheap
// way to train heads (VSCNet's FVA/HAR/CIM, a linear probe) many times on the same frozen features.
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// The identity backbone over cached feature maps: its input is the spatial map <c>[B, D, h, w]</c>
/// that a frozen backbone produced once (see <c>SyntheticFeatures.MapsFromBackbone</c>), and its
/// output is <see cref="BackboneFeatures.FromMap"/> of a copy of it (pooled F_v = the map's mean over
/// cells, tokens = the cells).
/// </summary>
/// <remarks>
/// <para>Use it to train any model that takes a <see cref="Backbone"/> (VSCNet, <see cref="BackboneClassifier"/>)
/// on frozen features without running the frozen network every step: the result equals training with the
/// original backbone frozen and in evaluation mode, without data augmentation (a cached map is one view of
/// its image). It has no parameters.</para>
/// <para>Shapes: maps <c>[B, D, h, w]</c> -&gt; pooled <c>[B, D]</c>, map <c>[B, D, h, w]</c>, tokens <c>[B, h*w, D]</c>.</para>
/// </remarks>
public sealed class PrecomputedBackbone : Backbone
{
    /// <summary>The registry-style name reported by <see cref="Backbone.BackboneName"/>.</summary>
    public const string Name = "precomputed";

    private readonly int featureStride;

    /// <summary>Initializes a new instance of the <see cref="PrecomputedBackbone"/> class.</summary>
    /// <param name="featureDim">D, the channels of the cached maps.</param>
    /// <param name="featureStride">Input pixels per map cell of the backbone that computed the maps (32 for ResNet).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="featureDim"/> or <paramref name="featureStride"/> is below 1.</exception>
    public PrecomputedBackbone(long featureDim, int featureStride = 32)
        : base(Name, featureDim, checked((int)featureDim), 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureStride, 1);
        this.featureStride = featureStride;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override int FeatureStride => featureStride;

    /// <summary>Wraps cached maps as features (the input is copied, never disposed).</summary>
    /// <param name="maps">Cached maps <c>[B, D, h, w]</c>, floating point.</param>
    /// <returns>Features the caller owns.</returns>
    /// <exception cref="ArgumentException">The maps are not <c>[B, D, h, w]</c> with D = <see cref="Backbone.FeatureDim"/>, are empty, or hold NaN/Inf.</exception>
    public override BackboneFeatures forward(Tensor maps)
    {
        ValidateImages(maps, 1);
        using var scope = NewDisposeScope();
        return BackboneFeatures.FromMap(maps.clone()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Always: a precomputed backbone has no head.</exception>
    public override Tensor ForwardHead(Tensor pooled) =>
        throw new InvalidOperationException("A precomputed backbone has no classifier head; put a head on its pooled features.");
}
