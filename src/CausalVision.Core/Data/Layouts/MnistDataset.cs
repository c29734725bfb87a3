// MNIST's IDX files (LeCun et al.): big-endian int32 magic 2051 (images: count, rows, cols, then
// unsigned bytes row-major) or 2049 (labels: count, then one byte per item).
using System.IO.Compression;
using CausalVision.Imaging;

namespace CausalVision.Data.Layouts;

/// <summary>Options for <see cref="MnistDataset"/>.</summary>
public sealed class MnistOptions
{
    /// <summary>Gets or sets the channel count of decoded images: 1, or 3 (gray replicated, for RGB backbones). <value>1</value>.</summary>
    public int Channels { get; set; } = 1;

    /// <summary>Gets or sets what happens to an item with a label outside 0..9. <value><see cref="DataErrorPolicy.Throw"/></value>.</summary>
    public DataErrorPolicy ErrorPolicy { get; set; } = DataErrorPolicy.Throw;
}

/// <summary>
/// The MNIST digits from the standard IDX files in one folder: <c>train-images-idx3-ubyte</c>,
/// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>
/// (also found as <c>train-images.idx3-ubyte</c>, or gzipped with a <c>.gz</c> suffix). Held in
/// memory (47 MB for the training set); classes "0".."9"; no tags. Images are
/// <c>[Channels, 28, 28]</c> in [0, 1] (<c>byte / 255</c>). Sample ids are <c>"train/&lt;i&gt;"</c>
/// or <c>"t10k/&lt;i&gt;"</c> with the item's index in the file.
/// </summary>
public sealed class MnistDataset : IRawImageDataset
{
    private const int ImageMagic = 2051;
    private const int LabelMagic = 2049;
    private readonly byte[] pixels;
    private readonly int[] items;
    private readonly byte[] labels;
    private readonly string prefix;

    private MnistDataset(byte[] pixels, byte[] labels, int[] items, int rows, int cols, int channels, string prefix, DataLoadReport report)
    {
        this.pixels = pixels;
        this.labels = labels;
        this.items = items;
        this.prefix = prefix;
        Rows = rows;
        Columns = cols;
        Channels = channels;
        Report = report;
    }

