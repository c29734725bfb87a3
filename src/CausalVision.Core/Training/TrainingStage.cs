// What a trainer hands to TrainingLoop.Run for one stage of epochs: the model, optimiser, loader and loss, the
// schedule, where to checkpoint and resume from, and the few hooks that are the trainer's own (the modes of an
// epoch, its evaluation, the run state it checkpoints). The loop owns everything else.
using CausalVision.Data;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Training;

/// <summary>One stage of epoch-based training, run by <see cref="TrainingLoop.Run"/>.</summary>
/// <remarks>
/// <para>Epochs are 0-based inside the loop: the stage runs epochs <c>StartEpoch .. Epochs - 1</c>, where the start
/// comes from <see cref="ResumeFrom"/> when that checkpoint exists and from <see cref="StartEpoch"/> otherwise.</para>
/// <para>Each epoch: <see cref="LearningRate"/> is set on every parameter group, <see cref="PrepareEpoch"/> puts
/// the model in its training modes, the batches of <see cref="ShuffleEpoch"/> are stepped through
/// (zero_grad, <see cref="Loss"/>, non-finite and scalar checks, backward, step), the weights are checked for
/// NaN or infinity, <see cref="Evaluate"/> runs, the <see cref="EpochSummary"/> joins the history,
/// <see cref="CheckpointState"/> is saved to <see cref="CheckpointPath"/>, and the epoch is logged and reported.</para>
/// </remarks>
public sealed class TrainingStage
{
    /// <summary>Gets the trainer's name in the start log line (e.g. <c>"VscNetTrainer stage 1"</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the stage number in progress reports, log lines and (when positive) the <c>"stage"</c> entry of
    /// each epoch's summary metrics; 0 for single-stage trainers.</summary>
    public int Stage { get; init; }

    /// <summary>Gets the model (put into training mode each epoch unless <see cref="PrepareEpoch"/> says otherwise).</summary>
    public required nn.Module Model { get; init; }

    /// <summary>Gets the optimiser over the stage's parameters.</summary>
    public required optim.Optimizer Optimizer { get; init; }

    /// <summary>Gets the training loader.</summary>
    public required DataLoader Loader { get; init; }

    /// <summary>Gets the device batches are moved to before <see cref="Loss"/>.</summary>
    public required Device Device { get; init; }

    /// <summary>Gets the number of epochs of the stage.</summary>
    public required int Epochs { get; init; }

    /// <summary>Gets the scalar loss of a batch already on <see cref="Device"/> (the step's forward pass).</summary>
    public required Func<Batch, Tensor> Loss { get; init; }

    /// <summary>Gets the learning rate of a 0-based epoch, set on every parameter group before the epoch.</summary>
    public required Func<int, double> LearningRate { get; init; }

    /// <summary>Gets the epoch number the loader's shuffle and augmentation are drawn for, from the 0-based epoch;
    /// null uses the epoch itself.</summary>
    public Func<int, int>? ShuffleEpoch { get; init; }

    /// <summary>Gets the number an epoch's <see cref="EpochSummary"/> carries, from the 0-based epoch; null numbers
    /// it after the history so far (history count + 1).</summary>
    public Func<int, int>? EpochNumber { get; init; }

    /// <summary>Gets whether the epoch's mean loss weights each batch by its size (a mean over samples); otherwise it
    /// is the mean over steps.</summary>
    public bool LossPerSample { get; init; }

    /// <summary>Gets whether a batch of one image is rejected when the model has BatchNorm layers (their training
    /// statistics would be undefined). Default true.</summary>
    public bool RejectBatchOfOne { get; init; } = true;

    /// <summary>Gets the context a libtorch error of an epoch's steps is reported with, from the 0-based epoch; null
    /// leaves libtorch errors to the caller.</summary>
    public Func<int, string>? NativeContext { get; init; }

    /// <summary>Gets the action that puts the model in its training modes before each epoch (0-based); null calls
    /// <c>Model.train()</c>.</summary>
    public Action<int>? PrepareEpoch { get; init; }

