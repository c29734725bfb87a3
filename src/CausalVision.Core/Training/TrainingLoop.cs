// The one epoch loop of the epoch-based trainers (ClassifierTrainer, VscNetTrainer, CausalLabelTrainer): Run takes a
// TrainingStage (model, optimiser, loader, loss, schedule and the trainer's own hooks) and owns the epochs, the steps,
// the non-finite guards, evaluation, checkpoints, resume, logging, progress and the history. RunEpoch is one epoch of
// steps on its own; the rest are the helpers the trainers share (device moves, learning rate, classification loss).
using System.Diagnostics;
using CausalVision.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Training;

/// <summary>The training loop of the epoch-based trainers, and the building blocks it is made of.</summary>
/// <remarks><see cref="ClassifierTrainer"/>, <c>VscNetTrainer</c> (each of its two stages) and
/// <c>CausalLabelTrainer</c> (stages 1 and 3) train through <see cref="Run"/>; each supplies a
/// <see cref="TrainingStage"/> with its loss and what is its own, and builds its <see cref="TrainingResult"/> with
/// <see cref="Result"/>.</remarks>
public static class TrainingLoop
{
    private static readonly IReadOnlyDictionary<string, double> Empty = new Dictionary<string, double>();

    /// <summary>
    /// Runs the epochs of one stage: resume (or seed), then per epoch the learning rate, the steps (one dispose scope
    /// per batch: zero_grad, loss, backward, optimiser step), the non-finite checks, evaluation, the history, the
    /// checkpoint, the log line and the progress reports.
    /// </summary>
    /// <param name="stage">The stage.</param>
    /// <param name="cancellationToken">Stops between batches (the last finished epoch stays checkpointed).</param>
    /// <returns>What the stage did: its epochs, the whole history, the latest metrics and the step count.</returns>
    /// <exception cref="InvalidOperationException">The loss or the weights became NaN or infinite, an epoch took no
    /// step, or a batch of one reached BatchNorm layers (see <see cref="TrainingStage.RejectBatchOfOne"/>).</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from is corrupt or belongs to another model.</exception>
    public static TrainingStageResult Run(TrainingStage stage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentOutOfRangeException.ThrowIfNegative(stage.Epochs);
        var clock = Stopwatch.StartNew();
        var model = stage.Model;
        var start = stage.StartEpoch;
        var globalStep = stage.GlobalStep;
        var metrics = stage.Metrics;
        var history = new List<EpochSummary>(stage.History);
        TrainingState? resumed = null;
        TrainingState? last = null;
        if (stage.ResumeFrom is { } path && File.Exists(path))
        {
            stage.CheckResume?.Invoke(Checkpoint.ReadState(path));
            resumed = Checkpoint.Load(path, model, stage.ResumeOptimizer ? stage.Optimizer : null, restoreRng: true);
            TrainingLog.Resumed(stage.Logger, path, resumed.Epoch);
            start = Math.Min(resumed.Epoch, stage.Epochs);
            globalStep = resumed.GlobalStep;
            metrics = resumed.Metrics;
            if (resumed.History is { } saved)
            {
                history = [.. saved];
            }

            last = resumed;
            stage.Resumed?.Invoke(resumed);
        }
        else if (start == 0 && stage.Seed is { } seed)
        {
            manual_seed(seed);
        }

        var trainedFrom = history.Count;
        var steps = stage.Loader.BatchCount;
        TrainingLog.Started(stage.Logger, stage.Name, stage.Device.ToString(), Math.Max(0, stage.Epochs - start), stage.Loader.Dataset.Count);
        for (var epoch = start; epoch < stage.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            var lr = stage.LearningRate(epoch);
            SetLearningRate(stage.Optimizer, lr);
            if (stage.PrepareEpoch is { } prepare)
            {
                prepare(epoch);
            }
            else
            {
                model.train();
            }

            var e = epoch;
            var shuffle = stage.ShuffleEpoch?.Invoke(epoch) ?? epoch;
            void OnStep(int step, int count, double loss) =>
                stage.Progress?.Report(new TrainingProgress(stage.Stage, e + 1, stage.Epochs, step, count, loss, lr, clock.Elapsed, Empty));
            var (lossSum, taken, samples) = stage.NativeContext is { } context
                ? NativeOperationException.Guard(context(epoch), () => Steps(stage, shuffle, epoch, OnStep, cancellationToken))
                : Steps(stage, shuffle, epoch, OnStep, cancellationToken);
            globalStep += taken;
            var meanLoss = stage.LossPerSample ? (samples == 0 ? double.NaN : lossSum / samples) : (taken == 0 ? double.NaN : lossSum / taken);
            if (taken == 0 || !double.IsFinite(meanLoss))
            {
                throw new InvalidOperationException($"Epoch {epoch + 1} took {taken} steps with mean loss {meanLoss}; check the batch size against the {stage.Loader.Dataset.Count} training images.");
            }

            if (stage.CheckWeights && FirstNonFinite(model) is { } bad)
            {
                throw new InvalidOperationException($"After epoch {epoch + 1} the model's '{bad}' holds NaN or infinite values (BatchNorm statistics of a tiny batch, or a learning rate too high); nothing was checkpointed for this epoch.");
            }

            var evaluation = stage.Evaluate?.Invoke(epoch);
            if (evaluation is not null)
            {
                metrics = evaluation;
            }

            var summaryMetrics = evaluation ?? Empty;
            if (stage.Stage > 0)
            {
                summaryMetrics = new Dictionary<string, double>(summaryMetrics) { ["stage"] = stage.Stage };
            }

            var number = stage.EpochNumber?.Invoke(epoch) ?? history.Count + 1;
            var summary = new EpochSummary(number, meanLoss, lr, summaryMetrics, epochClock.Elapsed);
            history.Add(summary);
            last = stage.CheckpointState(new EpochEnd(epoch, summary, evaluation, metrics, [.. history], globalStep));
            if (stage.CheckpointPath is { } checkpoint)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!);
                Checkpoint.Save(checkpoint, model, stage.Optimizer, last);
            }

