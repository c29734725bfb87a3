// One file per trained causal-label model: a safetensors file with the state dict (the confounder dictionary is
// in the intervention's buffers) and a description (options, variant, label names, backbone, library version).
using System.Reflection;
using CausalVision.Backbones;
using CausalVision.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>Saves and loads a whole <see cref="CausalLabelModel"/> in one call (see <see cref="CausalLabelModel.Save"/>).</summary>
/// <remarks>Layout: a safetensors file; tensors = the state dict; metadata <c>format</c> = <see cref="Format"/> and
/// <c>description</c> = JSON (options, variant, label names, backbone name and feature size, library version). Loading
/// rebuilds the model (a registered backbone or a <see cref="PrecomputedBackbone"/>; K is read from the saved dictionary,
/// so a swapped dictionary of another size loads too) and copies the weights strictly, naming any parameter whose
/// shape differs.</remarks>
public static class CausalLabelModelFile
{
    /// <summary>The value of the <c>format</c> metadata entry.</summary>
    public const string Format = "causalvision.causal-labels/1";

    private const string CentresKey = "head.intervention.centres";


    /// <summary>Writes the model to <paramref name="path"/> (atomically).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The file (conventionally <c>.safetensors</c>).</param>
    public static void Save(CausalLabelModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var description = new Description
        {
            LibraryVersion = typeof(CausalLabelModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            Backbone = model.Backbone.BackboneName,
            FeatureDim = model.Backbone.FeatureDim,
            FeatureStride = model.Backbone.FeatureStride,
            Variant = model.Variant,
            Labels = [.. model.LabelNames],
            Options = model.Options,
        };
        using var scope = NewDisposeScope();
        var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu(), StringComparer.Ordinal);
        DescribedSafeTensors.Save(path, tensors, Format, description);
    }

    /// <summary>Rebuilds a model written by <see cref="Save"/>, in evaluation mode.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">"cpu", "cuda" or "auto"; default "cpu".</param>
    /// <returns>The model (the caller owns it).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a causal-label model file, an unknown backbone, or weights that do not fit
    /// (each parameter named with both shapes).</exception>
    public static CausalLabelModel Load(string path, string device = "cpu")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var file = DescribedSafeTensors.Load<Description>(path, Format, "causal-label model file", out var d);
        if (d.Options is null || d.Labels.Count == 0 || string.IsNullOrWhiteSpace(d.Backbone))
        {
            throw new InvalidDataException($"'{path}': the model description lacks options, labels or the backbone.");
        }

        Backbone backbone;
        if (d.Backbone == PrecomputedBackbone.Name)
        {
            backbone = new PrecomputedBackbone(d.FeatureDim, d.FeatureStride);
        }
        else if (!BackboneRegistry.Contains(d.Backbone))
        {
            throw new InvalidDataException($"'{path}' was saved with the backbone '{d.Backbone}', which is not registered here; register it with BackboneRegistry.Register before loading. Known: {string.Join(", ", BackboneRegistry.Names)}.");
        }
        else
        {
            backbone = Backbone.Create(d.Backbone, new BackboneOptions { NumClasses = 0 });
        }

        var options = d.Options;
        if (file.TryGetValue(CentresKey, out var centres))
        {
            options.NumConfounders = (int)centres.shape[0];
        }

        CausalLabelModel? model = null;
        try
        {
            model = new CausalLabelModel(backbone, options, d.Variant, d.Labels);
            try
            {
                StateDictLoader.Load(model, file, sourceName: path);
            }
            catch (StateDictMismatchException e)
            {
                throw new InvalidDataException(e.Message, e);
            }

            var target = Runtime.TorchRuntime.ResolveDevice(device);
            if (target.type != DeviceType.CPU)
            {
                model.to(target);
            }

            model.eval();
            return model;
        }
        catch
        {
            if (model is null)
            {
                backbone.Dispose();
            }

            model?.Dispose();
            throw;
        }
    }

    private sealed class Description
    {
        public string LibraryVersion { get; set; } = string.Empty;

        public string Backbone { get; set; } = string.Empty;

        public long FeatureDim { get; set; }

        public int FeatureStride { get; set; } = 32;

        public CausalLabelVariant Variant { get; set; }

        public List<string> Labels { get; set; } = [];

        public CausalLabelOptions? Options { get; set; }
    }
}
