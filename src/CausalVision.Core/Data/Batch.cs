using TorchSharp;

namespace CausalVision.Data;

/// <summary>
/// A collated mini-batch. The caller owns its tensors and disposes the batch.
/// </summary>
/// <remarks>
/// Shapes: <c>Images</c> float32 <c>[B, C, H, W]</c>; <c>Labels</c> int64 <c>[B]</c> (class id,
/// -1 for multi-label samples); <c>LabelTargets</c> float32 <c>[B, L]</c> multi-hot over the
/// dataset's classes (one-hot for single-label); <c>Tags</c> float32 <c>[B, T]</c> multi-hot over
/// the tag vocabulary (<c>T</c> may be 0); <c>Ids</c> and <c>Indices</c> have B entries.
/// </remarks>
public sealed class Batch : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="Batch"/> class; ownership of the tensors passes to it.</summary>
    /// <param name="images">Images <c>[B, C, H, W]</c>.</param>
    /// <param name="labels">Class ids <c>[B]</c>, int64.</param>
    /// <param name="labelTargets">Multi-hot labels <c>[B, L]</c>.</param>
    /// <param name="tags">Multi-hot tags <c>[B, T]</c>.</param>
    /// <param name="ids">Sample identifiers.</param>
    /// <param name="indices">Dataset indices.</param>
    /// <exception cref="ArgumentException">Batch dimensions disagree.</exception>
    public Batch(torch.Tensor images, torch.Tensor labels, torch.Tensor labelTargets, torch.Tensor tags, IReadOnlyList<string> ids, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(labelTargets);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(indices);
        var b = ids.Count;
        if (images.dim() != 4 || images.shape[0] != b || labels.shape[0] != b || labelTargets.shape[0] != b || tags.shape[0] != b || indices.Count != b)
        {
            throw new ArgumentException($"Batch parts disagree: images [{string.Join(", ", images.shape)}], labels [{string.Join(", ", labels.shape)}], {ids.Count} ids, {indices.Count} indices.");
        }

        Images = images;
        Labels = labels;
        LabelTargets = labelTargets;
        Tags = tags;
        Ids = ids;
        Indices = indices;
    }

    /// <summary>Gets the images <c>[B, C, H, W]</c>, float32.</summary>
    public torch.Tensor Images { get; }

    /// <summary>Gets the class ids <c>[B]</c>, int64 (-1 for multi-label samples).</summary>
    public torch.Tensor Labels { get; }

    /// <summary>Gets the multi-hot label targets <c>[B, L]</c>, float32.</summary>
    public torch.Tensor LabelTargets { get; }

    /// <summary>Gets the multi-hot tag targets <c>[B, T]</c>, float32.</summary>
    public torch.Tensor Tags { get; }

    /// <summary>Gets the sample identifiers.</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>Gets the dataset indices of the samples.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>Gets the batch size B.</summary>
    public int Size => Ids.Count;

    /// <summary>
    /// Collates decoded samples into tensors on the calling thread.
    /// </summary>
    /// <param name="samples">The samples (at least one), all with the same image shape.</param>
    /// <param name="indices">Their dataset indices.</param>
    /// <param name="info">The dataset's target description (class and tag counts).</param>
    /// <returns>The batch; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">Image shapes differ, or a label/tag id is out of range (the message names the sample).</exception>
    public static Batch Collate(IReadOnlyList<RawImageSample> samples, IReadOnlyList<int> indices, DatasetInfo info)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(info);
        if (samples.Count == 0 || samples.Count != indices.Count)
        {
            throw new ArgumentException($"Collate needs at least one sample and one index per sample, got {samples.Count} samples and {indices.Count} indices.", nameof(samples));
        }

        var first = samples[0].Image;
        int c = first.Channels, h = first.Height, w = first.Width;
        var size = c * h * w;
        var bsz = samples.Count;
        var l = info.ClassCount;
        var t = info.TagCount;
        var images = new float[(long)bsz * size];
        var labels = new long[bsz];
        var targets = new float[bsz * l];
        var tags = new float[bsz * t];
        var ids = new string[bsz];
        for (var i = 0; i < bsz; i++)
        {
            var s = samples[i];
            var img = s.Image;
            if (img.Channels != c || img.Height != h || img.Width != w)
            {
                throw new InvalidDataException($"Cannot collate sample '{s.Id}' of size {img.Channels}x{img.Height}x{img.Width} with '{samples[0].Id}' of size {c}x{h}x{w}: add a Resize/CenterCrop (or RandomResizedCrop) transform so all images share one size.");
            }

            Array.Copy(img.Data, 0, images, (long)i * size, size);
            if (s.Label < -1 || s.Label >= l)
            {
                throw new InvalidDataException($"Sample '{s.Id}': label {s.Label} is out of range for {l} classes.");
            }

            labels[i] = s.Label;
            foreach (var k in s.Labels)
            {
                if (k < 0 || k >= l)
                {
                    throw new InvalidDataException($"Sample '{s.Id}': label {k} is out of range for {l} classes.");
                }

                targets[(i * l) + k] = 1f;
            }

            foreach (var k in s.Tags)
            {
                if (k < 0 || k >= t)
                {
                    throw new InvalidDataException($"Sample '{s.Id}': tag {k} is out of range for {t} tags.");
                }

                tags[(i * t) + k] = 1f;
            }

            ids[i] = s.Id;
        }

        var imageTensor = torch.tensor(images, [bsz, c, h, w], torch.float32);
        var labelTensor = torch.tensor(labels, [bsz], torch.int64);
        var targetTensor = torch.tensor(targets, [bsz, l], torch.float32);
        var tagTensor = torch.tensor(tags, [bsz, t], torch.float32);
        return new Batch(imageTensor, labelTensor, targetTensor, tagTensor, ids, [.. indices]);
    }

    /// <summary>Copies the batch to a device (e.g. CUDA); the caller disposes both batches.</summary>
    /// <param name="device">The device.</param>
    /// <returns>A new batch on <paramref name="device"/>.</returns>
    public Batch To(torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new Batch(Images.to(device), Labels.to(device), LabelTargets.to(device), Tags.to(device), Ids, Indices);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
        LabelTargets.Dispose();
        Tags.Dispose();
    }
}
