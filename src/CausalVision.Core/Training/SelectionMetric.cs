// How FeatureHeadTrainer picks the epoch it returns.
namespace CausalVision.Training;

/// <summary>The validation metric that selects the epoch (early stopping); validation data only, never a test split.</summary>
public enum SelectionMetric
{
    /// <summary>No selection: the last epoch.</summary>
    LastEpoch,

    /// <summary>Validation accuracy.</summary>
    Accuracy,

    /// <summary>The unweighted mean of the per-(class, context) group accuracies on validation (groups present).</summary>
    MeanGroupAccuracy,

    /// <summary>Validation worst-group accuracy (as Sagawa et al. select); noisy when validation groups are small.</summary>
    WorstGroupAccuracy,
}
