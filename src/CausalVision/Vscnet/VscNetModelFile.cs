// One file per trained VSCNet: a safetensors file whose tensors are the state dict (plus the exemplar hierarchy's
// bytes) and whose __metadata__ holds everything needed to rebuild the model: options, class and tag names, backbone,
// stage, library version. Readable by any safetensors reader (e.g. Python's).
using System.Reflection;
using CausalVision.Backbones;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Vscnet;

/// <summary>Saves and loads a whole trained <see cref="VscNet"/> in one call (see <see cref="VscNet.Save"/> and <see cref="VscNet.Load"/>).</summary>
/// <remarks>
/// <para>Layout: a safetensors file. Tensors: the model's state dict under its PyTorch-style keys, and (when a hierarchy is
/// installed) <c>__hierarchy__</c>, the hierarchy's own serialisation as UInt8. Metadata: <c>format</c> =
/// <see cref="Format"/>, <c>description</c> = JSON with the options, names, backbone, stage and library version.</para>
/// <para>Loading rebuilds the model from the description with <see cref="VscNetBuilder"/> (a backbone from the registry, or a
/// <see cref="PrecomputedBackbone"/>), then copies the weights strictly: a missing, unexpected or differently shaped tensor
/// refuses the file and names the parameter and both shapes.</para>
/// </remarks>
public static class VscNetModelFile
{
    /// <summary>The value of the <c>format</c> metadata entry.</summary>
    public const string Format = "causalvision.vscnet/1";

    private const string HierarchyKey = "__hierarchy__";


    /// <summary>Writes the model (weights, options, names, stage and hierarchy) to <paramref name="path"/> (atomically).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The file to write (conventionally <c>.safetensors</c>).</param>
    public static void Save(VscNet model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var description = new Description
        {
            Format = Format,
            LibraryVersion = typeof(VscNet).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            Backbone = model.Backbone.BackboneName,
            FeatureDim = model.Backbone.FeatureDim,
            FeatureStride = model.Backbone.FeatureStride,
            Tags = [.. model.TagNames],
            Classes = [.. model.ClassNames],
            MultiLabel = model.MultiLabel,
            Stage = model.Stage,
            Options = model.Options,
        };
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in model.state_dict())
        {
            tensors[key] = t.detach().cpu();
        }

        if (model.Hierarchy is { } h)
        {
            using var buffer = new MemoryStream();
            h.Save(buffer);
            tensors[HierarchyKey] = tensor(buffer.ToArray(), dtype: ScalarType.Byte);
        }

        DescribedSafeTensors.Save(path, tensors, Format, description);
    }

    /// <summary>Rebuilds a model saved by <see cref="Save"/>, in evaluation mode, in the saved stage, with its hierarchy.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">"cpu", "cuda" or "auto"; default "cpu".</param>
    /// <returns>The model (owned by the caller; it owns the loaded hierarchy).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a VSCNet model file, or its description or weights do not fit
    /// (the message names the parameter and both shapes).</exception>
    public static VscNet Load(string path, string device = "cpu")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var file = DescribedSafeTensors.Load<Description>(path, Format, "VSCNet model file", out var description);
        if (description.Options is null || description.Tags.Count == 0 || description.Classes.Count < 2 || string.IsNullOrWhiteSpace(description.Backbone))
        {
            throw new InvalidDataException($"'{path}': the model description lacks options, tags, classes or the backbone.");
        }

        var options = description.Options;
        options.Training.Device = device;
        var builder = new VscNetBuilder()
            .WithTagVocabulary(description.Tags)
            .WithClasses(description.Classes)
            .WithMultiLabel(description.MultiLabel)
            .Configure(o => options.ShareInto(o));
        if (description.Backbone == PrecomputedBackbone.Name)
        {
            builder.WithBackbone(new PrecomputedBackbone(description.FeatureDim, description.FeatureStride));
        }
        else if (!BackboneRegistry.Contains(description.Backbone))
        {
            throw new InvalidDataException($"'{path}' was saved with the backbone '{description.Backbone}', which is not registered here; register it with BackboneRegistry.Register(\"{description.Backbone}\", ...) before loading. Known: {string.Join(", ", BackboneRegistry.Names)}.");
        }
        else
        {
            // The weights come from the file; only the ONNX backbone needs its graph file (it defines the architecture).
            var bo = options.Backbone.Options.Clone();
            if (description.Backbone != ImageNetResNet18.RegistryName)
            {
                bo.PretrainedPath = null;
            }

            bo.NumClasses = 0;
            builder.WithBackbone(Backbone.Create(description.Backbone, bo));
        }

        VscNet? model = null;
        try
        {
            model = builder.Build();
            var weights = file.Where(kv => kv.Key != HierarchyKey).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            try
            {
                StateDictLoader.Load(model, weights, sourceName: path);
            }
            catch (StateDictMismatchException e)
            {
                throw new InvalidDataException(e.Message, e);
            }

            if (file.TryGetValue(HierarchyKey, out var bytes))
            {
                using var stream = new MemoryStream(bytes.data<byte>().ToArray());
                model.OwnHierarchy(ExemplarHierarchy.Load(stream));
            }

            var target = Runtime.TorchRuntime.ResolveDevice(device);
            if (target.type != DeviceType.CPU)
            {
                model.to(target);
            }

            model.eval();
            if (description.Stage == VscNetStage.Classification)
            {
                model.SetStage(VscNetStage.Classification);
            }

            return model;
        }
        catch
        {
            model?.Dispose();
            throw;
        }
    }


    private sealed class Description
    {
        public string Format { get; set; } = string.Empty;

        public string LibraryVersion { get; set; } = string.Empty;

        public string Backbone { get; set; } = string.Empty;

        public long FeatureDim { get; set; }

        public int FeatureStride { get; set; } = 32;

        public List<string> Tags { get; set; } = [];

        public List<string> Classes { get; set; } = [];

        public bool MultiLabel { get; set; }

        public VscNetStage Stage { get; set; } = VscNetStage.Alignment;

        public VscNetOptions? Options { get; set; }
    }
}
