// Whole models by name (timm's create_model for the library's three models) and one Load for every model file.
using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.Data;
using CausalVision.Vscnet;
using CausalVision.Weights;
using TorchSharp;

namespace CausalVision;

/// <summary>
/// Creates the library's whole models by name — <c>"baseline"</c> (a backbone and a linear head), <c>"vscnet"</c>,
/// <c>"causal-labels"</c> — for a dataset, and loads any saved model file by the format tag in its metadata.
/// </summary>
/// <remarks>
/// <see cref="Create"/> gives each model its defaults (use the builders, <see cref="VscNetBuilder"/> and
/// <see cref="CausalLabelModelBuilder"/>, for anything else). <see cref="Load"/> reads the single-file formats
/// (<see cref="VscNet.Save"/>, <see cref="CausalLabelModel.Save"/>); a baseline is saved with
/// <c>CausalVision.Training.Checkpoint</c> and rebuilt with <see cref="Create"/>.
/// </remarks>
public static class ModelRegistry
{
    /// <summary>The baseline: a backbone and a linear head (<see cref="BackboneClassifier"/>).</summary>
    public const string Baseline = "baseline";

    /// <summary>VSCNet (<see cref="VscNet"/>); the dataset must have a tag vocabulary.</summary>
    public const string Vscnet = "vscnet";

    /// <summary>The causal label-correlation model (<see cref="CausalLabelModel"/>), for multi-label data.</summary>
    public const string CausalLabels = "causal-labels";

    /// <summary>Gets the registered model names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = [Baseline, CausalLabels, Vscnet];

    /// <summary>Creates a model for <paramref name="dataset"/> with its default options.</summary>
    /// <param name="name">A name of <see cref="Names"/> (case-insensitive).</param>
    /// <param name="dataset">The dataset's classes (and tags, for VSCNet).</param>
    /// <param name="backbone">A backbone registry name (<see cref="BackboneRegistry.Names"/>).</param>
    /// <returns>The model (the caller disposes it).</returns>
    /// <exception cref="ArgumentException">An unknown name, an unknown backbone, or a dataset the model cannot use.</exception>
    public static torch.nn.Module Create(string name, DatasetInfo dataset, string backbone = "resnet18")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(dataset);
        return name.ToLowerInvariant() switch
        {
            Baseline => BackboneClassifier.Create(backbone, dataset.ClassCount),
            // Seeded with the default training seed: the initial weights VSCNet's defaults have always given.
            Vscnet => new VscNetBuilder().ForDataset(dataset).WithBackbone(backbone).WithSeed(new VscTrainingOptions().Seed).Build(),
            CausalLabels => new CausalLabelModelBuilder().WithBackbone(backbone).WithLabels(dataset.Classes).Build(),
            _ => throw new ArgumentException($"Unknown model '{name}'; registered: {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>Gets the format tag of a saved model file (its <c>format</c> metadata), without loading its tensors.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The format tag, or null when the safetensors file has none.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a safetensors file.</exception>
    public static string? FormatOf(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return SafeTensors.ReadHeader(path).Metadata.TryGetValue("format", out var format) ? format : null;
    }

    /// <summary>Loads a saved model file, whichever model wrote it, ready for inference (eval mode).</summary>
    /// <param name="path">A file written by <see cref="VscNet.Save"/> or <see cref="CausalLabelModel.Save"/>.</param>
    /// <param name="device">The device to load onto.</param>
    /// <returns>The model (a <see cref="VscNet"/> or a <see cref="CausalLabelModel"/>; the caller disposes it).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a model file of this library, or it is malformed.</exception>
    public static torch.nn.Module Load(string path, string device = "cpu") => FormatOf(path) switch
    {
        VscNetModelFile.Format or VscNetModelFile.FormatV1 => VscNet.Load(path, device),
        CausalLabelModelFile.Format => CausalLabelModel.Load(path, device),
        var other => throw new InvalidDataException($"'{path}' is not a CausalVision model file (format '{other ?? "none"}'; expected '{VscNetModelFile.Format}' or '{CausalLabelModelFile.Format}')."),
    };
}
