// Options of the paper-B trainer. The slides give no training recipe; the defaults follow
// Query2Label's (AdamW, weight decay 1e-4) at a CPU-friendly scale, each marked "(choice)".
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.CausalLabels;

/// <summary>The multi-label loss.</summary>
public enum MultiLabelLoss
{
    /// <summary>Binary cross-entropy on logits, mean over images and labels.</summary>
    BinaryCrossEntropy,

    /// <summary>Asymmetric loss (Ridnik et al., ICCV 2021; Query2Label's loss): gamma- 4, gamma+ 0, probability margin 0.05; mean over images and labels.</summary>
    Asymmetric,
}

/// <summary>Options of <see cref="CausalLabelTrainer"/>.</summary>
public sealed class CausalLabelTrainerOptions : IValidatableObject
{
    /// <summary>Gets or sets the epochs of stage 1 (backbone + decoder + group-wise classifier; the only stage of Baseline / Decouple).</summary>
    /// <value>Default 10 (choice).</value>
    [Range(0, 100_000)]
    public int Stage1Epochs { get; set; } = 10;

    /// <summary>Gets or sets the epochs of stage 3 (the intervention trained with the dictionary installed).</summary>
    /// <value>Default 5 (choice).</value>
    [Range(0, 100_000)]
    public int CausalEpochs { get; set; } = 5;

    /// <summary>Gets or sets the batch size.</summary>
    /// <value>Default 32.</value>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Gets or sets the AdamW learning rate.</summary>
    /// <value>Default 1e-3 (choice; Query2Label uses 1e-4 with a pretrained backbone and OneCycle).</value>
    [Range(1e-9, 10.0)]
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Gets or sets the AdamW weight decay.</summary>
    /// <value>Default 1e-4 (Query2Label).</value>
    [Range(0.0, 10.0)]
    public double WeightDecay { get; set; } = 1e-4;

    /// <summary>Gets or sets the loss.</summary>
    /// <value>Default <see cref="MultiLabelLoss.BinaryCrossEntropy"/>.</value>
    [EnumDataType(typeof(MultiLabelLoss))]
    public MultiLabelLoss Loss { get; set; } = MultiLabelLoss.BinaryCrossEntropy;

    /// <summary>
    /// Gets or sets a value indicating whether the decoder and group-wise classifier stay frozen in
    /// stage 3 (only the intervention and fusion weights train). The backbone is always frozen in
    /// stage 3 (eval mode too): the dictionary was clustered from its features (choice; the slides
    /// do not say).
    /// </summary>
    /// <value>Default false (the whole head trains in stage 3).</value>
    public bool FreezeDecoderInCausalStage { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the Decouple variant continues after stage 1 for
    /// <see cref="CausalEpochs"/> more epochs under the stage-3 regime (backbone frozen in eval mode,
    /// same learning rate, batches and steps, decoder and group-wise classifier trainable, no
    /// intervention), so that Decouple and Causal rows get the same head budget. Ignored with
    /// <see cref="FreezeDecoderInCausalStage"/> (nothing would train).
    /// </summary>
    /// <value>Default true (an equal-budget comparison).</value>
    public bool MatchDecoupleBudget { get; set; } = true;

    /// <summary>
    /// Gets or sets the ablation control applied to the stage-2 dictionary before stage 3 (Causal
    /// variant): zero centres, one centre at E_P[c], a random dictionary with matched mean and
    /// covariance, or a shuffled prior. The random controls use <see cref="Seed"/>.
    /// </summary>
    /// <value>Default <see cref="DictionaryControl.None"/>.</value>
    [EnumDataType(typeof(DictionaryControl))]
    public DictionaryControl DictionaryControl { get; set; } = DictionaryControl.None;

    /// <summary>Gets or sets the most training images streamed to the dictionary builder; 0 = all.</summary>
    /// <value>Default 0.</value>
    [Range(0, int.MaxValue)]
    public int DictionaryImages { get; set; }

    /// <summary>Gets or sets the run seed (data order; dropout through the global generator).</summary>
    /// <value>Default 0.</value>
    [Range(0, int.MaxValue)]
    public int Seed { get; set; }

    /// <summary>Gets or sets the device the trainer moves the model to: "cpu", "cuda", "cuda:N" or "auto" (CUDA when available).</summary>
    /// <value>Default "cpu".</value>
    [Required(ErrorMessage = "CausalLabelTrainerOptions.Device must be a device name such as 'cpu', 'cuda' or 'auto'.")]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets a folder for atomic per-epoch checkpoints (<c>checkpoint.ckpt</c>) and the dictionary (<c>dictionary.bin</c>); null saves nothing.</summary>
    /// <value>Default null.</value>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Gets or sets a value indicating whether a checkpoint found in <see cref="CheckpointDirectory"/> is resumed.</summary>
    /// <value>Default true.</value>
    public bool Resume { get; set; } = true;

    /// <summary>Returns a copy.</summary>
    /// <returns>The copy.</returns>
    public CausalLabelTrainerOptions Clone() => (CausalLabelTrainerOptions)MemberwiseClone();

    /// <summary>Checks every option (the attribute rules, via <see cref="CausalLabelTrainerOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new CausalLabelTrainerOptionsValidator(), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (CheckpointDirectory is not null && string.IsNullOrWhiteSpace(CheckpointDirectory))
        {
            yield return new ValidationResult("CausalLabelTrainerOptions.CheckpointDirectory is blank; use null for no checkpoints.", [nameof(CheckpointDirectory)]);
        }
    }
}

/// <summary>Source-generated validator of <see cref="CausalLabelTrainerOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class CausalLabelTrainerOptionsValidator : IValidateOptions<CausalLabelTrainerOptions>
{
}
