// Options of the baseline classifier trainer; the defaults follow VSCNet's training recipe.
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Training;

/// <summary>
/// Options for <see cref="ClassifierTrainer"/>. Defaults follow the VSCNet paper's optimiser set-up
/// (Adam, lr 5e-4, weight decay 1e-3, learning rate x0.1 every 4 epochs, batch 64).
/// </summary>
public sealed class TrainerOptions : IValidatableObject
{
    /// <summary>Gets or sets the number of epochs to train (in total, counting epochs done before a resume).</summary>
    /// <value>Default 10.</value>
    [Range(1, 100_000)]
    public int Epochs { get; set; } = 10;

    /// <summary>Gets or sets the mini-batch size.</summary>
    /// <value>Default 64.</value>
    [Range(1, 1_000_000)]
    public int BatchSize { get; set; } = 64;

    /// <summary>Gets or sets Adam's initial learning rate.</summary>
    /// <value>Default 5e-4.</value>
    [FiniteRange(1e-12, 10.0)]
    public double LearningRate { get; set; } = 5e-4;

    /// <summary>Gets or sets Adam's (L2) weight decay.</summary>
    /// <value>Default 1e-3.</value>
    [FiniteRange(0.0, 10.0)]
    public double WeightDecay { get; set; } = 1e-3;

    /// <summary>Gets or sets the step-decay period in epochs (<see cref="StepLearningRate"/>); 0 keeps the rate constant.</summary>
    /// <value>Default 4.</value>
    [Range(0, 100_000)]
    public int LearningRateStepEpochs { get; set; } = 4;

    /// <summary>Gets or sets the factor applied to the learning rate every <see cref="LearningRateStepEpochs"/> epochs.</summary>
    /// <value>Default 0.1.</value>
    [FiniteRange(1e-9, 1.0)]
    public double LearningRateGamma { get; set; } = 0.1;

    /// <summary>Gets or sets the device name: "cpu", "cuda", "cuda:N" or "auto".</summary>
    /// <value>Default "cpu".</value>
    [Required(ErrorMessage = "TrainerOptions.Device must be a device name such as 'cpu', 'cuda' or 'auto'.")]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the run seed: data order, augmentation and dropout derive from it.</summary>
    /// <value>Default 0.</value>
    public int Seed { get; set; }

    /// <summary>Gets or sets the folder for the per-epoch checkpoint (<c>last.ckpt</c>); null writes none.</summary>
    /// <value>Default <c>null</c>.</value>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Gets or sets the background loader workers (0 decodes on the training thread).</summary>
    /// <value>Default 2.</value>
    [Range(0, 256)]
    public int Workers { get; set; } = 2;

    /// <summary>Gets or sets how many batches the loader may prepare ahead.</summary>
    /// <value>Default 4.</value>
    [Range(1, 4096)]
    public int PrefetchBatches { get; set; } = 4;

    /// <summary>Gets or sets whether to train multi-label (BCE with logits on <c>Batch.LabelTargets</c>); null follows <c>DatasetInfo.MultiLabel</c>.</summary>
    /// <value>Default <c>null</c>.</value>
    public bool? MultiLabel { get; set; }

    /// <summary>Gets or sets how often (in epochs) the evaluation set is scored during training; 0 scores it only after the last epoch.</summary>
    /// <value>Default 1.</value>
    [Range(0, 100_000)]
    public int EvaluateEveryEpochs { get; set; } = 1;

    /// <summary>
    /// Gets or sets whether training drops the last batch of an epoch when it is smaller than
    /// <see cref="BatchSize"/> (PyTorch's <c>drop_last</c>), so BatchNorm never sees a batch of one.
    /// The only batch of a training set smaller than one batch is kept.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool DropLastIncompleteBatch { get; set; } = true;

    /// <summary>
    /// Gets or sets whether a resume may continue a checkpoint whose stored configuration (batch size,
    /// learning-rate schedule, seed, model, data size ...) differs from the current one, or whose
    /// completed epochs exceed <see cref="Epochs"/>. Off, such a resume throws and names each difference.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool AcceptResumeMismatch { get; set; }

    /// <summary>Returns a shallow copy.</summary>
    /// <returns>The copy.</returns>
    public TrainerOptions Clone() => (TrainerOptions)MemberwiseClone();

    /// <summary>Gets the learning rate of a (0-based) epoch: <c>lr * gamma^(epoch / step)</c> (PyTorch <c>StepLR</c>).</summary>
    /// <param name="epoch">The 0-based epoch.</param>
    /// <returns>The learning rate.</returns>
    public double StepLearningRate(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return LearningRateStepEpochs == 0 ? LearningRate : LearningRate * Math.Pow(LearningRateGamma, epoch / LearningRateStepEpochs);
    }

    /// <summary>Checks every option (the attribute rules, via <see cref="TrainerOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new TrainerOptionsValidator(), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (CheckpointDirectory is not null && string.IsNullOrWhiteSpace(CheckpointDirectory))
        {
            yield return new ValidationResult("TrainerOptions.CheckpointDirectory must be null or a folder path.", [nameof(CheckpointDirectory)]);
        }
    }
}

/// <summary>Source-generated validator of <see cref="TrainerOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class TrainerOptionsValidator : IValidateOptions<TrainerOptions>
{
}
