// One file per trained VSCNet: a safetensors file whose tensors are the state dict (plus the exemplar hierarchy's
// bytes) and whose __metadata__ holds everything needed to rebuild the model: options, class and tag names, backbone,
// stage, library version. Readable by any safetensors reader (e.g. Python's). Version 2 stores the options with the
// component options nested as they are; version 1 files (the options' own mirror sections) are read and mapped.
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using CausalVision.Backbones;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Graph.Cim;
using CausalVision.Vscnet.Fusion;
using CausalVision.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Vscnet;

/// <summary>Saves and loads a whole trained <see cref="VscNet"/> in one call (see <see cref="VscNet.Save"/> and <see cref="VscNet.Load"/>).</summary>
/// <remarks>
/// <para>Layout: a safetensors file. Tensors: the model's state dict under its PyTorch-style keys, and (when a hierarchy is
/// installed) <c>__hierarchy__</c>, the hierarchy's own serialisation as UInt8. Metadata: <c>format</c> =
/// <see cref="Format"/>, <c>description</c> = JSON with the options (<see cref="VscNetOptions"/> as it is), names,
/// backbone, stage and library version.</para>
/// <para>Version 1 (<c>causalvision.vscnet/1</c>, written before the options nested the component options) is still read:
/// its option sections <c>Har</c>, <c>Graph</c>, <c>Cim</c> and <c>Fusion</c> and <c>Training.AlphaL</c> are mapped onto
/// the current options (e.g. <c>Har.AlphaF</c> to <c>Refinement.AlphaF</c>, <c>Graph.HiddenFeatures</c> to both
/// <c>GraphEncoder</c> and <c>Cim</c>, <c>Cim.InterveneAtEvaluation</c> to <c>Cim.EvaluationConfounders</c>,
/// <c>Fusion.SoftmaxKnowledge</c> to <c>Fusion.Knowledge</c>, <c>Fusion.Prediction</c> to <c>Prediction</c>,
/// <c>Training.AlphaL</c> to <c>Fva.Loss.LocatingLossWeight</c>); the model rebuilt is the same. <see cref="Save"/> writes
/// version 2.</para>
/// <para>Loading rebuilds the model from the description with <see cref="VscNetBuilder"/> (a backbone from the registry, or a
/// <see cref="PrecomputedBackbone"/>), then copies the weights strictly: a missing, unexpected or differently shaped tensor
/// refuses the file and names the parameter and both shapes.</para>
/// </remarks>
public static class VscNetModelFile
{
    /// <summary>The value of the <c>format</c> metadata entry.</summary>
    public const string Format = "causalvision.vscnet/2";

    /// <summary>The format tag of version 1 (the options' mirror sections), which <see cref="Load"/> still reads.</summary>
    internal const string FormatV1 = "causalvision.vscnet/1";

