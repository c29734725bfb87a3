using TorchSharp;

namespace CausalVision.Data;

/// <summary>
/// One decoded sample. The caller owns <see cref="Image"/> and disposes the sample.
/// </summary>
/// <remarks>
/// Shapes: <c>Image</c> is float32 <c>[C, H, W]</c> (after the dataset's transform pipeline).
/// <c>Label</c> is the class id for single-label data (-1 when the sample is multi-label only);
/// <c>Labels</c> holds the label ids of multi-label data (for single-label data, just <c>Label</c>);
/// <c>Tags</c> holds tag ids (may be empty).
/// </remarks>
public sealed class ImageSample : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="ImageSample"/> class.</summary>
    /// <param name="id">A stable identifier (relative path or generator index).</param>
    /// <param name="image">The image tensor <c>[C, H, W]</c>; ownership passes to the sample.</param>
    /// <param name="label">The class id, or -1 for multi-label samples.</param>
    /// <param name="labels">The label ids (multi-label); null means { label }.</param>
    /// <param name="tags">The tag ids; null means none.</param>
    public ImageSample(string id, torch.Tensor image, int label, IReadOnlyList<int>? labels = null, IReadOnlyList<int>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3)
        {
            throw new ArgumentException($"Sample '{id}': image must be [C, H, W], got [{string.Join(", ", image.shape)}].", nameof(image));
        }

        Id = id;
        Image = image;
        Label = label;
        Labels = labels ?? (label >= 0 ? [label] : []);
        Tags = tags ?? [];
    }

    /// <summary>Gets the sample identifier.</summary>
    public string Id { get; }

    /// <summary>Gets the image tensor <c>[C, H, W]</c>, float32.</summary>
    public torch.Tensor Image { get; }

    /// <summary>Gets the class id (-1 for multi-label samples).</summary>
    public int Label { get; }

    /// <summary>Gets the label ids.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Gets the tag ids.</summary>
    public IReadOnlyList<int> Tags { get; }

    /// <inheritdoc />
    public void Dispose() => Image.Dispose();
}
