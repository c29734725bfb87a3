namespace CausalVision.Data;

/// <summary>
/// A dataset that can decode a sample without creating tensors, so that <see cref="DataLoader"/>
/// workers stay off TorchSharp entirely (its dispose statistics are per thread). Datasets that
/// implement only <see cref="IImageDataset"/> still work: the worker copies their tensor into
/// managed memory and disposes it on the same thread.
/// </summary>
public interface IRawImageDataset : IImageDataset
{
    /// <summary>Gets the identifier of sample <paramref name="index"/> without decoding it (for error messages).</summary>
    /// <param name="index">0 &lt;= index &lt; <see cref="IImageDataset.Count"/>.</param>
    /// <returns>The identifier.</returns>
    string GetId(int index);

    /// <summary>Decodes sample <paramref name="index"/> into managed memory. Thread-safe.</summary>
    /// <param name="index">0 &lt;= index &lt; <see cref="IImageDataset.Count"/>.</param>
    /// <returns>The sample.</returns>
    RawImageSample GetRaw(int index);
}
