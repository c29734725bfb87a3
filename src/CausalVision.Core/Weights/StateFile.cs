// The one layout of the library's persisted state (K-means, Fuzzy ART, the exemplar hierarchy, the confounder
// dictionary, checkpoints): a safetensors file whose __metadata__ holds "format" (a tag such as causalvision.kmeans),
// "format_version" and the scalar settings as invariant-culture strings, and whose tensors hold every array in its
// own dtype (integers stay integers). The reader checks the tag, the version, each field's type and each tensor's
// dtype and shape, and names the file and the field or tensor in every InvalidDataException.
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Weights;

/// <summary>
/// Builds a state file: a safetensors file with <c>format</c>, <c>format_version</c> and scalar settings in its
/// <c>__metadata__</c>, and arrays as tensors in their own dtype. Read it with <see cref="StateFileReader"/>.
/// </summary>
/// <remarks>The writer holds references to the tensors added with <see cref="Add(string, Tensor)"/> (the caller keeps
/// owning them) and owns the tensors it creates from arrays; dispose it after saving.</remarks>
public sealed class StateFileWriter : IDisposable
{
    private readonly Dictionary<string, string> metadata = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> tensors = new(StringComparer.Ordinal);
    private readonly List<Tensor> owned = [];

    /// <summary>Initializes a new instance of the <see cref="StateFileWriter"/> class.</summary>
    /// <param name="format">The format tag, e.g. <c>causalvision.kmeans</c>.</param>
    /// <param name="version">The format version (&gt;= 1).</param>
    public StateFileWriter(string format, int version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(format);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        metadata[StateFileReader.FormatKey] = format;
        metadata[StateFileReader.VersionKey] = version.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Sets a string setting.</summary>
    /// <param name="key">The metadata key (not <c>format</c> or <c>format_version</c>).</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public StateFileWriter Set(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key is StateFileReader.FormatKey or StateFileReader.VersionKey)
        {
            throw new ArgumentException($"'{key}' is set by the constructor.", nameof(key));
        }

        metadata[key] = value;
        return this;
    }

    /// <summary>Sets an integer setting.</summary>
    /// <param name="key">The metadata key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public StateFileWriter Set(string key, long value) => Set(key, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sets a floating-point setting (written so that it reads back exactly).</summary>
    /// <param name="key">The metadata key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public StateFileWriter Set(string key, double value) => Set(key, value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>Sets a boolean setting (<c>true</c> or <c>false</c>).</summary>
    /// <param name="key">The metadata key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public StateFileWriter Set(string key, bool value) => Set(key, value ? "true" : "false");

    /// <summary>Adds a tensor (any device; written in its dtype and shape). The caller keeps owning it.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="tensor">The tensor.</param>
    /// <returns>This writer.</returns>
    public StateFileWriter Add(string name, Tensor tensor)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(tensor);
        tensors.Add(name, tensor);
        return this;
    }

    /// <summary>Adds an int64 array as an I64 tensor [n].</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="values">The values.</param>
    /// <returns>This writer.</returns>
    public StateFileWriter AddInt64s(string name, IReadOnlyList<long> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var t = torch.tensor(values.ToArray(), new long[] { values.Count }, ScalarType.Int64);
        owned.Add(t);
        return Add(name, t);
    }

    /// <summary>Adds a float64 array as an F64 tensor [n].</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="values">The values.</param>
    /// <returns>This writer.</returns>
    public StateFileWriter AddFloat64s(string name, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var t = torch.tensor(values.ToArray(), new long[] { values.Count }, ScalarType.Float64);
        owned.Add(t);
        return Add(name, t);
    }

    /// <summary>Adds bytes as a U8 tensor [n].</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="bytes">The bytes.</param>
    /// <returns>This writer.</returns>
    public StateFileWriter AddBytes(string name, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var t = torch.tensor(bytes, new long[] { bytes.Length }, ScalarType.Byte);
        owned.Add(t);
        return Add(name, t);
    }

    /// <summary>Writes the file atomically (a temporary file in the same folder, flushed, then renamed over the target).</summary>
    /// <param name="path">The file.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Save(file);
                file.Flush(flushToDisk: true);
            }

            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }

    /// <summary>Writes the file to a stream (left open).</summary>
    /// <param name="stream">The stream.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        SafeTensors.Save(stream, tensors, metadata);
    }

    /// <summary>Disposes the tensors the writer created from arrays.</summary>
    public void Dispose()
    {
        foreach (var t in owned)
        {
            t.Dispose();
        }

        owned.Clear();
        tensors.Clear();
    }
}

