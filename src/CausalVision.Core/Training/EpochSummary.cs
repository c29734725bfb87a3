namespace CausalVision.Training;

/// <summary>One finished epoch of a training run.</summary>
/// <param name="Epoch">The 1-based epoch.</param>
/// <param name="TrainLoss">The mean training loss.</param>
/// <param name="LearningRate">The learning rate used.</param>
/// <param name="Metrics">Evaluation metrics after the epoch (empty when it was not evaluated).</param>
/// <param name="Elapsed">Wall time of the epoch, evaluation included.</param>
public sealed record EpochSummary(int Epoch, double TrainLoss, double LearningRate, IReadOnlyDictionary<string, double> Metrics, TimeSpan Elapsed);
