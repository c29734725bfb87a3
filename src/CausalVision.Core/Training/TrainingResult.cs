namespace CausalVision.Training;

/// <summary>The outcome of a trainer's run (<see cref="ClassifierTrainer.Fit"/>, <c>VscNetTrainer.Run</c>,
/// <c>CausalLabelTrainer.Train</c>): the epochs, the whole history, the last metrics and the checkpoint.</summary>
/// <param name="Epochs">The epochs trained by this call (a resumed run lists only the new ones).</param>
/// <param name="FirstEpoch">The 1-based epoch this call started at (greater than 1 after a resume).</param>
/// <param name="Metrics">The last evaluation metrics (empty when there was no evaluation set).</param>
/// <param name="Elapsed">Wall time of this call.</param>
/// <param name="CheckpointPath">The checkpoint written each epoch, or null.</param>
public sealed record TrainingResult(IReadOnlyList<EpochSummary> Epochs, int FirstEpoch, IReadOnlyDictionary<string, double> Metrics, TimeSpan Elapsed, string? CheckpointPath)
{
    /// <summary>Gets every finished epoch of the run, those of earlier (resumed) calls first; equal to <see cref="Epochs"/> on a fresh start.</summary>
    public IReadOnlyList<EpochSummary> History { get; init; } = Epochs;

    /// <summary>Gets the optimiser steps taken by the whole run so far (earlier, resumed calls included); 0 when the trainer does not count them.</summary>
    public long GlobalStep { get; init; }
}
