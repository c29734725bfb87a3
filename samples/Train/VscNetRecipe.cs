// --model vscnet: the full VSCNet (FVA + HAR + CIM + fusion) trained in two stages by VscNetTrainer.
// The dataset must carry tags (e.g. Ingredient-101 ingredients, NUS-WIDE tags, or the synthetic
// benchmark's objects): they supervise the Cascaded Spatial Net and build the exemplar hierarchy.
using CausalVision.Backbones;
using CausalVision.Vscnet;
using CausalVision.Training;

namespace CausalVision.Samples.Train;

/// <summary>VSCNet (AAAI 2025): stage 1 (L_AL), the exemplar hierarchy, stage 2 (L_ff) with the CSNet frozen.</summary>
public sealed class VscNetRecipe : IModelRecipe
{
    /// <inheritdoc />
    public string Name => "vscnet";

    /// <inheritdoc />
    public string Description => "VSCNet: FVA regions + tags, exemplar hierarchy, causal graph masking, fusion (needs tags); --epochs per stage";

    /// <inheritdoc />
    public RecipeResult Run(RecipeContext context)
    {
        var a = context.Arguments;
        if (!BackboneRegistry.Contains(a.Backbone))
        {
            throw new UsageException($"unknown backbone '{a.Backbone}'; available: {string.Join(", ", BackboneRegistry.Names)}.");
        }

        if (a.LabelMap is not null)
        {
            throw new UsageException("--label-map (cross-dataset evaluation) is wired for --model baseline and causal-labels, not vscnet.");
        }

        var data = context.Data;
        if (data.Train.Info.TagCount == 0)
        {
            throw new UsageException($"dataset '{data.Train.Info.Name}' has no tag vocabulary; VSCNet needs tags (use --model baseline).");
        }

        using var model = new VscNetBuilder()
            .ForDataset(data.Train.Info)
            .WithBackbone(a.Backbone)
            .WithSeed(a.Seed)
            .Configure(o =>
            {
                o.Backbone.Options.ImageSize = context.ImageSize;
                o.Backbone.Options.Seed = a.Seed;
                o.Training.Stage1Epochs = a.Epochs;
                o.Training.Stage2Epochs = a.Epochs;
                o.Training.BatchSize = a.Batch;
                o.Training.LearningRate = a.LearningRate;
                o.Training.Device = a.Device;
                o.Training.Seed = a.Seed;
                o.Training.CheckpointDirectory = a.Out;
            })
            .Build();
        using var trainer = new VscNetTrainer(model) { TrainTransform = context.TrainTransform, EvalTransform = context.EvalTransform };
        if (!a.Resume && Directory.Exists(a.Out))
        {
            // A fresh run must not pick up the stage checkpoints of an earlier one in the same folder.
            foreach (var stale in new[] { "stage1.ckpt", "stage2.ckpt", "hierarchy.vse" })
            {
                File.Delete(Path.Combine(a.Out, stale));
            }
        }

        var run = trainer.Run(data.Train, data.Test, context.Progress);
        var metrics = new Dictionary<string, IReadOnlyDictionary<string, double>>
        {
            ["test"] = run.Metrics,
        };
        foreach (var (name, split) in data.ExtraTests)
        {
            metrics[name] = trainer.Evaluate(split);
        }

        return new RecipeResult(metrics, run.History, Path.Combine(a.Out, "stage2.ckpt"));
    }
}
