// The baseline classifier: backbone -> pooled F_v -> dropout -> linear head.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// logits = head(dropout(F_v)), F_v the backbone's pooled feature: the non-causal baseline used by
/// QuickStart and <c>samples/Train</c>. Keys: <c>backbone.*</c> (the backbone's own keys) and
/// <c>head.{weight,bias}</c>. Owns (and disposes) its backbone.
/// </summary>
/// <remarks>Shapes: images [B, C, H, W] -> logits [B, numClasses].</remarks>
public sealed class BackboneClassifier : nn.Module<Tensor, Tensor>
{
    private readonly Backbone backbone;
    private readonly Linear head;
    private readonly double dropout;

    /// <summary>Initializes a new instance of the <see cref="BackboneClassifier"/> class.</summary>
    /// <param name="backbone">The backbone (ownership passes to the classifier).</param>
    /// <param name="numClasses">The number of classes (&gt;= 1).</param>
    /// <param name="dropout">Dropout on F_v before the head, in [0, 1); default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">numClasses &lt; 1 or dropout outside [0, 1).</exception>
    public BackboneClassifier(Backbone backbone, int numClasses, double dropout = 0.0)
        : base(nameof(BackboneClassifier))
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        if (dropout is < 0 or >= 1 || double.IsNaN(dropout))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "Dropout must be in [0, 1).");
        }

        this.backbone = backbone;
        this.dropout = dropout;
        NumClasses = numClasses;
        head = nn.Linear(backbone.FeatureDim, numClasses);
        RegisterComponents();
    }

    /// <summary>Gets the backbone.</summary>
    public Backbone Backbone => backbone;

    /// <summary>Gets the number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>Creates a registered backbone (see <see cref="BackboneRegistry.Create"/>) with a new head.</summary>
    /// <param name="backboneName">A registered backbone name.</param>
    /// <param name="numClasses">The number of classes.</param>
    /// <param name="options">Backbone options; null for defaults.</param>
    /// <param name="dropout">Dropout before the head; default 0.</param>
    /// <returns>The classifier; the caller disposes it.</returns>
    public static BackboneClassifier Create(string backboneName, int numClasses, BackboneOptions? options = null, double dropout = 0.0)
    {
        Runtime.TorchRuntime.EnsureAvailable(); // one clear message (the fix) instead of a native trace
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        var backbone = BackboneRegistry.Create(backboneName, options);
        try
        {
            return new BackboneClassifier(backbone, numClasses, dropout);
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor images)
    {
        using var features = backbone.call(images);
        return Logits(features.Pooled);
    }

    /// <summary>Runs the backbone and the head, returning both (the caller disposes the features).</summary>
    /// <param name="images">Images [B, C, H, W].</param>
    /// <returns>Logits [B, numClasses] and the backbone features.</returns>
    public (Tensor Logits, BackboneFeatures Features) ForwardWithFeatures(Tensor images)
    {
        var features = backbone.call(images);
        try
        {
            return (Logits(features.Pooled), features);
        }
        catch
        {
            features.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            backbone.Dispose();
            head.Dispose();
        }

        base.Dispose(disposing);
    }

    private Tensor Logits(Tensor pooled)
    {
        using var scope = NewDisposeScope();
        return head.call(nn.functional.dropout(pooled, dropout, training)).MoveToOuterDisposeScope();
    }
}
