// The top-level paper-B run a CLI calls in a few lines: train every stage (K-means dictionary by
// default) and evaluate with the metric suite.
using CausalVision.CausalLabels;
using CausalVision.Data;
using CausalVision.Metrics;
using CausalVision.Training;
using KMeansOptionsModel = CausalVision.Clustering.KMeans.KMeansOptions;

namespace CausalVision.CausalLabels.Confounders;

/// <summary>Trains and evaluates a <see cref="CausalLabelModel"/> with the K-means dictionary as the default stage-2 builder.</summary>
/// <example>
/// <code>
/// using var model = new CausalLabelModelBuilder().WithBackbone("resnet18").WithLabels(train.Info.Classes).Build();
/// var result = CausalLabelPipeline.Run(model, train, test, new CausalLabelTrainerOptions { CheckpointDirectory = "runs/b" });
/// Console.WriteLine($"mAP {result.Map:P1}");
/// </code>
/// </example>
public static class CausalLabelPipeline
{
    /// <summary>Runs every stage the model's variant needs, then evaluates on <paramref name="test"/>.</summary>
    /// <param name="model">The model (not owned).</param>
    /// <param name="train">The training set.</param>
    /// <param name="test">The test set.</param>
    /// <param name="options">Trainer options; null for defaults.</param>
    /// <param name="pairs">Biased pairs for exclusive / co-occur scores; optional.</param>
    /// <param name="dictionaryBuilder">Stage-2 builder; null = K-means with K = the model's K and the run's seed (Causal variant only).</param>
    /// <param name="progress">Progress sink; optional.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>The test metrics.</returns>
    public static CausalLabelEvaluation Run(
        CausalLabelModel model,
        IImageDataset train,
        IImageDataset test,
        CausalLabelTrainerOptions? options = null,
        IReadOnlyList<BiasedPair>? pairs = null,
        IConfounderDictionaryBuilder? dictionaryBuilder = null,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var o = options ?? new CausalLabelTrainerOptions();
        if (dictionaryBuilder is null && model.Variant == CausalLabelVariant.Causal)
        {
            dictionaryBuilder = new KMeansConfounderDictionaryBuilder(new KMeansOptionsModel { Clusters = model.NumConfounders, Seed = o.Seed });
        }

        using var trainer = new CausalLabelTrainer(model, o, dictionaryBuilder, progress);
        trainer.Train(train, null, pairs, cancellationToken);
        return trainer.Evaluate(test, pairs);
    }
}
