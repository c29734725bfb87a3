// Paper B's full model: image backbone + causal label head over the backbone's spatial tokens.
// The three variants are the rows of the slides' Table 3.
using CausalVision.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>The rows of the slides' Table 3.</summary>
public enum CausalLabelVariant
{
    /// <summary>Neither Decouple nor Causal: global-average-pooled backbone feature + linear classifier ("Baseline (R50)").</summary>
    Baseline,

    /// <summary>Decouple: label-query decoder over the spatial tokens + group-wise linear classifier (Query2Label-like).</summary>
    Decouple,

    /// <summary>Decouple + Causal: the decoder's label features go through the confounder intervention, fused with the group-wise prediction.</summary>
    Causal,
}

/// <summary>
/// The multi-label model of paper B: logits = head(backbone(images).Tokens), where the head is a
/// <see cref="CausalLabelHead"/> (Decouple, Causal) or a linear layer on the pooled feature (Baseline).
/// </summary>
/// <remarks>
/// <para>Build it with <see cref="CausalLabelModelBuilder"/> (or DI: <c>AddCausalLabels</c>). The model
/// owns its backbone. Train it with <see cref="CausalLabelTrainer"/>: stage 1 backbone + decoder +
/// group-wise classifier, stage 2 dictionary from the frozen backbone's spatial features, stage 3 the
/// intervention with the dictionary installed (<see cref="SetDictionary"/>).</para>
/// <para>State-dict keys: <c>backbone.*</c> (torchvision / timm names), <c>head.*</c>
/// (see <see cref="CausalLabelHead"/>) or <c>fc.weight/bias</c> (Baseline).</para>
/// <para>Shapes: images [B, C, H, W] -&gt; logits [B, L].</para>
/// </remarks>
public sealed class CausalLabelModel : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "backbone")]
    private readonly Backbone backbone;

    [ComponentName(Name = "head")]
    private readonly CausalLabelHead? head;

    [ComponentName(Name = "fc")]
    private readonly Linear? fc;

    private readonly CausalLabelOptions options;

    /// <summary>Initializes a new instance of the <see cref="CausalLabelModel"/> class (prefer <see cref="CausalLabelModelBuilder"/>).</summary>
    /// <param name="backbone">The backbone; the model takes ownership.</param>
    /// <param name="options">Head options; <see cref="CausalLabelOptions.InputDim"/> must equal the backbone's feature dimension. <see cref="CausalLabelOptions.UseIntervention"/> is set from <paramref name="variant"/>.</param>
    /// <param name="variant">The Table 3 row; default <see cref="CausalLabelVariant.Causal"/>.</param>
    /// <param name="labelNames">Optional label names (L of them).</param>
    /// <exception cref="ArgumentException">Invalid options, a dimension mismatch with the backbone, or the wrong number of label names.</exception>
    public CausalLabelModel(Backbone backbone, CausalLabelOptions options, CausalLabelVariant variant = CausalLabelVariant.Causal, IReadOnlyList<string>? labelNames = null)
        : base(nameof(CausalLabelModel))
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(variant))
        {
            throw new ArgumentException($"Unknown variant {variant}.", nameof(variant));
        }

        var o = options.Clone();
        o.UseIntervention = variant == CausalLabelVariant.Causal;
        if (!o.UseIntervention)
        {
            o.Fusion = CausalFusion.SumLogits;
        }

        o.Validate();
        if (o.InputDim != backbone.FeatureDim)
        {
            throw new ArgumentException($"CausalLabelOptions.InputDim ({o.InputDim}) must equal the backbone's feature dimension ({backbone.FeatureDim}, {backbone.BackboneName}).", nameof(options));
        }

        if (labelNames is not null && labelNames.Count != o.NumLabels)
        {
            throw new ArgumentException($"{labelNames.Count} label names for {o.NumLabels} labels.", nameof(labelNames));
        }

        this.options = o;
        Variant = variant;
        LabelNames = labelNames?.ToArray() ?? Enumerable.Range(0, o.NumLabels).Select(i => $"label{i}").ToArray();
        this.backbone = backbone;
        if (variant == CausalLabelVariant.Baseline)
        {
            fc = nn.Linear(backbone.FeatureDim, o.NumLabels);
        }
        else
        {
            head = new CausalLabelHead(o);
        }

        RegisterComponents();
    }

    /// <summary>Saves the whole model in one safetensors file: weights, confounder dictionary, options, variant, label names
    /// and backbone (see <see cref="CausalLabelModelFile"/>); <see cref="Load"/> rebuilds it in one call.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path) => CausalLabelModelFile.Save(this, path);

    /// <summary>Loads a model written by <see cref="Save"/> (evaluation mode).</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">"cpu", "cuda" or "auto"; default "cpu".</param>
    /// <returns>The model (the caller owns it).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a causal-label model file, or weights that do not fit (each parameter
    /// named with both shapes).</exception>
    public static CausalLabelModel Load(string path, string device = "cpu") => CausalLabelModelFile.Load(path, device);

    /// <summary>Gets the Table 3 variant.</summary>
    public CausalLabelVariant Variant { get; }

    /// <summary>Gets a copy of the head options (with <see cref="CausalLabelOptions.UseIntervention"/> as built).</summary>
    public CausalLabelOptions Options => options.Clone();

    /// <summary>Gets the number of labels L.</summary>
    public int NumLabels => options.NumLabels;

    /// <summary>Gets the label names (L of them; "label{i}" when none were given).</summary>
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>Gets the backbone (owned by the model).</summary>
    public Backbone Backbone => backbone;

    /// <summary>Gets the causal label head; null for <see cref="CausalLabelVariant.Baseline"/>.</summary>
    public CausalLabelHead? Head => head;

    /// <summary>Gets the intervention module; null unless the variant is <see cref="CausalLabelVariant.Causal"/>.</summary>
    public ConfounderIntervention? Intervention => head?.Intervention;

    /// <summary>Gets the number of confounders K (0 without intervention).</summary>
    public int NumConfounders => Intervention?.NumConfounders ?? 0;

    /// <summary>Gets the dictionary dimension the intervention expects (0 without intervention).</summary>
    public int ConfounderDim => Intervention?.ConfounderDim ?? 0;

    /// <summary>Predicts the final logits.</summary>
    /// <param name="images">Images [B, C, H, W].</param>
    /// <returns>Logits [B, L].</returns>
    public override Tensor forward(Tensor images)
    {
        using var parts = ForwardParts(images);
        return parts.Logits.alias();
    }

    /// <summary>Runs the model and returns every part of the prediction.</summary>
    /// <param name="images">Images [B, C, H, W].</param>
    /// <param name="intervene">Whether to run the intervention (false in training stage 1: logits = group-wise baseline); default true.</param>
    /// <returns>The parts (the caller disposes them). Baseline: Logits = BaselineLogits, no label features.</returns>
    /// <exception cref="ArgumentException">Bad images (see <see cref="Backbone"/>).</exception>
    public CausalLabelOutput ForwardParts(Tensor images, bool intervene = true)
    {
        using var scope = NewDisposeScope();
        var features = backbone.call(images);
        if (fc is not null)
        {
            var logits = fc.call(features.Pooled);
            return new CausalLabelOutput(logits.MoveToOuterDisposeScope(), logits.alias().MoveToOuterDisposeScope(), null, null);
        }

        var parts = head!.ForwardParts(features.Tokens, intervene);
        parts.Logits.MoveToOuterDisposeScope();
        parts.BaselineLogits.MoveToOuterDisposeScope();
        parts.CausalLogits?.MoveToOuterDisposeScope();
        parts.LabelFeatures?.MoveToOuterDisposeScope();
        return parts;
    }

    /// <summary>The backbone's spatial features without gradient (stage 2 input for the dictionary).</summary>
    /// <param name="images">Images [B, C, H, W].</param>
    /// <returns>Tokens [B, h*w, D] (the caller owns them).</returns>
    public Tensor SpatialFeatures(Tensor images)
    {
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var features = backbone.call(images);
        return features.Tokens.detach().contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Installs a confounder dictionary (stage 2 result) in the intervention's buffers.</summary>
    /// <param name="dictionary">The dictionary: K = <see cref="NumConfounders"/>, D = <see cref="ConfounderDim"/>.</param>
    /// <exception cref="InvalidOperationException">The variant has no intervention.</exception>
    /// <exception cref="ArgumentException">A dictionary of another size or feature dimension.</exception>
    public void SetDictionary(ConfounderDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        if (Intervention is null)
        {
            throw new InvalidOperationException($"The {Variant} model has no intervention branch; only the Causal variant takes a confounder dictionary.");
        }

        if (dictionary.Dim != ConfounderDim)
        {
            throw new ArgumentException($"The confounder dictionary has feature dimension {dictionary.Dim} but this model expects {ConfounderDim} (the {backbone.BackboneName} feature size, or CausalLabelOptions.ConfounderDim): it was built from another backbone's features.", nameof(dictionary));
        }

        if (dictionary.Count != NumConfounders)
        {
            throw new ArgumentException($"The confounder dictionary has K = {dictionary.Count} centres but the model was built for K = {NumConfounders} (CausalLabelOptions.NumConfounders).", nameof(dictionary));
        }

        head!.SetDictionary(dictionary);
    }

    /// <summary>
    /// Replaces the installed dictionary by one of any size K' with the same feature dimension (a
    /// test-time dictionary swap or a dictionary control; see <see cref="ConfounderIntervention.SwapDictionary"/>).
    /// </summary>
    /// <param name="dictionary">The new dictionary.</param>
    /// <exception cref="InvalidOperationException">The variant has no intervention.</exception>
    /// <exception cref="ArgumentException">Another feature dimension.</exception>
    public void SwapDictionary(ConfounderDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        if (Intervention is null)
        {
            throw new InvalidOperationException($"The {Variant} model has no intervention branch; only the Causal variant takes a confounder dictionary.");
        }

        if (dictionary.Dim != ConfounderDim)
        {
            throw new ArgumentException($"The confounder dictionary has feature dimension {dictionary.Dim} but this model expects {ConfounderDim}.", nameof(dictionary));
        }

        Intervention.SwapDictionary(dictionary.Centres, dictionary.Prior);
    }

    /// <summary>
    /// Copies the stage-1 weights (backbone, decoder, group-wise classifier) of another model with
    /// the same backbone, labels and decoder, e.g. to try several K from one stage-1 run (Table 4).
    /// The intervention and fusion weights are left alone.
    /// </summary>
    /// <param name="source">The trained model.</param>
    /// <returns>The number of tensors copied.</returns>
    /// <exception cref="ArgumentException">An entry of the same name has another shape (different architecture).</exception>
    public int CopyStageOneFrom(CausalLabelModel source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var target = state_dict();
        var copied = 0;
        using var noGrad = torch.no_grad();
        foreach (var (key, value) in source.state_dict())
        {
            if (key.StartsWith("head.intervention.", StringComparison.Ordinal) || key == "head.fusion_weight" || !target.TryGetValue(key, out var t))
            {
                continue;
            }

            if (!t.shape.SequenceEqual(value.shape))
            {
                throw new ArgumentException($"Cannot copy '{key}': shape [{string.Join(", ", value.shape)}] vs [{string.Join(", ", t.shape)}].", nameof(source));
            }

            t.copy_(value);
            copied++;
        }

        return copied;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            backbone.Dispose();
            head?.Dispose();
            fc?.Dispose();
        }

        base.Dispose(disposing);
    }
}
