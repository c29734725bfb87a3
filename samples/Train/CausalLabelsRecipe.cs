// --model causal-labels: paper B's causal label-correlation model (label-specific features, a K-means
// confounder dictionary over the frozen backbone's spatial features, NWGM intervention), trained in three
// stages by CausalVision.CausalLabels.Confounders.CausalLabelPipeline. Multi-label datasets (NUS-WIDE, COCO,
// DeepFashion attributes, multi-label manifests); --epochs is stage 1's, the causal head gets half.
using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.CausalLabels.Confounders;
using CausalVision.Data;
using CausalVision.Training;

namespace CausalVision.Samples.Train;

/// <summary>Causal label correlations (paper B): backbone + label-query decoder + confounder intervention.</summary>
public sealed class CausalLabelsRecipe : IModelRecipe
{
    /// <inheritdoc />
    public string Name => "causal-labels";

    /// <inheritdoc />
    public string Description => "paper B: label queries + K-means confounders + backdoor intervention (multi-label data)";

    /// <inheritdoc />
    public RecipeResult Run(RecipeContext context)
    {
        var a = context.Arguments;
        if (!BackboneRegistry.Contains(a.Backbone))
        {
            throw new UsageException($"unknown backbone '{a.Backbone}'; available: {string.Join(", ", BackboneRegistry.Names)}.");
        }

        var data = context.Data;
        if (!data.Train.Info.MultiLabel)
        {
            throw new UsageException($"dataset '{data.Train.Info.Name}' is single-label; causal-labels is a multi-label model (use --model baseline or vscnet).");
        }

        var cross = CrossDatasetEvaluation.Prepare(context);
        var pairs = BiasedPairSelection.Resolve(context);

        // The same training recipe as the other models (--augment; by default flips only, never a crop that could cut
        // a labelled object out); the trainer batches the images as they are, and both transforms give the same size.
        var train = new TransformedImageDataset(data.Train, context.TrainTransform, a.Seed);
        var test = new TransformedImageDataset(data.Test, context.EvalTransform, a.Seed);
        using var model = new CausalLabelModelBuilder()
            .WithBackbone(a.Backbone)
            .WithLabels(data.Train.Info.Classes)
            .WithVariant(CausalLabelVariant.Causal)
            .WithSeed(a.Seed)
            .Build();
        var evaluation = CausalLabelPipeline.Run(
            model,
            train,
            test,
            new CausalLabelTrainerOptions
            {
                Stage1Epochs = a.Epochs,
                CausalEpochs = Math.Max(1, a.Epochs / 2),
                BatchSize = a.Batch,
                LearningRate = a.LearningRate,
                Seed = a.Seed,
                Device = a.Device,
                CheckpointDirectory = a.Out,
                Resume = a.Resume,
            },
            pairs,
            progress: context.Progress);
        var metrics = new Dictionary<string, IReadOnlyDictionary<string, double>> { ["test"] = evaluation.ToDictionary() };
        if (cross is not null)
        {
            // The trained model keeps the dictionary in its buffers, so the fused (intervened) logits are scored.
            metrics["cross"] = cross.Run(model);
        }

        // The per-epoch history (both trained stages) travels in the checkpoint the trainer writes every epoch.
        var checkpoint = Path.Combine(a.Out, CausalLabelTrainer.CheckpointFileName);
        var history = File.Exists(checkpoint) ? Checkpoint.ReadState(checkpoint).History ?? [] : [];
        return new RecipeResult(metrics, history, checkpoint);
    }
}
