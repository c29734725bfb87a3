namespace CausalVision.Training;

/// <summary>The metric keys the trainers report (in <see cref="TrainingProgress.Metrics"/>, <see cref="TrainingState.Metrics"/> and metrics JSON).</summary>
public static class MetricNames
{
    /// <summary>Top-1 accuracy in [0, 1] (single-label).</summary>
    public const string Acc1 = "acc1";

    /// <summary>Top-5 accuracy in [0, 1] (single-label; top-C when there are fewer than 5 classes).</summary>
    public const string Acc5 = "acc5";

    /// <summary>Mean average precision over classes with positives (multi-label).</summary>
    public const string MeanAveragePrecision = "mAP";

    /// <summary>Per-class (macro) F1 at threshold 0.5 on sigmoid scores (multi-label).</summary>
    public const string CF1 = "CF1";

    /// <summary>Overall (micro) F1 at threshold 0.5 on sigmoid scores (multi-label).</summary>
    public const string OF1 = "OF1";

    /// <summary>Per-image precision of the 3 top-scored labels (multi-label).</summary>
    public const string PrecisionAt3 = "P@3";

    /// <summary>Per-image recall of the 3 top-scored labels (multi-label).</summary>
    public const string RecallAt3 = "R@3";

    /// <summary>Mean training loss of the last epoch.</summary>
    public const string TrainLoss = "train_loss";

    /// <summary>The learning rate of the last epoch.</summary>
    public const string LearningRate = "lr";
}
