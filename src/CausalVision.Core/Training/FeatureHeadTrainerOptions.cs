// Options of FeatureHeadTrainer (the linear-head reference rows: ERM, ceiling, oracle, Group DRO).
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Training;

/// <summary>Options of <see cref="FeatureHeadTrainer"/>.</summary>
public sealed class FeatureHeadTrainerOptions
{
    /// <summary>Gets or sets the objective.</summary>
    /// <value>Default <see cref="TrainingObjective.Erm"/>.</value>
    [EnumDataType(typeof(TrainingObjective))]
    public TrainingObjective Objective { get; set; } = TrainingObjective.Erm;

    /// <summary>Gets or sets η, the Group DRO step size (ignored by ERM).</summary>
    /// <value>Default 0.01 (the public Group DRO code's default). Range [0, 100].</value>
    [Range(0.0, 100.0)]
    public double GroupDroStepSize { get; set; } = 0.01;

    /// <summary>Gets or sets how each epoch draws the training rows.</summary>
    /// <value>Default <see cref="DataSampling.Shuffle"/>; <see cref="DataSampling.GroupBalanced"/> uses the group labels.</value>
    [EnumDataType(typeof(DataSampling))]
    public DataSampling Sampling { get; set; } = DataSampling.Shuffle;

    /// <summary>Gets or sets the number of epochs.</summary>
    /// <value>Default 30. Range [1, 100000].</value>
    [Range(1, 100_000)]
    public int Epochs { get; set; } = 30;

    /// <summary>Gets or sets the mini-batch size.</summary>
    /// <value>Default 128. Range [1, 1000000].</value>
    [Range(1, 1_000_000)]
    public int BatchSize { get; set; } = 128;

    /// <summary>Gets or sets Adam's learning rate.</summary>
    /// <value>Default 1e-3. Range [1e-9, 10].</value>
    [Range(1e-9, 10.0)]
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Gets or sets Adam's L2 weight decay.</summary>
    /// <value>Default 1e-4. Range [0, 10].</value>
    [Range(0.0, 10.0)]
    public double WeightDecay { get; set; } = 1e-4;

    /// <summary>Gets or sets the validation metric that selects the epoch (used only when validation data is given).</summary>
    /// <value>Default <see cref="SelectionMetric.MeanGroupAccuracy"/>.</value>
    [EnumDataType(typeof(SelectionMetric))]
    public SelectionMetric Selection { get; set; } = SelectionMetric.MeanGroupAccuracy;

    /// <summary>Gets or sets the seed of the initialisation and the data order (rows with the same seed see the same order).</summary>
    /// <value>Default 0.</value>
    public int Seed { get; set; }

    /// <summary>Returns a copy.</summary>
    /// <returns>The copy.</returns>
    public FeatureHeadTrainerOptions Clone() => (FeatureHeadTrainerOptions)MemberwiseClone();

    /// <summary>Checks every option (the attribute rules, via <see cref="FeatureHeadTrainerOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new FeatureHeadTrainerOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="FeatureHeadTrainerOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class FeatureHeadTrainerOptionsValidator : IValidateOptions<FeatureHeadTrainerOptions>
{
}
