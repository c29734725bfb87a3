// The multi-hot label matrix of a dataset, e.g. to choose biased pairs from the training co-occurrence.
namespace CausalVision.Data;

/// <summary>Reads the labels of every sample of a dataset.</summary>
public static class DatasetTargets
{
    /// <summary>
    /// The multi-hot targets [N, C] of a dataset (a single-label sample sets its one class). Decodes
    /// each sample once, so it costs about one pass over the images.
    /// </summary>
    /// <param name="dataset">The dataset.</param>
    /// <returns>targets[i, j] = sample i has label j.</returns>
    /// <exception cref="InvalidDataException">A label outside [0, C).</exception>
    public static bool[,] MultiHot(IImageDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var c = dataset.Info.ClassCount;
        var targets = new bool[dataset.Count, c];
        for (var i = 0; i < dataset.Count; i++)
        {
            using var sample = dataset.Get(i);
            foreach (var l in sample.Labels)
            {
                if (l < 0 || l >= c)
                {
                    throw new InvalidDataException($"Sample {i} ('{sample.Id}') of '{dataset.Info.Name}' has label {l} outside [0, {c}).");
                }

                targets[i, l] = true;
            }
        }

        return targets;
    }
}
