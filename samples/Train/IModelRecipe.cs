// The model registry of samples/Train. A recipe builds a model, trains it and evaluates it; adding
// a model (e.g. "vscnet", "causal-labels") is one new file with a class implementing IModelRecipe:
// ModelRecipes finds every such class in this assembly, so nothing else changes.
using CausalVision.Imaging.Transforms;
using CausalVision.Training;

namespace CausalVision.Samples.Train;

/// <summary>A trainable model for <c>--model</c>.</summary>
public interface IModelRecipe
{
    /// <summary>Gets the <c>--model</c> name (lower case).</summary>
    string Name { get; }

    /// <summary>Gets a one-line description for <c>--help</c>.</summary>
    string Description { get; }

    /// <summary>Builds, trains (or resumes) and evaluates the model.</summary>
    /// <param name="context">The data, transforms and run settings.</param>
    /// <returns>Metrics per evaluation split, the epoch history and the checkpoint.</returns>
    /// <exception cref="UsageException">A setting does not fit this model (e.g. an unknown backbone).</exception>
    RecipeResult Run(RecipeContext context);
}

/// <summary>Everything a recipe needs.</summary>
/// <param name="Arguments">The parsed command line.</param>
/// <param name="Data">The training split, the evaluation split and any extra evaluation splits.</param>
/// <param name="TrainTransform">The training transform (resize/crop/augment/normalise to <paramref name="ImageSize"/>).</param>
/// <param name="EvalTransform">The evaluation transform.</param>
/// <param name="ImageSize">The image side.</param>
/// <param name="Progress">The progress display.</param>
public sealed record RecipeContext(TrainArguments Arguments, LoadedData Data, IImageTransform TrainTransform, IImageTransform EvalTransform, int ImageSize, IProgress<TrainingProgress> Progress)
{
    /// <summary>Gets the trainer options the command line implies (checkpoints in <c>--out</c>).</summary>
    /// <returns>Fresh options.</returns>
    public TrainerOptions TrainerOptions() => new()
    {
        Epochs = Arguments.Epochs,
        BatchSize = Arguments.Batch,
        LearningRate = Arguments.LearningRate,
        Device = Arguments.Device,
        Seed = Arguments.Seed,
        Workers = Arguments.Workers,
        CheckpointDirectory = Arguments.Out,
        AcceptResumeMismatch = Arguments.Force,
    };
}

/// <summary>What a recipe reports.</summary>
/// <param name="Metrics">Metrics per evaluation split name ("test", then e.g. "test_ood").</param>
/// <param name="Epochs">The epochs trained by this run.</param>
/// <param name="CheckpointPath">The checkpoint file.</param>
public sealed record RecipeResult(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Metrics, IReadOnlyList<EpochSummary> Epochs, string? CheckpointPath);

/// <summary>Every <see cref="IModelRecipe"/> in this assembly, by name.</summary>
public static class ModelRecipes
{
    /// <summary>Gets the recipes by name.</summary>
    public static IReadOnlyDictionary<string, IModelRecipe> All { get; } = typeof(IModelRecipe).Assembly.GetTypes()
        .Where(t => typeof(IModelRecipe).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
        .Select(t => (IModelRecipe)Activator.CreateInstance(t)!)
        .ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Finds a recipe.</summary>
    /// <param name="name">The <c>--model</c> name.</param>
    /// <returns>The recipe.</returns>
    /// <exception cref="UsageException">No recipe has that name.</exception>
    public static IModelRecipe Get(string name) => All.TryGetValue(name, out var r)
        ? r
        : throw new UsageException($"unknown model '{name}'; available: {string.Join(", ", All.Keys.Order())}.");
}
