// Options of VSCNet's two-stage training (eq. 15-16) and its schedule.
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Vscnet;

/// <summary>Options of the two-stage training (eq. 15-16) and its schedule.</summary>
public sealed class VscTrainingOptions
{
    /// <summary>Gets or sets the batch size.</summary>
    /// <value>Default 64 (the paper).</value>
    [Range(1, 65536)]
    public int BatchSize { get; set; } = 64;

    /// <summary>Gets or sets Adam's learning rate.</summary>
    /// <value>Default 5e-4 (the authors' code; the paper chooses it from 5e-5 to 5e-3).</value>
    [Range(1e-8, 1.0)]
    public double LearningRate { get; set; } = 5e-4;

    /// <summary>Gets or sets Adam's weight decay.</summary>
    /// <value>Default 1e-3 (the authors' code).</value>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; set; } = 1e-3;

    /// <summary>Gets or sets the factor the learning rate is multiplied by every <see cref="LearningRateDecayEvery"/> epochs.</summary>
    /// <value>Default 0.1 (the paper chooses 0.1 or 0.5).</value>
    [Range(1e-6, 1.0)]
    public double LearningRateDecay { get; set; } = 0.1;

    /// <summary>Gets or sets the decay interval in epochs.</summary>
    /// <value>Default 4 (the paper).</value>
    [Range(1, 100000)]
    public int LearningRateDecayEvery { get; set; } = 4;

    /// <summary>Gets or sets alpha_gf of eq. 16, the weight of CIM's L_gf in the stage-2 loss. (alpha_l of eq. 15 is
    /// the FVA loss's own <see cref="Fva.FvaLossOptions.LocatingLossWeight"/>, <c>VscNetOptions.Fva.Loss</c>.)</summary>
    /// <value>Default 1 (the paper gives no value).</value>
    [Range(0.0, 1e6)]
    public double AlphaGf { get; set; } = 1.0;

    /// <summary>Gets or sets the epochs of stage 1 (backbone + CSNet + classifier, L_AL; the Base row trains the
    /// backbone classifier here).</summary>
    /// <value>Default 13 (the authors' code).</value>
    [Range(0, 100000)]
    public int Stage1Epochs { get; set; } = 13;

    /// <summary>Gets or sets the epochs of stage 2 (CSNet frozen, L_ff).</summary>
    /// <value>Default 13 (the authors' code).</value>
    [Range(0, 100000)]
    public int Stage2Epochs { get; set; } = 13;

    /// <summary>Gets or sets a value indicating whether the backbone is frozen with the CSNet in stage 2.</summary>
    /// <value>Default <see langword="true"/>: the hierarchy's prototypes were clustered from the stage-1 hidden states,
    /// which a moving backbone would change (the paper only says CSNet is frozen; our choice).</value>
    public bool FreezeBackboneInStage2 { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether each training epoch drops its last batch when it is smaller than
    /// <see cref="BatchSize"/> (when the training set holds more than one batch). A batch of one would leave the
    /// backbone's and the graph encoders' BatchNorm with one value per channel: non-finite running statistics.</summary>
    /// <value>Default <see langword="true"/> (as <c>TrainerOptions.DropLastIncompleteBatch</c>).</value>
    public bool DropLastIncompleteBatch { get; set; } = true;

    /// <summary>Gets or sets the k of P@k / R@k (multi-label) reported besides k = 1.</summary>
    /// <value>Default 5 (the paper reports top-1 and top-5).</value>
    [Range(1, 1000)]
    public int TopK { get; set; } = 5;

    /// <summary>Gets or sets the seed of the training run: <see cref="VscNetTrainer"/> seeds TorchSharp's global generator
    /// with it (the intervention's permutations) and derives the data order from it. Building a model does not read it:
    /// <see cref="VscNetBuilder"/> seeds the weight initialisation only when asked (<see cref="VscNetBuilder.WithSeed"/>;
    /// <see cref="VscNetTrainer.Fit"/> asks with this seed).</summary>
    /// <value>Default 0.</value>
    public int Seed { get; set; }

    /// <summary>Gets or sets the folder of the per-epoch checkpoints and the hierarchy; <see langword="null"/> = none.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Gets or sets the device ("cpu", "cuda", "auto").</summary>
    /// <value>Default "cpu".</value>
    [Required(ErrorMessage = "Training.Device must not be empty.")]
    public string Device { get; set; } = "cpu";

    /// <summary>Checks every option (the attribute rules, via <see cref="VscTrainingOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new VscTrainingOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="VscTrainingOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class VscTrainingOptionsValidator : IValidateOptions<VscTrainingOptions>
{
}
