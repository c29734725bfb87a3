namespace CausalVision.Training;

/// <summary>A model's scores on a dataset, in dataset order, ready for the metric suite.</summary>
/// <param name="Scores">Scores [N, C]: softmax probabilities (single-label) or sigmoid probabilities (multi-label).</param>
/// <param name="Labels">The class label per image [N] (-1 when unlabelled).</param>
/// <param name="Targets">The multi-hot targets [N, C].</param>
/// <param name="Ids">The sample ids [N].</param>
public sealed record Predictions(double[,] Scores, int[] Labels, bool[,] Targets, IReadOnlyList<string> Ids)
{
    /// <summary>Gets the number of images.</summary>
    public int Count => Labels.Length;
}
