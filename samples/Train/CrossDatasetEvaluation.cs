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

/// <summary>Runs <c>--label-map</c> / <c>--cross-data</c>.</summary>
public static class CrossDatasetEvaluation
{
    /// <summary>Scores <paramref name="model"/> on the cross dataset through the label mapping.</summary>
    /// <param name="model">The trained multi-label model.</param>
    /// <param name="context">The run (arguments, the training label space, the evaluation transform).</param>
    /// <returns>The metrics on the mapped labels.</returns>
    public static IReadOnlyDictionary<string, double> Run(torch.nn.Module<torch.Tensor, torch.Tensor> model, RecipeContext context)
    {
        var a = context.Arguments;
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
        var mapping = LabelMapping.Load(a.LabelMap!, context.Data.Train.Info.Classes, cross.Info.Classes);
        var loader = new DataLoader(cross, new DataLoaderOptions { BatchSize = a.Batch, Workers = a.Workers }, context.EvalTransform);
        var predictions = Evaluator.Predict(model, loader, TorchRuntime.ResolveDevice(a.Device), multiLabel: true);
        var mapped = new Predictions(mapping.MapScores(predictions.Scores), predictions.Labels, mapping.SelectTargets(predictions.Targets), predictions.Ids);
        return Evaluator.MultiLabel(mapped);
    }
}
