namespace CausalVision.Training;

/// <summary>What one pass of <see cref="TrainingLoop.RunEpoch"/> did.</summary>
/// <param name="MeanLoss">The loss averaged over samples (each batch's mean loss weighted by its size).</param>
/// <param name="Steps">The optimiser steps taken.</param>
/// <param name="Samples">The samples seen.</param>
public sealed record EpochStats(double MeanLoss, int Steps, long Samples);