/// <summary>
/// Reads a state file written by <see cref="StateFileWriter"/>: checks the <c>format</c> tag and the
/// <c>format_version</c>, and gives typed access to settings and tensors. Every problem raises
/// <see cref="InvalidDataException"/> naming the file and the metadata key or tensor.
/// </summary>
public sealed class StateFileReader : IDisposable
{
    /// <summary>The metadata key of the format tag.</summary>
    public const string FormatKey = "format";

    /// <summary>The metadata key of the format version.</summary>
    public const string VersionKey = "format_version";

    private readonly NamedTensors file;
    private readonly HashSet<string> readTensors = new(StringComparer.Ordinal);
    private readonly HashSet<string> readKeys = new(StringComparer.Ordinal);

    private StateFileReader(NamedTensors file, string source, string what, int version)
    {
        this.file = file;
        Source = source;
        What = what;
        Version = version;
    }

    /// <summary>Gets the file name used in messages.</summary>
    public string Source { get; }

    /// <summary>Gets what the file is, for messages (e.g. "K-means file").</summary>
    public string What { get; }

    /// <summary>Gets the file's format version.</summary>
    public int Version { get; }

    /// <summary>Gets the metadata (including <c>format</c> and <c>format_version</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata => file.Metadata;

    /// <summary>Gets the tensor names.</summary>
    public IEnumerable<string> TensorNames => file.Keys;

    /// <summary>Returns a name for messages: the path of a <see cref="FileStream"/>, else "(stream)".</summary>
    /// <param name="stream">The stream.</param>
    /// <returns>The name.</returns>
    public static string SourceName(Stream stream) => stream is FileStream fs ? fs.Name : "(stream)";