    /// <summary>Gets the evaluation after a 0-based epoch: its metrics, or null when this epoch is not evaluated.</summary>
    public Func<int, IReadOnlyDictionary<string, double>?>? Evaluate { get; init; }

    /// <summary>Gets the 0-based epoch to start at when no checkpoint is resumed.</summary>
    public int StartEpoch { get; init; }

    /// <summary>Gets the optimiser steps taken before this stage when no checkpoint is resumed.</summary>
    public long GlobalStep { get; init; }

    /// <summary>Gets the epochs finished before this stage when no checkpoint is resumed (earlier stages).</summary>
    public IReadOnlyList<EpochSummary> History { get; init; } = [];

    /// <summary>Gets the latest evaluation metrics before this stage when no checkpoint is resumed.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Gets the seed <c>torch.manual_seed</c> is called with when the stage starts at epoch 0 without a
    /// resumed checkpoint; null leaves the generator as it is.</summary>
    public long? Seed { get; init; }

    /// <summary>Gets the checkpoint to resume from when the file exists (weights, optimiser, RNG, run state and
    /// history); null starts from <see cref="StartEpoch"/>.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Gets whether a resume also restores the optimiser's state. Default true.</summary>
    public bool ResumeOptimizer { get; init; } = true;

    /// <summary>Gets the check of a checkpoint's run state before anything of it is loaded (throw to refuse it).</summary>
    public Action<TrainingState>? CheckResume { get; init; }

    /// <summary>Gets the action called with the run state once a checkpoint has been loaded.</summary>
    public Action<TrainingState>? Resumed { get; init; }

    /// <summary>Gets the checkpoint written (atomically) after every epoch; null writes none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Gets the run state of a finished epoch: what the checkpoint stores, and whose metrics the epoch's last
    /// progress report carries.</summary>
    public required Func<EpochEnd, TrainingState> CheckpointState { get; init; }

    /// <summary>Gets whether the weights are checked for NaN or infinity after each epoch (before anything is saved).
    /// Default true.</summary>
    public bool CheckWeights { get; init; } = true;

    /// <summary>Gets the logger (start, resume, each epoch); null logs nothing.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Gets the progress sink (every step, and each epoch's end with metrics); null reports nothing.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }
}

/// <summary>A finished epoch, as <see cref="TrainingStage.CheckpointState"/> sees it.</summary>
/// <param name="Epoch">The 0-based epoch of the stage.</param>
/// <param name="Summary">Its summary (already in <paramref name="History"/>).</param>
/// <param name="Evaluation">Its evaluation metrics, or null when it was not evaluated.</param>
/// <param name="Metrics">The latest evaluation metrics (this epoch's, or an earlier one's).</param>
/// <param name="History">Every finished epoch of the run, this one last.</param>
/// <param name="GlobalStep">Optimiser steps taken over the whole run.</param>
public sealed record EpochEnd(
    int Epoch,
    EpochSummary Summary,
    IReadOnlyDictionary<string, double>? Evaluation,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<EpochSummary> History,
    long GlobalStep);

/// <summary>What <see cref="TrainingLoop.Run"/> did in one stage.</summary>
/// <param name="StartEpoch">The 0-based epoch the stage started at (after a resume, the epochs the checkpoint held).</param>
/// <param name="Trained">The epochs trained by this run.</param>
/// <param name="History">Every finished epoch of the run, earlier stages and resumed epochs first.</param>
/// <param name="Metrics">The latest evaluation metrics.</param>
/// <param name="GlobalStep">Optimiser steps taken over the whole run.</param>
/// <param name="ResumedState">The run state of the checkpoint resumed from, or null.</param>
/// <param name="LastState">The run state of the last finished epoch (or the resumed one), or null when none.</param>
public sealed record TrainingStageResult(
    int StartEpoch,
    IReadOnlyList<EpochSummary> Trained,
    IReadOnlyList<EpochSummary> History,
    IReadOnlyDictionary<string, double> Metrics,
    long GlobalStep,
    TrainingState? ResumedState,
    TrainingState? LastState);
