// The one contract every image backbone implements (ResNet, ViT, user backbones).
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// Base class of every image backbone: maps images [B, C, H, W] to <see cref="BackboneFeatures"/>
/// (global feature F_v [B, D], spatial map [B, D, h, w], tokens [B, h*w, D]).
/// </summary>
/// <remarks>
/// Implementations keep the PyTorch state-dict keys of their reference (torchvision, timm) so that
/// weights map 1:1, never dispose their input, and return features the caller owns (see
/// <see cref="BackboneFeatures"/>). Create the built-in ones with <see cref="BackboneRegistry.Create"/>
/// (or its shortcut <see cref="Create"/>).
/// </remarks>
public abstract class Backbone : nn.Module<Tensor, BackboneFeatures>
{
    /// <summary>Initializes a new instance of the <see cref="Backbone"/> class.</summary>
    /// <param name="name">The architecture name (e.g. "resnet18").</param>
    /// <param name="featureDim">The feature dimension D.</param>
    /// <param name="inChannels">The number of input channels C.</param>
    /// <param name="numClasses">The classifier head's classes; 0 for no head.</param>
    protected Backbone(string name, long featureDim, int inChannels, int numClasses)
        : base(name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(numClasses);
        BackboneName = name;
        FeatureDim = featureDim;
        InChannels = inChannels;
        NumClasses = numClasses;
    }

    /// <summary>Gets the architecture name (a registry name such as "resnet18").</summary>
    public string BackboneName { get; }

    /// <summary>Gets the feature dimension D of <see cref="BackboneFeatures.Pooled"/> and the map.</summary>
    public long FeatureDim { get; }

    /// <summary>Gets the number of input channels C.</summary>
    public int InChannels { get; }

    /// <summary>Gets the number of classes of the built-in head (torchvision <c>fc</c>, timm <c>head</c>); 0 when there is none.</summary>
    public int NumClasses { get; }

    /// <summary>Gets the input pixels per feature-map cell along each axis (32 for ResNet, 8 with the small-input stem, 16 for ViT/16).</summary>
    public abstract int FeatureStride { get; }

    /// <summary>Gets the state-dict key prefix of the built-in head ("fc" or "head"); null when the architecture has none.</summary>
    public virtual string? HeadPrefix => null;

    /// <summary>Gets or sets a value indicating whether forward rejects NaN/Inf inputs (one reduction and a host sync per call).</summary>
    /// <value>Default <c>true</c>.</value>
    public bool CheckFiniteInput { get; set; } = true;

    /// <summary>Creates a registered backbone; same as <see cref="BackboneRegistry.Create"/>.</summary>
    /// <param name="name">A name from <see cref="BackboneRegistry.Names"/> (or an alias).</param>
    /// <param name="options">Options; null for defaults.</param>
    /// <returns>The backbone (the caller disposes it).</returns>
    public static Backbone Create(string name, BackboneOptions? options = null) => BackboneRegistry.Create(name, options);

    /// <summary>Applies the built-in classifier head to pooled features.</summary>
    /// <param name="pooled">Pooled features [B, D].</param>
    /// <returns>Logits [B, NumClasses].</returns>
    /// <exception cref="InvalidOperationException">The backbone was built without a head (<see cref="NumClasses"/> is 0).</exception>
    public abstract Tensor ForwardHead(Tensor pooled);

    /// <summary>
    /// Adapts an imported state dict to this instance before loading (e.g. a ViT resamples
    /// <c>pos_embed</c> trained on another grid). Replaced tensors are NOT disposed (they may be another
    /// module's parameters): whoever owned them still does; the new tensors belong to the caller. The
    /// default does nothing.
    /// </summary>
    /// <param name="stateDict">The state dict, keyed like <see cref="nn.Module.state_dict"/>.</param>
    public virtual void AdaptStateDict(IDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="images"/> is a finite [B, C, H, W] batch of at least <paramref name="minSize"/> pixels a side.</summary>
    /// <param name="images">The input batch.</param>
    /// <param name="minSize">The smallest height/width accepted.</param>
    protected void ValidateImages(Tensor images, long minSize)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"{BackboneName} expects images [B, C, H, W]; got shape [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (images.shape[0] == 0)
        {
            throw new ArgumentException($"{BackboneName} got an empty batch (B = 0).", nameof(images));
        }

        if (images.shape[1] != InChannels)
        {
            throw new ArgumentException($"{BackboneName} expects {InChannels} input channel(s); got {images.shape[1]} (shape [{string.Join(", ", images.shape)}]).", nameof(images));
        }

        if (images.shape[2] < minSize || images.shape[3] < minSize)
        {
            throw new ArgumentException($"{BackboneName} needs images of at least {minSize}x{minSize} pixels; got {images.shape[2]}x{images.shape[3]}.", nameof(images));
        }

        if (!images.is_floating_point())
        {
            throw new ArgumentException($"{BackboneName} expects floating-point images; got {images.dtype}.", nameof(images));
        }

        if (CheckFiniteInput)
        {
            using var finite = torch.isfinite(images);
            using var all = finite.all();
            if (!all.item<bool>())
            {
                throw new ArgumentException($"{BackboneName} got images with NaN or Inf values.", nameof(images));
            }
        }
    }

    /// <summary>Throws when the backbone has no head.</summary>
    /// <param name="pooled">Pooled features [B, D].</param>
    protected void ValidateHeadInput(Tensor pooled)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        if (NumClasses == 0)
        {
            throw new InvalidOperationException($"{BackboneName} was built without a classifier head (NumClasses = 0); set BackboneOptions.NumClasses or use BackboneClassifier.");
        }

        if (pooled.dim() != 2 || pooled.shape[1] != FeatureDim)
        {
            throw new ArgumentException($"{BackboneName}'s head expects pooled features [B, {FeatureDim}]; got [{string.Join(", ", pooled.shape)}].", nameof(pooled));
        }
    }
}