    /// <inheritdoc />
    public DatasetInfo Info { get; } = new("mnist", [.. Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))], [], false);

    /// <inheritdoc />
    public int Count => items.Length;

    /// <summary>Gets the image height (28 for MNIST).</summary>
    public int Rows { get; }

    /// <summary>Gets the image width (28 for MNIST).</summary>
    public int Columns { get; }

    /// <summary>Gets the channel count of decoded images.</summary>
    public int Channels { get; }

    /// <summary>Gets what was loaded and skipped.</summary>
    public DataLoadReport Report { get; }

    /// <summary>Loads the training (60,000) or test (10,000, "t10k") split from <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder holding the IDX files.</param>
    /// <param name="train">True for train-*, false for t10k-*.</param>
    /// <param name="options">Options. <value>null: defaults</value>.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="InvalidDataException">A file is missing, has a wrong magic number, is truncated, the counts differ, or a label is not 0..9 (under Throw).</exception>
    public static MnistDataset Load(string directory, bool train, MnistOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new MnistOptions();
        if (options.Channels is not (1 or 3))
        {
            throw new ArgumentException($"MnistOptions.Channels must be 1 or 3, got {options.Channels}.", nameof(options));
        }

        var split = train ? "train" : "t10k";
        var imagePath = Find(directory, split, "images", "idx3");
        var labelPath = Find(directory, split, "labels", "idx1");
        var imageBytes = ReadAll(imagePath);
        var labelBytes = ReadAll(labelPath);
        if (imageBytes.Length < 16 || ReadBe(imageBytes, 0) != ImageMagic)
        {
            throw new InvalidDataException($"{imagePath}: not an IDX image file (magic {(imageBytes.Length >= 4 ? ReadBe(imageBytes, 0) : -1)}, expected {ImageMagic}).");
        }

        if (labelBytes.Length < 8 || ReadBe(labelBytes, 0) != LabelMagic)
        {
            throw new InvalidDataException($"{labelPath}: not an IDX label file (magic {(labelBytes.Length >= 4 ? ReadBe(labelBytes, 0) : -1)}, expected {LabelMagic}).");
        }

        int count = ReadBe(imageBytes, 4), rows = ReadBe(imageBytes, 8), cols = ReadBe(imageBytes, 12);
        var labelCount = ReadBe(labelBytes, 4);
        // Int128: count * rows * cols of three int32 header fields cannot overflow it (a long can wrap to the file size).
        if (count < 0 || rows < 1 || cols < 1 || (Int128)count * rows * cols != imageBytes.Length - 16)
        {
            throw new InvalidDataException($"{imagePath}: header says {count} images of {rows}x{cols} but the file holds {imageBytes.Length - 16} pixel bytes (truncated or corrupt).");
        }

        if (labelCount != labelBytes.Length - 8)
        {
            throw new InvalidDataException($"{labelPath}: header says {labelCount} labels but the file holds {labelBytes.Length - 8} (truncated or corrupt).");
        }

        if (labelCount != count)
        {
            throw new InvalidDataException($"{labelPath}: {labelCount} labels for {count} images in {imagePath}.");
        }

        var kept = new List<int>(count);
        var errors = new List<DataError>();
        for (var i = 0; i < count; i++)
        {
            var label = labelBytes[8 + i];
            if (label > 9)
            {
                var error = new DataError(labelPath, i + 1, $"item {i}: label {label} is out of range [0, 10).");
                if (options.ErrorPolicy == DataErrorPolicy.Throw)
                {
                    throw new InvalidDataException(error.ToString());
                }

                errors.Add(error);
                continue;
            }

            kept.Add(i);
        }

        var pixels = imageBytes[16..];
        var report = new DataLoadReport(kept.Count, errors, 0, [$"line numbers of MNIST errors are 1-based item numbers in {Path.GetFileName(labelPath)}"]);
        return new MnistDataset(pixels, labelBytes[8..], [.. kept], rows, cols, options.Channels, split, report);
    }

    /// <inheritdoc />
    public string GetId(int index) => $"{prefix}/{Item(index)}";

    /// <inheritdoc />
    public RawImageSample GetRaw(int index)
    {
        var item = Item(index);
        var plane = Rows * Columns;
        var data = new float[Channels * plane];
        var offset = item * plane;
        for (var i = 0; i < plane; i++)
        {
            data[i] = pixels[offset + i] / 255f;
        }

        for (var c = 1; c < Channels; c++)
        {
            Array.Copy(data, 0, data, c * plane, plane);
        }

        int label = labels[item];
        return new RawImageSample(GetId(index), new ImageBuffer(Channels, Rows, Columns, data), label, [label], []);
    }

    /// <inheritdoc />
    public ImageSample Get(int index)
    {
        var raw = GetRaw(index);
        return new ImageSample(raw.Id, raw.Image.ToTensor(), raw.Label, raw.Labels, raw.Tags);
    }

    private int Item(int index)
    {
        if ((uint)index >= (uint)items.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in [0, {items.Length}).");
        }

        return items[index];
    }

    private static string Find(string directory, string split, string kind, string idx)
    {
        string[] names = [$"{split}-{kind}-{idx}-ubyte", $"{split}-{kind}.{idx}-ubyte"];
        foreach (var name in names)
        {
            foreach (var candidate in new[] { name, name + ".gz" })
            {
                var path = Path.Combine(directory, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        throw new InvalidDataException($"MNIST file '{Path.Combine(directory, names[0])}' (or .gz) does not exist.");
    }

    private static byte[] ReadAll(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            return File.ReadAllBytes(path);
        }

        try
        {
            using var file = File.OpenRead(path);
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: not a valid gzip file: {ex.Message}", ex);
        }
    }

    private static int ReadBe(byte[] b, int o) => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}
