using CausalVision.Imaging;

namespace CausalVision.Data;

/// <summary>
/// A dataset of image files with validated targets: what every layout loader in
/// <c>CausalVision.Data.Layouts</c> returns. Images are decoded on demand (thread-safe).
/// </summary>
public sealed class ImageFileDataset : IRawImageDataset
{
    private readonly ImageEntry[] entries;

    /// <summary>Initializes a new instance of the <see cref="ImageFileDataset"/> class.</summary>
    /// <param name="info">What the targets mean.</param>
    /// <param name="root">The dataset root folder.</param>
    /// <param name="entries">The samples; their targets must be valid for <paramref name="info"/>.</param>
    /// <param name="report">The load report. <value>null: all loaded, none skipped</value>.</param>
    /// <param name="grayscale">Whether images decode to one channel. <value>false</value>.</param>
    /// <exception cref="ArgumentException">A target is out of range for <paramref name="info"/>.</exception>
    public ImageFileDataset(DatasetInfo info, string root, IReadOnlyList<ImageEntry> entries, DataLoadReport? report = null, bool grayscale = false)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var e in entries)
        {
            if (e.Label >= info.ClassCount || e.Label < -1 || e.Labels.Any(l => l < 0 || l >= info.ClassCount) || e.Tags.Any(t => t < 0 || t >= info.TagCount))
            {
                throw new ArgumentException($"Sample '{e.Id}' has a label or tag id out of range for {info.ClassCount} classes and {info.TagCount} tags.", nameof(entries));
            }
        }

        Info = info;
        Root = root;
        this.entries = [.. entries];
        Report = report ?? new DataLoadReport(this.entries.Length, []);
        Grayscale = grayscale;
    }

    /// <inheritdoc />
    public DatasetInfo Info { get; }

    /// <summary>Gets the dataset root folder.</summary>
    public string Root { get; }

    /// <summary>Gets what the loader kept and skipped.</summary>
    public DataLoadReport Report { get; }

    /// <summary>Gets a value indicating whether images decode to one channel.</summary>
    public bool Grayscale { get; }

    /// <summary>Gets the pixel budget per image, checked from the header before decoding.</summary>
    /// <value>Default <see cref="ImageDecoder.DefaultMaxPixels"/>.</value>
    public long MaxImagePixels { get; init; } = ImageDecoder.DefaultMaxPixels;

    /// <inheritdoc />
    public int Count => entries.Length;

    /// <summary>Gets the samples' metadata (no decoding).</summary>
    public IReadOnlyList<ImageEntry> Entries => entries;

    /// <inheritdoc />
    public string GetId(int index) => Entry(index).Id;

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The image file is missing or corrupt (the message names it).</exception>
    public RawImageSample GetRaw(int index)
    {
        var e = Entry(index);
        var image = ImageDecoder.DecodeFile(e.Path, Grayscale, MaxImagePixels);
        return new RawImageSample(e.Id, image, e.Label, e.Labels, e.Tags);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The image file is missing or corrupt (the message names it).</exception>
    public ImageSample Get(int index)
    {
        var raw = GetRaw(index);
        return new ImageSample(raw.Id, raw.Image.ToTensor(), raw.Label, raw.Labels, raw.Tags);
    }

    private ImageEntry Entry(int index)
    {
        if ((uint)index >= (uint)entries.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in [0, {entries.Length}).");
        }

        return entries[index];
    }
}
