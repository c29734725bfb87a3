// --model baseline: a registered backbone with a linear head, trained with ClassifierTrainer
// (cross-entropy, or BCE for multi-label datasets).
using CausalVision.Backbones;
using CausalVision.Data;
using CausalVision.Training;

namespace CausalVision.Samples.Train;

/// <summary>The non-causal baseline: <see cref="BackboneClassifier"/>.</summary>
public sealed class BaselineRecipe : IModelRecipe
{
    /// <inheritdoc />
    public string Name => "baseline";

    /// <inheritdoc />
    public string Description => "backbone + linear head (cross-entropy; BCE for multi-label data)";

    /// <inheritdoc />
    public RecipeResult Run(RecipeContext context)
    {
        var a = context.Arguments;
        if (!BackboneRegistry.Contains(a.Backbone))
        {
            throw new UsageException($"unknown backbone '{a.Backbone}'; available: {string.Join(", ", BackboneRegistry.Names)}.");
        }

        var data = context.Data;
        var cross = CrossDatasetEvaluation.Prepare(context);
        var pairs = BiasedPairSelection.Resolve(context);
        using var model = BackboneClassifier.Create(a.Backbone, data.Train.Info.ClassCount, new BackboneOptions
        {
            ImageSize = context.ImageSize,
            Seed = a.Seed,
        });
        var trainer = new ClassifierTrainer(model, context.TrainerOptions());
        var result = trainer.Fit(data.Train, context.TrainTransform, data.Test, context.EvalTransform, context.Progress, resume: a.Resume);
        IReadOnlyDictionary<string, double> Score(IImageDataset split, IReadOnlyDictionary<string, double>? known = null)
        {
            if (pairs is null)
            {
                return known ?? trainer.Evaluate(split, context.EvalTransform);
            }

            // Multi-label: exclusive / co-occur AP on the same (float64) scores as mAP.
            var predictions = trainer.Predict(split, context.EvalTransform);
            var metrics = known ?? Evaluator.Metrics(predictions, multiLabel: true);
            return BiasedPairSelection.WithPairs(metrics, predictions.Scores, predictions.Targets, pairs);
        }

        var metrics = new Dictionary<string, IReadOnlyDictionary<string, double>>
        {
            ["test"] = Score(data.Test, result.Epochs.Count > 0 && result.Metrics.Count > 0 ? result.Metrics : null),
        };
        foreach (var (name, split) in data.ExtraTests)
        {
            metrics[name] = Score(split);
        }

        if (cross is not null)
        {
            metrics["cross"] = cross.Run(model);
        }

        return new RecipeResult(metrics, result.History, result.CheckpointPath);
    }
}
