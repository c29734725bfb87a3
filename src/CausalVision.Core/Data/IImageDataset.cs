namespace CausalVision.Data;

/// <summary>
/// A random-access image dataset. Implementations must be safe to call from several threads at
/// once (the loader decodes in the background), and must validate targets against
/// <see cref="Info"/>: never a silent wrong label.
/// </summary>
public interface IImageDataset
{
    /// <summary>Gets what the targets mean.</summary>
    DatasetInfo Info { get; }

    /// <summary>Gets the number of samples.</summary>
    int Count { get; }

    /// <summary>Decodes sample <paramref name="index"/>; the caller disposes it.</summary>
    /// <param name="index">0 &lt;= index &lt; <see cref="Count"/>.</param>
    /// <returns>The sample.</returns>
    ImageSample Get(int index);
}