            TrainingLog.Epoch(stage.Logger, stage.Stage, epoch + 1, stage.Epochs, meanLoss, lr, evaluation ?? Empty, epochClock.Elapsed.TotalSeconds);
            stage.Progress?.Report(new TrainingProgress(stage.Stage, epoch + 1, stage.Epochs, taken, taken, meanLoss, lr, clock.Elapsed, last.Metrics));
        }

        return new TrainingStageResult(start, history[trainedFrom..], history, metrics, globalStep, resumed, last);
    }

    /// <summary>Builds a trainer's <see cref="TrainingResult"/> from its history.</summary>
    /// <param name="history">Every finished epoch of the run.</param>
    /// <param name="trainedFrom">The index in <paramref name="history"/> of the first epoch trained by this call.</param>
    /// <param name="metrics">The last evaluation metrics.</param>
    /// <param name="elapsed">Wall time of the call.</param>
    /// <param name="checkpointPath">The checkpoint written each epoch, or null.</param>
    /// <param name="globalStep">Optimiser steps taken over the whole run.</param>
    /// <returns>The result: the epochs of this call (the first one's number, or history count + 1 when none ran) and the whole history.</returns>
    public static TrainingResult Result(IReadOnlyList<EpochSummary> history, int trainedFrom, IReadOnlyDictionary<string, double> metrics, TimeSpan elapsed, string? checkpointPath, long globalStep)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(metrics);
        var trained = history.Skip(Math.Clamp(trainedFrom, 0, history.Count)).ToList();
        return new TrainingResult(trained, trained.Count > 0 ? trained[0].Epoch : history.Count + 1, metrics, elapsed, checkpointPath)
        {
            History = [.. history],
            GlobalStep = globalStep,
        };
    }

    private static (double LossSum, int Steps, long Samples) Steps(TrainingStage stage, int shuffleEpoch, int epoch, Action<int, int, double> onStep, CancellationToken cancellationToken) =>
        StepThrough(stage.Model, stage.Optimizer, stage.Loader, shuffleEpoch, epoch, stage.Device, stage.Loss, onStep, stage.LossPerSample, stage.RejectBatchOfOne, cancellationToken);

    /// <summary>
    /// Runs one epoch: for each batch of <paramref name="loader"/> (order from <paramref name="epoch"/>),
    /// zero the gradients, compute <paramref name="computeLoss"/>, back-propagate and step.
    /// Every tensor made for a batch (the batch itself, activations, the loss) is released before
    /// the next one: one dispose scope per batch.
    /// </summary>
    /// <param name="model">The model; put into training mode.</param>
    /// <param name="optimizer">The optimiser over the model's parameters.</param>
    /// <param name="loader">The training loader.</param>
    /// <param name="epoch">The 0-based epoch (selects the shuffle order and augmentation seeds).</param>
    /// <param name="device">Where the batch goes before the loss is computed.</param>
    /// <param name="computeLoss">Returns the scalar loss of a batch already on <paramref name="device"/>; it may throw to reject a batch (e.g. a class-count mismatch).</param>
    /// <param name="onStep">Called after each step with (1-based step, steps, running mean loss); may be null.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The epoch's mean loss, steps and samples.</returns>
    /// <exception cref="ArgumentException">The loss is not a scalar.</exception>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite, or a batch of one image reached a
    /// model with BatchNorm in training mode (its batch statistics would be undefined; drop the last incomplete batch).</exception>
    public static EpochStats RunEpoch(
        nn.Module model,
        optim.Optimizer optimizer,
        DataLoader loader,
        int epoch,
        Device device,
        Func<Batch, Tensor> computeLoss,
        Action<int, int, double>? onStep = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(computeLoss);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        model.train();
        var (lossSum, steps, samples) = StepThrough(model, optimizer, loader, epoch, epoch, device, computeLoss, onStep, perSample: true, rejectBatchOfOne: true, cancellationToken);
        return new EpochStats(samples == 0 ? double.NaN : lossSum / samples, steps, samples);
    }

    // One epoch of steps. shuffleEpoch picks the loader's order; epoch (0-based) is the one messages name. The running
    // and final means are over samples (each batch's loss weighted by its size) or over steps.
    private static (double LossSum, int Steps, long Samples) StepThrough(
        nn.Module model,
        optim.Optimizer optimizer,
        DataLoader loader,
        int shuffleEpoch,
        int epoch,
        Device device,
        Func<Batch, Tensor> computeLoss,
        Action<int, int, double>? onStep,
        bool perSample,
        bool rejectBatchOfOne,
        CancellationToken cancellationToken)
    {
        var hasBatchNorm = rejectBatchOfOne && HasBatchNorm(model);
        var steps = loader.BatchCount;
        double lossSum = 0;
        long samples = 0;
        var step = 0;
        foreach (var batch in loader.GetBatches(shuffleEpoch, cancellationToken))
        {
            using (batch)
            using (var scope = NewDisposeScope())
            {
                if (hasBatchNorm && batch.Size == 1)
                {
                    throw new InvalidOperationException(
                        $"Batch {step + 1} of epoch {epoch + 1} holds one image, but the model has BatchNorm layers, which need more than one value per channel in training mode; drop the last incomplete batch (TrainerOptions.DropLastIncompleteBatch, DataLoaderOptions.DropLast) or change the batch size.");
                }

                var onDevice = device.type == batch.Images.device_type && device.index == batch.Images.device_index ? batch : batch.To(device);
                optimizer.zero_grad();
                var loss = computeLoss(onDevice);
                if (loss.numel() != 1)
                {
                    throw new ArgumentException($"The loss must be a scalar, got shape [{string.Join(", ", loss.shape)}].", nameof(computeLoss));
                }

                var value = loss.item<float>();
                if (!float.IsFinite(value))
                {
                    throw new InvalidOperationException($"The training loss became {value} at epoch {epoch + 1}, step {step + 1}; lower the learning rate or check the data.");
                }

                loss.backward();
                optimizer.step();
                lossSum += perSample ? (double)value * batch.Size : value;
                samples += batch.Size;
            }

            step++;
            onStep?.Invoke(step, steps, perSample ? lossSum / samples : lossSum / step);
        }

        return (lossSum, step, samples);
    }

    /// <summary>Gets whether <paramref name="model"/> contains a BatchNorm layer (1-d, 2-d or 3-d).</summary>
    /// <param name="model">The model.</param>
    /// <returns>True when a batch of one would break its training-mode statistics.</returns>
    public static bool HasBatchNorm(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.modules().Any(m => m is TorchSharp.Modules.BatchNorm1d or TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.BatchNorm3d);
    }

    /// <summary>Returns the name of the first parameter or floating-point buffer that holds NaN or infinity, or null.</summary>
    /// <param name="model">The model.</param>
    /// <returns>The offending name, or null when every value is finite.</returns>
    public static string? FirstNonFinite(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!p.detach().isfinite().all().item<bool>())
            {
                return name;
            }
        }

        foreach (var (name, b) in model.named_buffers())
        {
            if (b.is_floating_point() && !b.isfinite().all().item<bool>())
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// Moves <paramref name="model"/> to <paramref name="device"/> unless every parameter is already
    /// there (TorchSharp's <c>Module.to</c> re-creates parameter handles even for a no-op move,
    /// which would leak a handle per parameter per call).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="device">The target device.</param>
    public static void MoveTo(nn.Module model, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        var index = device.type == DeviceType.CPU ? -1 : Math.Max(device.index, 0);
        var moved = model.parameters().All(p => p.device_type == device.type && (device.type == DeviceType.CPU || p.device_index == index))
            && model.buffers().All(b => b.device_type == device.type && (device.type == DeviceType.CPU || b.device_index == index));
        if (!moved)
        {
            model.to(device);
        }
    }

    /// <summary>Sets the learning rate of every parameter group.</summary>
    /// <param name="optimizer">The optimiser.</param>
    /// <param name="learningRate">The new rate (finite, positive).</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is not finite and positive.</exception>
    public static void SetLearningRate(optim.Optimizer optimizer, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!double.IsFinite(learningRate) || learningRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be finite and positive.");
        }

        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = learningRate;
        }
    }

    /// <summary>
    /// The classification loss of <paramref name="logits"/> for <paramref name="batch"/>:
    /// cross-entropy on <see cref="Batch.Labels"/> (unlabelled samples, label -1, are ignored) or,
    /// when <paramref name="multiLabel"/>, binary cross-entropy with logits on <see cref="Batch.LabelTargets"/>.
    /// </summary>
    /// <param name="logits">Logits [B, C].</param>
    /// <param name="batch">The batch (on the logits' device).</param>
    /// <param name="multiLabel">Whether the task is multi-label.</param>
    /// <returns>The scalar mean loss.</returns>
    /// <exception cref="ArgumentException">The logits are not [B, C] with C the dataset's class count.</exception>
    public static Tensor ClassificationLoss(Tensor logits, Batch batch, bool multiLabel)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(batch);
        var classes = batch.LabelTargets.shape[1];
        if (logits.dim() != 2 || logits.shape[0] != batch.Size || logits.shape[1] != classes)
        {
            throw new ArgumentException(
                $"The model outputs logits of shape [{string.Join(", ", logits.shape)}] but the dataset has {classes} classes (expected [{batch.Size}, {classes}]): build the model with the dataset's class count.",
                nameof(logits));
        }

        return multiLabel
            ? nn.functional.binary_cross_entropy_with_logits(logits, batch.LabelTargets)
            : nn.functional.cross_entropy(logits, batch.Labels, ignore_index: -1);
    }
}
