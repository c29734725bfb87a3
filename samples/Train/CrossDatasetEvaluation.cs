// Cross-dataset evaluation (paper B's protocol): a model trained on one label space is scored on another
// dataset through a label mapping file. Scores of mapped source labels are carried onto their target labels
// (the maximum when several map onto one), only mapped target labels are scored, and the multi-label metric
// suite runs on the result.
using CausalVision.Data;
using CausalVision.Metrics;
using CausalVision.Runtime;
using CausalVision.Training;
using TorchSharp;

namespace CausalVision.Samples.Train;

/// <summary>Runs <c>--label-map</c> / <c>--cross-data</c>: <see cref="Prepare"/> loads and checks the cross dataset and
/// the mapping before training (a bad file fails in seconds, not after the run), <see cref="Run"/> scores the trained
/// model.</summary>
public sealed class CrossDatasetEvaluation
{
    private readonly IImageDataset cross;
    private readonly LabelMapping mapping;
    private readonly RecipeContext context;

    private CrossDatasetEvaluation(IImageDataset cross, LabelMapping mapping, RecipeContext context)
    {
        this.cross = cross;
        this.mapping = mapping;
        this.context = context;
    }

    /// <summary>Loads the cross dataset and the label mapping when <c>--label-map</c> is given.</summary>
    /// <param name="context">The run (arguments, the training label space, the evaluation transform).</param>
    /// <returns>The evaluation, or null without <c>--label-map</c>.</returns>
    /// <exception cref="UsageException">Single-label training data, or no <c>--cross-data</c> for a real layout.</exception>
    public static CrossDatasetEvaluation? Prepare(RecipeContext context)
    {
        var a = context.Arguments;
        if (a.LabelMap is null)
        {
            return null;
        }

        if (!context.Data.Train.Info.MultiLabel)
        {
            throw new UsageException("--label-map evaluates multi-label models; the training data is single-label.");
        }

        var layout = a.CrossLayout ?? a.Layout;
        var crossArgs = new List<string> { "--layout", layout };
        if (a.CrossData is not null)
        {
            crossArgs.AddRange(["--data", a.CrossData]);
        }
        else if (layout != "synthetic")
        {
            throw new UsageException("--label-map needs --cross-data (the dataset with the other label space).");
        }

        if (a.CrossSplit is not null)
        {
            crossArgs.AddRange(["--split-test", a.CrossSplit]);
        }

        if (a.MultiLabel)
        {
            crossArgs.Add("--multi-label");
        }

        var cross = DatasetLayouts.Load(TrainArguments.Parse(crossArgs)).Test;
        var mapping = LabelMapping.Load(a.LabelMap, context.Data.Train.Info.Classes, cross.Info.Classes);
        return new CrossDatasetEvaluation(cross, mapping, context);
    }

    /// <summary>Scores <paramref name="model"/> on the cross dataset through the label mapping.</summary>
    /// <param name="model">The trained multi-label model.</param>
    /// <returns>The metrics on the mapped labels.</returns>
    public IReadOnlyDictionary<string, double> Run(torch.nn.Module<torch.Tensor, torch.Tensor> model)
    {
        var a = context.Arguments;
        var loader = new DataLoader(cross, new DataLoaderOptions { BatchSize = a.Batch, Workers = a.Workers }, context.EvalTransform);
        var predictions = Evaluator.Predict(model, loader, TorchRuntime.ResolveDevice(a.Device), multiLabel: true);
        var mapped = new Predictions(mapping.MapScores(predictions.Scores), predictions.Labels, mapping.SelectTargets(predictions.Targets), predictions.Ids);
        return Evaluator.MultiLabel(mapped);
    }
}