    private const string HierarchyKey = "__hierarchy__";

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };


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

    /// <summary>Rebuilds a model saved by <see cref="Save"/> (this version or version 1), in evaluation mode, in the
    /// saved stage, with its hierarchy. The weights come from the file; TorchSharp's global generator is not seeded.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">"cpu", "cuda" or "auto"; default "cpu".</param>
    /// <returns>The model (owned by the caller; it owns the loaded hierarchy).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a VSCNet model file, or its description or weights do not fit
    /// (the message names the parameter and both shapes).</exception>
    public static VscNet Load(string path, string device = "cpu")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var file = ReadFile(path, out var description);
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

    /// <summary>Loads the tensors and the description of a version 2 or version 1 file.</summary>
    private static NamedTensors ReadFile(string path, out Description description)
    {
        var file = SafeTensors.Load(path);
        try
        {
            if (!file.Metadata.TryGetValue("format", out var tag) || (tag != Format && tag != FormatV1) || !file.Metadata.TryGetValue("description", out var json))
            {
                throw new InvalidDataException($"'{path}' is not a VSCNet model file (metadata 'format' must be '{Format}', or '{FormatV1}' for files of the first version).");
            }

            try
            {
                var node = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("the description is not a JSON object");
                if (tag == FormatV1)
                {
                    UpgradeV1(node);
                }

                description = node.Deserialize<Description>(Json) ?? throw new JsonException("empty description");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}': the model description is not valid: {e.Message}", e);
            }

            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Maps a version 1 description (mirror option sections) onto the current options, in place.</summary>
    /// <param name="description">The description's JSON.</param>
    private static void UpgradeV1(JsonObject description)
    {
        description["Format"] = Format;
        if (description["Options"] is not JsonObject o)
        {
            return;
        }

        var har = Take(o, "Har") as JsonObject;
        var graph = Take(o, "Graph") as JsonObject;
        var cim = Take(o, "Cim") as JsonObject;
        var fusion = Take(o, "Fusion") as JsonObject;

        // Har: hierarchy, matching and vote to the top level; alpha_f, tau and the kept tags to the refinement (eq. 7).
        Move(har, "Hierarchy", o, "Hierarchy");
        Move(har, "TagSource", o, "HierarchyTagSource");
        Move(har, "Similarity", o, "PrototypeSimilarity");
        Move(har, "CandidateTags", o, "CandidateTags");
        Move(har, "Vote", o, "Vote");
        var refinement = new JsonObject();
        Move(har, "AlphaF", refinement, "AlphaF");
        Move(har, "PrototypeTemperature", refinement, "PrototypeTemperature");
        Move(har, "TopTags", refinement, "TopK");
        o["Refinement"] = refinement;

        // Graph: the node width to the top level, the construction as the graph options (IncludePrototypes was
        // overwritten by the ablation: it is dropped), the GCN sizes to both the plain encoder and CIM's encoders.
        Move(graph, "NodeFeatures", o, "NodeFeatures");
        var construction = Take(graph, "Construction") as JsonObject ?? new JsonObject();
        construction.Remove("IncludePrototypes");
        o["Graph"] = construction;
        var encoder = new JsonObject();
        var module = new JsonObject();
        foreach (var key in new[] { "HiddenFeatures", "Layers", "Norm" })
        {
            if (graph?[key] is { } value)
            {
                encoder[key] = value.DeepClone();
                module[key] = value.DeepClone();
            }
        }

        o["GraphEncoder"] = encoder;

        // Cim: the same names (CausalLossKind's L2 / CrossEntropy are CimLossKind's), the evaluation-time intervention
        // as the module's evaluation confounders.
        foreach (var key in new[] { "LossKind", "KlWeight", "CausalWeight", "InterventionWeight", "MaskEncoderLayers", "MaskPlacement", "TrivialObjective", "MaskBudget", "MaskBudgetWeight" })
        {
            Move(cim, key, module, key);
        }

        if (Take(cim, "InterveneAtEvaluation") is { } intervene && intervene.GetValueKind() == JsonValueKind.True)
        {
            module["EvaluationConfounders"] = nameof(CimConfounders.RandomPermutation);
        }

        o["Cim"] = module;

        // Fusion: the prediction head to the top level, SoftmaxKnowledge as the fusion's knowledge input.
        Move(fusion, "Prediction", o, "Prediction");
        var fused = new JsonObject();
        foreach (var key in new[] { "FusedFeatures", "EvidenceWeight", "KnowledgeWeight" })
        {
            Move(fusion, key, fused, key);
        }

        if (Take(fusion, "SoftmaxKnowledge") is { } softmax)
        {
            fused["Knowledge"] = softmax.GetValueKind() == JsonValueKind.True ? nameof(KnowledgeInput.Logits) : nameof(KnowledgeInput.Probabilities);
        }

        o["Fusion"] = fused;

        // Training.AlphaL was alpha_l of eq. 15, which overrode the FVA loss's own weight.
        if (o["Training"] is JsonObject training && Take(training, "AlphaL") is { } alphaL)
        {
            if (o["Fva"] is not JsonObject fva)
            {
                o["Fva"] = fva = new JsonObject();
            }

            if (fva["Loss"] is not JsonObject loss)
            {
                fva["Loss"] = loss = new JsonObject();
            }

            loss["LocatingLossWeight"] = alphaL;
        }

        static JsonNode? Take(JsonObject? from, string key)
        {
            if (from is null || !from.TryGetPropertyValue(key, out var value))
            {
                return null;
            }

            from.Remove(key);
            return value;
        }

        static void Move(JsonObject? from, string key, JsonObject to, string newKey)
        {
            if (Take(from, key) is { } value)
            {
                to[newKey] = value;
            }
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
