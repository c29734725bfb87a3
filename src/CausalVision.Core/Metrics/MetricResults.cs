// Result records of the multi-label metric suite.
namespace CausalVision.Metrics;

/// <summary>mAP with the per-class APs it averages.</summary>
/// <param name="Map">Mean of <paramref name="PerClass"/> over classes with at least one positive; NaN when no class has one.</param>
/// <param name="PerClass">AP per class; NaN for a class with no positive image.</param>
/// <param name="ClassesWithoutPositives">Classes no image has (counted as AP 0 or left out of the mean, per <see cref="NoPositivePolicy"/>).</param>
public sealed record MeanAveragePrecisionResult(double Map, IReadOnlyList<double> PerClass, IReadOnlyList<int> ClassesWithoutPositives);

/// <summary>Per-class (C*) and overall (O*) precision, recall and F1 (ML-GCN definitions).</summary>
/// <param name="CP">Per-class precision, averaged over all classes (Np = 0 counted as 1).</param>
/// <param name="CR">Per-class recall, averaged over classes with at least one positive.</param>
/// <param name="CF1">2 CP CR / (CP + CR); 0 when both are 0.</param>
/// <param name="OP">Overall precision: sum Nc / sum Np.</param>
/// <param name="OR">Overall recall: sum Nc / sum Ng; 0 when there are no positives at all.</param>
/// <param name="OF1">2 OP OR / (OP + OR); 0 when both are 0.</param>
/// <param name="ClassesWithoutPositives">Classes left out of CR because no image has them.</param>
public sealed record PrecisionRecallScores(double CP, double CR, double CF1, double OP, double OR, double OF1, IReadOnlyList<int> ClassesWithoutPositives);

/// <summary>Per-image top-k precision and recall (NUS-WIDE protocol).</summary>
/// <param name="K">The k used.</param>
/// <param name="Precision">Mean over images of hits / k.</param>
/// <param name="Recall">Mean over images with at least one positive of hits / positives.</param>
/// <param name="ImagesWithoutPositives">Images left out of the recall mean.</param>
public sealed record TopKPrecisionRecall(int K, double Precision, double Recall, IReadOnlyList<int> ImagesWithoutPositives);

/// <summary>Per-class top-k recall (DeepFashion protocol of ContextualBias) and its mean.</summary>
/// <param name="K">The k used (3 for DeepFashion).</param>
/// <param name="Mean">Mean over classes with at least one positive; NaN when none has one.</param>
/// <param name="PerClass">Recall per class; NaN for a class with no positive image.</param>
/// <param name="ClassesWithoutPositives">Classes left out of the mean.</param>
public sealed record TopKRecallResult(int K, double Mean, IReadOnlyList<double> PerClass, IReadOnlyList<int> ClassesWithoutPositives);