    /// <summary>Returns whether the stream's next bytes are <paramref name="prefix"/>; the position is restored.</summary>
    /// <param name="stream">A readable stream (a non-seekable one is copied into memory first, see <see cref="Seekable"/>).</param>
    /// <param name="prefix">The bytes, e.g. a legacy format's magic.</param>
    /// <returns>Whether the stream starts with them.</returns>
    public static bool StartsWith(Stream stream, ReadOnlySpan<byte> prefix)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var start = stream.Position;
        Span<byte> head = stackalloc byte[prefix.Length];
        var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = start;
        return n == prefix.Length && head.SequenceEqual(prefix);
    }

    /// <summary>
    /// Loads a state file from a stream, or a file of the older binary layout it replaced when the stream starts
    /// with that layout's magic: the one dispatch every state file's <c>Load(Stream)</c> goes through. A
    /// non-seekable stream is copied into memory first; errors of the legacy reader name the file and the layout.
    /// </summary>
    /// <typeparam name="T">What the file holds.</typeparam>
    /// <param name="stream">The stream, positioned at the file's start (left open); a safetensors file runs to its end.</param>
    /// <param name="format">The expected format tag.</param>
    /// <param name="version">The format version this library reads.</param>
    /// <param name="what">What the file is, for messages.</param>
    /// <param name="read">Reads the state file (the reader is disposed afterwards).</param>
    /// <param name="legacyPrefix">The bytes a legacy file starts with.</param>
    /// <param name="legacyName">The legacy layout's name, for messages.</param>
    /// <param name="readLegacy">Reads a legacy file from the seekable stream.</param>
    /// <returns>The loaded object.</returns>
    /// <exception cref="InvalidDataException">Neither layout, or a truncated or corrupt file.</exception>
    public static T Load<T>(Stream stream, string format, int version, string what, Func<StateFileReader, T> read, byte[] legacyPrefix, string legacyName, Func<Stream, T> readLegacy)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(legacyPrefix);
        ArgumentNullException.ThrowIfNull(readLegacy);
        var source = SourceName(stream);
        var seekable = Seekable(stream);
        try
        {
            if (StartsWith(seekable, legacyPrefix))
            {
                try
                {
                    return readLegacy(seekable);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"{what} '{source}' (legacy {legacyName} layout): {e.Message}", e);
                }
            }

            using var r = Open(seekable, source, format, version, what);
            return read(r);
        }
        finally
        {
            if (!ReferenceEquals(seekable, stream))
            {
                seekable.Dispose();
            }
        }
    }

    /// <summary>Returns the stream itself when it can seek, else a memory copy of the rest of it.</summary>
    /// <param name="stream">The stream.</param>
    /// <returns>A seekable stream positioned at the data (dispose it when it is not <paramref name="stream"/>).</returns>
    public static Stream Seekable(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek)
        {
            return stream;
        }

        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

    /// <summary>Opens a state file from a path.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">The expected format tag.</param>
    /// <param name="version">The format version this library reads.</param>
    /// <param name="what">What the file is, for messages.</param>
    /// <returns>The reader (dispose it; it owns the tensors).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a safetensors file, another format tag or version.</exception>
    public static StateFileReader Open(string path, string format, int version, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{what} '{path}' does not exist.", path);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Open(stream, path, format, version, what);
    }

    /// <summary>Opens only the header of a state file: the metadata, checked as by <see cref="Open(string, string, int, string)"/>,
    /// without reading any tensor (the reader then has none).</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">The expected format tag.</param>
    /// <param name="version">The format version this library reads.</param>
    /// <param name="what">What the file is, for messages.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a safetensors file, another format tag or version.</exception>
    public static StateFileReader OpenMetadata(string path, string format, int version, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{what} '{path}' does not exist.", path);
        }

        var file = new NamedTensors();
        foreach (var (k, v) in SafeTensors.ReadHeader(path).Metadata)
        {
            file.Metadata[k] = v;
        }

        return Checked(file, path, format, version, what);
    }

    /// <summary>Opens a state file from a seekable stream positioned at its start (the file runs to the stream's end).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="sourceName">A name for messages.</param>
    /// <param name="format">The expected format tag.</param>
    /// <param name="version">The format version this library reads.</param>
    /// <param name="what">What the file is, for messages.</param>
    /// <returns>The reader (dispose it; it owns the tensors).</returns>
    /// <exception cref="InvalidDataException">Not a safetensors file, another format tag or version.</exception>
    public static StateFileReader Open(Stream stream, string sourceName, string format, int version, string what)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentException.ThrowIfNullOrWhiteSpace(format);
        ArgumentException.ThrowIfNullOrWhiteSpace(what);
        return Checked(SafeTensors.Load(stream, sourceName), sourceName, format, version, what);
    }

    /// <summary>Builds the documented exception for a problem with one field or tensor of this file.</summary>
    /// <param name="field">The field, e.g. <c>tensor 'centers'</c> or <c>metadata 'clusters'</c>; null for the whole file.</param>
    /// <param name="problem">The problem.</param>
    /// <param name="inner">The cause, if any.</param>
    /// <returns>The exception (throw it).</returns>
    public InvalidDataException Error(string? field, string problem, Exception? inner = null)
        => new(field is null ? $"{What} '{Source}': {problem}" : $"{What} '{Source}', {field}: {problem}", inner);

    /// <summary>Gets a string setting.</summary>
    /// <param name="key">The metadata key.</param>
    /// <returns>The value.</returns>
    public string GetString(string key)
    {
        readKeys.Add(key);
        return file.Metadata.TryGetValue(key, out var value) ? value : throw Error($"metadata '{key}'", "missing.");
    }

    /// <summary>Gets an optional string setting.</summary>
    /// <param name="key">The metadata key.</param>
    /// <returns>The value, or null when absent.</returns>
    public string? GetOptionalString(string key)
    {
        readKeys.Add(key);
        return file.Metadata.TryGetValue(key, out var value) ? value : null;
    }

    /// <summary>Gets an int64 setting.</summary>
    /// <param name="key">The metadata key.</param>
    /// <returns>The value.</returns>
    public long GetInt64(string key)
        => long.TryParse(GetString(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v : throw Error($"metadata '{key}'", $"'{Short(file.Metadata[key])}' is not an integer.");

    /// <summary>Gets an int32 setting.</summary>
    /// <param name="key">The metadata key.</param>
    /// <returns>The value.</returns>
    public int GetInt32(string key)
        => int.TryParse(GetString(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v : throw Error($"metadata '{key}'", $"'{Short(file.Metadata[key])}' is not a 32-bit integer.");

    /// <summary>Gets a floating-point setting (NaN and infinities are refused unless <paramref name="allowNonFinite"/>).</summary>
    /// <param name="key">The metadata key.</param>
    /// <param name="allowNonFinite">Whether NaN and infinities are valid values.</param>
    /// <returns>The value.</returns>
    public double GetDouble(string key, bool allowNonFinite = false)
    {
        var text = GetString(key);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            throw Error($"metadata '{key}'", $"'{Short(text)}' is not a number.");
        }

        return allowNonFinite || double.IsFinite(v) ? v : throw Error($"metadata '{key}'", $"{v.ToString(CultureInfo.InvariantCulture)} is not finite.");
    }

    /// <summary>Gets a boolean setting (<c>true</c> or <c>false</c>).</summary>
    /// <param name="key">The metadata key.</param>
    /// <returns>The value.</returns>
    public bool GetBoolean(string key) => GetString(key) switch
    {
        "true" => true,
        "false" => false,
        var other => throw Error($"metadata '{key}'", $"'{Short(other)}' is not 'true' or 'false'."),
    };

    /// <summary>Gets whether the file has a tensor of that name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>Whether it exists.</returns>
    public bool HasTensor(string name) => file.ContainsKey(name);

    /// <summary>Gets a tensor of any dtype and shape; the reader keeps owning it.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The tensor (CPU).</returns>
    public Tensor GetTensor(string name)
    {
        readTensors.Add(name);
        return file.TryGetValue(name, out var t) ? t : throw Error($"tensor '{name}'", "missing.");
    }

    /// <summary>Gets a tensor of one dtype and shape; the reader keeps owning it (clone or move it to keep it).</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="dtypes">The accepted dtypes.</param>
    /// <param name="shape">The expected shape; -1 accepts any size in that dimension.</param>
    /// <returns>The tensor (CPU).</returns>
    public Tensor GetTensor(string name, ScalarType[] dtypes, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(dtypes);
        ArgumentNullException.ThrowIfNull(shape);
        readTensors.Add(name);
        if (!file.TryGetValue(name, out var t))
        {
            throw Error($"tensor '{name}'", "missing.");
        }

        if (Array.IndexOf(dtypes, t.dtype) < 0)
        {
            throw Error($"tensor '{name}'", $"dtype {t.dtype}, expected {string.Join(" or ", dtypes)}.");
        }

        var ok = t.dim() == shape.Length;
        for (var i = 0; ok && i < shape.Length; i++)
        {
            ok = shape[i] < 0 || t.shape[i] == shape[i];
        }

        if (!ok)
        {
            throw Error($"tensor '{name}'", $"shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", shape.Select(s => s < 0 ? "*" : s.ToString(CultureInfo.InvariantCulture)))}].");
        }

        return t;
    }

    /// <summary>Gets a floating-point tensor (F64, F32, F16 or BF16) of a shape, refusing NaN and infinities.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="shape">The expected shape; -1 accepts any size in that dimension.</param>
    /// <returns>The tensor (CPU; owned by the reader).</returns>
    public Tensor GetFiniteFloat(string name, params long[] shape)
    {
        var t = GetTensor(name, [ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16], shape);
        using var finite = t.isfinite();
        using var all = finite.all();
        return all.item<bool>() ? t : throw Error($"tensor '{name}'", "holds NaN or infinite values.");
    }

    /// <summary>Gets an I64 tensor [<paramref name="length"/>] as an array.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="length">The expected length, or -1 for any.</param>
    /// <returns>The values.</returns>
    public long[] GetInt64s(string name, long length)
    {
        var t = GetTensor(name, [ScalarType.Int64], length);
        return t.numel() == 0 ? [] : t.data<long>().ToArray();
    }

    /// <summary>Gets an F64 tensor [<paramref name="length"/>] as an array.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="length">The expected length, or -1 for any.</param>
    /// <returns>The values.</returns>
    public double[] GetFloat64s(string name, long length)
    {
        var t = GetTensor(name, [ScalarType.Float64], length);
        return t.numel() == 0 ? [] : t.data<double>().ToArray();
    }

    /// <summary>Gets a U8 tensor [n] as bytes.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The bytes.</returns>
    public byte[] GetBytes(string name)
    {
        var t = GetTensor(name, [ScalarType.Byte], -1);
        return t.numel() == 0 ? [] : t.bytes.ToArray();
    }

    /// <summary>Refuses tensors and metadata keys that no getter asked for (a file of this version has none).</summary>
    /// <exception cref="InvalidDataException">An unexpected tensor or metadata key.</exception>
    public void RejectUnread()
    {
        foreach (var name in file.Keys.Order(StringComparer.Ordinal))
        {
            if (!readTensors.Contains(name))
            {
                throw Error($"tensor '{name}'", $"unexpected in a version-{Version} file.");
            }
        }

        foreach (var key in file.Metadata.Keys.Order(StringComparer.Ordinal))
        {
            if (key is not FormatKey and not VersionKey && !readKeys.Contains(key))
            {
                throw Error($"metadata '{key}'", $"unexpected in a version-{Version} file.");
            }
        }
    }

    /// <summary>Disposes every tensor of the file.</summary>
    public void Dispose() => file.Dispose();

    private static StateFileReader Checked(NamedTensors file, string sourceName, string format, int version, string what)
    {
        try
        {
            if (!file.Metadata.TryGetValue(FormatKey, out var tag) || tag != format)
            {
                throw new InvalidDataException($"{what} '{sourceName}', metadata '{FormatKey}': {(tag is null ? "absent" : $"'{Short(tag)}'")}, expected '{format}' (another kind of file).");
            }

            if (!file.Metadata.TryGetValue(VersionKey, out var text)
                || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1)
            {
                throw new InvalidDataException($"{what} '{sourceName}', metadata '{VersionKey}': missing or not a positive integer.");
            }

            if (v != version)
            {
                throw new InvalidDataException($"{what} '{sourceName}' has format version {v}; this library reads version {version}{(v > version ? " (the file was written by a newer version)" : string.Empty)}.");
            }

            return new StateFileReader(file, sourceName, what, v);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }


    private static string Short(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
