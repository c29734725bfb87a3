// The reusable pieces of every trainer: one epoch of optimiser steps, the learning-rate setter,
// and the classification losses. ClassifierTrainer composes them; the VSCNet and causal-label
// trainers pass their own loss function to RunEpoch.
using CausalVision.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Training;

/// <summary>Building blocks of a training loop, shared by the trainers.</summary>
public static class TrainingLoop
{
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
        var hasBatchNorm = HasBatchNorm(model);
        var steps = loader.BatchCount;
        double lossSum = 0;
        long samples = 0;
        var step = 0;
        foreach (var batch in loader.GetBatches(epoch, cancellationToken))
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
                lossSum += (double)value * batch.Size;
                samples += batch.Size;
            }

            step++;
            onStep?.Invoke(step, steps, lossSum / samples);
        }

        return new EpochStats(samples == 0 ? double.NaN : lossSum / samples, step, samples);
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
