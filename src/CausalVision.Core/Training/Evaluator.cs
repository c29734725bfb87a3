// Scores a classifier on a dataset and turns the scores into the paper metrics via the Metrics suite.
using CausalVision.Data;
using CausalVision.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Training;

/// <summary>Evaluation helpers shared by the trainers: prediction in dataset order and the standard metric sets.</summary>
public static class Evaluator
{
    /// <summary>
    /// Runs <paramref name="model"/> over every batch of <paramref name="loader"/> in eval mode without
    /// gradients and collects probabilities (softmax, or sigmoid when <paramref name="multiLabel"/>),
    /// labels and targets. The model's training mode is restored afterwards.
    /// </summary>
    /// <param name="model">A classifier returning logits [B, C].</param>
    /// <param name="loader">The loader; use one without shuffling to keep dataset order.</param>
    /// <param name="device">Where the model runs.</param>
    /// <param name="multiLabel">Sigmoid (true) or softmax (false) scores.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The predictions.</returns>
    /// <exception cref="ArgumentException">The dataset is empty, or the logits do not have the dataset's class count.</exception>
    public static Predictions Predict(nn.Module<Tensor, Tensor> model, DataLoader loader, Device device, bool multiLabel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(device);
        var n = loader.Dataset.Count;
        var c = loader.Dataset.Info.ClassCount;
        if (n == 0)
        {
            throw new ArgumentException($"Dataset '{loader.Dataset.Info.Name}' is empty; nothing to evaluate.", nameof(loader));
        }

        var scores = new double[n, c];
        var targets = new bool[n, c];
        var labels = new int[n];
        var ids = new string[n];
        var row = 0;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in loader.GetBatches(0, cancellationToken))
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    var logits = model.call(batch.Images.to(device));
                    if (logits.dim() != 2 || logits.shape[1] != c || logits.shape[0] != batch.Size)
                    {
                        throw new ArgumentException(
                            $"The model outputs logits of shape [{string.Join(", ", logits.shape)}] but dataset '{loader.Dataset.Info.Name}' has {c} classes: build the model with the dataset's class count.",
                            nameof(model));
                    }

                    // float64: float32 sigmoids tie at exactly 1 above logit ~16.6, which changes AP.
                    var probs = multiLabel ? torch.sigmoid(logits.to(float64)) : torch.softmax(logits, 1);
                    var block = MetricTensors.ToScores(probs);
                    var t = MetricTensors.ToTargets(batch.LabelTargets);
                    for (var i = 0; i < batch.Size; i++)
                    {
                        for (var j = 0; j < c; j++)
                        {
                            scores[row + i, j] = block[i, j];
                            targets[row + i, j] = t[i, j];
                        }

                        ids[row + i] = batch.Ids[i];
                    }

                    MetricTensors.ToLabels(batch.Labels).CopyTo(labels, row);
                }

                row += batch.Size;
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        if (row != n)
        {
            throw new InvalidOperationException($"The loader produced {row} of {n} samples (DropLast on an evaluation loader?).");
        }

        return new Predictions(scores, labels, targets, ids);
    }

    /// <summary>Acc@1 and Acc@5 (<see cref="MetricNames.Acc1"/>, <see cref="MetricNames.Acc5"/>; top-C when C &lt; 5) over the labelled images.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">No image is labelled.</exception>
    public static IReadOnlyDictionary<string, double> SingleLabel(Predictions predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var keep = Enumerable.Range(0, predictions.Count).Where(i => predictions.Labels[i] >= 0).ToArray();
        if (keep.Length == 0)
        {
            throw new ArgumentException("No evaluation image has a class label; single-label metrics need labels.", nameof(predictions));
        }

        var c = predictions.Scores.GetLength(1);
        var scores = new double[keep.Length, c];
        var labels = new int[keep.Length];
        for (var r = 0; r < keep.Length; r++)
        {
            labels[r] = predictions.Labels[keep[r]];
            for (var j = 0; j < c; j++)
            {
                scores[r, j] = predictions.Scores[keep[r], j];
            }
        }

        return new Dictionary<string, double>
        {
            [MetricNames.Acc1] = SingleLabelMetrics.TopKAccuracy(scores, labels, 1),
            [MetricNames.Acc5] = SingleLabelMetrics.TopKAccuracy(scores, labels, Math.Min(5, c)),
        };
    }

    /// <summary>
    /// mAP, CF1 and OF1 (threshold 0.5 on the sigmoid scores), P@3 and R@3 (per-image top-3; top-C when C &lt; 3).
    /// </summary>
    /// <param name="predictions">The predictions (sigmoid scores).</param>
    /// <returns>The metrics, keyed by <see cref="MetricNames"/>.</returns>
    public static IReadOnlyDictionary<string, double> MultiLabel(Predictions predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var k = Math.Min(3, predictions.Scores.GetLength(1));
        var map = MultiLabelMetrics.MeanAveragePrecision(predictions.Scores, predictions.Targets);
        var pr = MultiLabelMetrics.PrecisionRecall(predictions.Scores, predictions.Targets, 0.5);
        var atK = MultiLabelMetrics.PrecisionRecallAtK(predictions.Scores, predictions.Targets, k);
        return new Dictionary<string, double>
        {
            [MetricNames.MeanAveragePrecision] = map.Map,
            [MetricNames.CF1] = pr.CF1,
            [MetricNames.OF1] = pr.OF1,
            [MetricNames.PrecisionAt3] = atK.Precision,
            [MetricNames.RecallAt3] = atK.Recall,
        };
    }

    /// <summary>The metric set of the task: <see cref="MultiLabel(Predictions)"/> or <see cref="SingleLabel(Predictions)"/>.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="multiLabel">Whether the task is multi-label.</param>
    /// <returns>The metrics.</returns>
    public static IReadOnlyDictionary<string, double> Metrics(Predictions predictions, bool multiLabel) =>
        multiLabel ? MultiLabel(predictions) : SingleLabel(predictions);
}
