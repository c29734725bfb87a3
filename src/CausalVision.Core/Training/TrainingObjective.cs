// The training objective of FeatureHeadTrainer.
namespace CausalVision.Training;

/// <summary>The training objective of a reference row.</summary>
public enum TrainingObjective
{
    /// <summary>Empirical risk minimisation: the mean cross-entropy over the batch.</summary>
    Erm,

    /// <summary>Group DRO (Sagawa et al., ICLR 2020): online exponentiated group weights, see <see cref="GroupDroLoss"/>. Needs group labels.</summary>
    GroupDro,
}
