namespace CausalVision.Training;

/// <summary>
/// Where a training run stands: everything a resume needs besides the weights and the
/// optimiser state (which travel in the same checkpoint file).
/// </summary>
/// <param name="Stage">The training stage (e.g. 1 = VSCNet stage 1, 2 = stage 2); 0 for single-stage runs.</param>
/// <param name="Epoch">The number of epochs completed in this stage.</param>
/// <param name="GlobalStep">Optimiser steps taken over the whole run.</param>
/// <param name="Seed">The run's seed (data order and initialisation derive from it).</param>
/// <param name="Metrics">The latest evaluation metrics (name to value).</param>
public sealed record TrainingState(int Stage, int Epoch, long GlobalStep, long Seed, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Gets the run's settings (name to invariant-culture value) a resume must agree with, or null when not recorded.</summary>
    public IReadOnlyDictionary<string, string>? Configuration { get; init; }

    /// <summary>Gets the summaries of every finished epoch of the run so far (earlier runs included), or null when not recorded.</summary>
    public IReadOnlyList<EpochSummary>? History { get; init; }

    /// <summary>Gets the state of a run that has not started.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <returns>Epoch 0, step 0, no metrics.</returns>
    public static TrainingState Start(long seed) => new(0, 0, 0, seed, new Dictionary<string, double>());
}
