// Reader and writer for the safetensors format (huggingface/safetensors, format described in its README):
// 8-byte little-endian header length N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets}},
// optional "__metadata__" {string: string}, then the raw little-endian tensor bytes.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Weights;

/// <summary>One tensor's header entry in a safetensors file.</summary>
/// <param name="Name">The tensor name.</param>
/// <param name="DType">The safetensors dtype code ("F32", "F16", "BF16", ...).</param>
/// <param name="Shape">The shape (empty for a scalar).</param>
/// <param name="Begin">Start offset in the data section (bytes).</param>
/// <param name="End">End offset (exclusive) in the data section (bytes).</param>
public sealed record SafeTensorsEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>The parsed, validated header of a safetensors file.</summary>
/// <param name="Entries">The tensors, in data-offset order.</param>
/// <param name="Metadata">The <c>__metadata__</c> map (empty when absent).</param>
/// <param name="DataStart">Absolute offset of the data section (8 + header length).</param>
public sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart);

/// <summary>
/// Reads and writes <c>.safetensors</c> files without third-party code. Supported dtypes:
/// F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL (tensors keep their stored dtype;
/// <see cref="StateDictLoader"/> converts to the parameter dtype).
/// </summary>
/// <remarks>
/// Every defect of a file (truncation, a header length beyond the file, bad JSON, invalid UTF-8 or an
/// escaped lone surrogate, a duplicate key, a missing or malformed field, an unsupported dtype, offsets
/// that disagree with the shape, fall outside the data, overlap or leave gaps, as the reference
/// implementation rejects) raises <see cref="InvalidDataException"/> naming the file and, where it
/// applies, the tensor. Sizes are computed with overflow checks.
/// </remarks>
public static class SafeTensors
{
    /// <summary>The largest header accepted (100 MB, as the reference implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Reads and validates only the header of a file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The header.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is malformed.</exception>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path);
    }

    /// <summary>Reads and validates the header from a seekable stream positioned at the file start.</summary>
    /// <param name="stream">The stream (seekable; its length bounds the data section).</param>
    /// <param name="sourceName">A name for error messages (e.g. the file path).</param>
    /// <returns>The header.</returns>
    /// <exception cref="InvalidDataException">The header is malformed.</exception>
    public static SafeTensorsHeader ReadHeader(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanSeek || !stream.CanRead)
        {
            throw new ArgumentException("A readable, seekable stream is required.", nameof(stream));
        }

        var start = stream.Position;
        var length = stream.Length - start;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
        {
            throw Bad(sourceName, null, $"file is truncated: {length} byte(s), fewer than the 8-byte header length.");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(length - 8))
        {
            throw Bad(sourceName, null, $"header length {headerLength} exceeds the {length - 8} byte(s) after the length prefix (truncated or not a safetensors file).");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw Bad(sourceName, null, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
        }

        if (headerLength < 2)
        {
            throw Bad(sourceName, null, $"header length {headerLength} is too small for a JSON object.");
        }

        var json = new byte[(int)headerLength];
        stream.ReadExactly(json);
        var dataLength = length - 8 - (long)headerLength;
        return ParseHeader(json, dataLength, start + 8 + (long)headerLength, sourceName);
    }

    /// <summary>Loads every tensor of a file (on the CPU, in its stored dtype).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tensors and metadata; the caller disposes them.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    public static NamedTensors Load(string path)
    {
        using var stream = OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Loads every tensor from a seekable stream positioned at the file start.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <returns>The tensors and metadata; the caller disposes them.</returns>
    /// <exception cref="InvalidDataException">The content is malformed.</exception>
    public static NamedTensors Load(Stream stream, string sourceName)
    {
        var header = ReadHeader(stream, sourceName);
        var result = new NamedTensors();
        try
        {
            foreach (var (k, v) in header.Metadata)
            {
                result.Metadata[k] = v;
            }

            foreach (var entry in header.Entries)
            {
                var dtype = ParseDType(entry.DType, sourceName, entry.Name);
                var bytes = entry.End - entry.Begin;
                if (bytes > int.MaxValue)
                {
                    throw Bad(sourceName, entry.Name, $"{bytes} bytes exceed this reader's 2 GiB per-tensor limit.");
                }

                var tensor = torch.empty(entry.Shape, dtype: dtype);
                result.Add(entry.Name, tensor);
                if (bytes > 0)
                {
                    stream.Seek(header.DataStart + entry.Begin, SeekOrigin.Begin);
                    var span = tensor.bytes;
                    if (stream.ReadAtLeast(span, span.Length, throwOnEndOfStream: false) < span.Length)
                    {
                        throw Bad(sourceName, entry.Name, "data is truncated.");
                    }

                    if (!BitConverter.IsLittleEndian)
                    {
                        SwapBytes(span, ElementSize(entry.DType));
                    }
                }
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Writes tensors (any device, any layout) to a file, names sorted ordinally, data contiguous.</summary>
    /// <param name="path">The file (overwritten).</param>
    /// <param name="tensors">Name -> tensor; names non-empty and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string metadata.</param>
    /// <exception cref="ArgumentException">A name is invalid or a dtype is not supported.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            Save(stream, tensors, metadata);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Writes tensors to a stream in safetensors format.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="tensors">Name -> tensor.</param>
    /// <param name="metadata">Optional string metadata.</param>
    /// <exception cref="ArgumentException">A name is invalid or a dtype is not supported.</exception>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        var codes = new string[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var name = names[i];
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
            {
                throw new ArgumentException($"Invalid safetensors tensor name '{name}'.", nameof(tensors));
            }

            var tensor = tensors[name] ?? throw new ArgumentException($"Tensor '{name}' is null.", nameof(tensors));
            codes[i] = DTypeCode(tensor.dtype) ?? throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store here (use F64, F32, F16, BF16, I64, I32, I16, I8, U8 or BOOL).", nameof(tensors));
        }

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    json.WriteString(k, v);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            for (var i = 0; i < names.Length; i++)
            {
                var tensor = tensors[names[i]];
                var bytes = tensor.numel() * tensor.ElementSize;
                json.WriteStartObject(names[i]);
                json.WriteString("dtype", codes[i]);
                json.WriteStartArray("shape");
                foreach (var d in tensor.shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }

            json.WriteEndObject();
        }

        // Pad the header with spaces to a multiple of 8 so that the data section is aligned.
        var headerLength = buffer.Length;
        var padded = (headerLength + 7) / 8 * 8;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        stream.Write(prefix);
        stream.Write(buffer.GetBuffer(), 0, (int)headerLength);
        for (var i = headerLength; i < padded; i++)
        {
            stream.WriteByte((byte)' ');
        }

        for (var i = 0; i < names.Length; i++)
        {
            using var scope = NewDisposeScope();
            var cpu = tensors[names[i]].detach().cpu().contiguous();
            if (cpu.numel() == 0)
            {
                continue;
            }

            var span = cpu.bytes;
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(span);
            }
            else
            {
                var copy = span.ToArray();
                SwapBytes(copy, ElementSize(codes[i]));
                stream.Write(copy);
            }
        }
    }

    /// <summary>Writes a module's state dict (parameters and persistent buffers) to a file.</summary>
    /// <param name="module">The module.</param>
    /// <param name="path">The file (overwritten).</param>
    /// <param name="metadata">Optional string metadata.</param>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Save(path, module.state_dict(), metadata);
    }

    /// <summary>Gets the TorchSharp dtype of a safetensors dtype code, or null when unsupported.</summary>
    /// <param name="code">The code, e.g. "BF16".</param>
    /// <returns>The scalar type, or null.</returns>
    public static ScalarType? ToScalarType(string code) => code switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => null,
    };

    private static string? DTypeCode(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => null,
    };

    private static int ElementSize(string code) => code switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "BF16" or "I16" => 2,
        _ => 1,
    };

    private static ScalarType ParseDType(string code, string source, string name)
        => ToScalarType(code) ?? throw Bad(source, name, $"unsupported dtype '{code}' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL).");

    private static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    private static SafeTensorsHeader ParseHeader(byte[] json, long dataLength, long dataStart, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.AsMemory().TrimEnd((byte)' '), new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            throw Bad(source, null, $"header is not valid JSON ({ex.Message}).", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw Bad(source, null, $"header holds text that is not valid Unicode ({ex.Message}).", ex);
        }

        using (doc)
        {
            try
            {
                return ParseHeader(doc, dataLength, dataStart, source);
            }
            catch (InvalidOperationException ex)
            {
                // System.Text.Json refuses to transcode an escaped lone surrogate (\ud800) into a .NET string.
                throw Bad(source, null, $"header holds text that is not valid Unicode ({ex.Message}).", ex);
            }
        }
    }

    private static SafeTensorsHeader ParseHeader(JsonDocument doc, long dataLength, long dataStart, string source)
    {
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw Bad(source, null, $"header must be a JSON object, not {doc.RootElement.ValueKind}.");
        }

        var entries = new List<SafeTensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                throw Bad(source, property.Name, "name appears twice in the header.");
            }

            if (property.Name == MetadataKey)
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    throw Bad(source, null, "__metadata__ must be an object of strings.");
                }

                foreach (var m in property.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String)
                    {
                        throw Bad(source, null, $"__metadata__ value of '{m.Name}' must be a string.");
                    }

                    metadata[m.Name] = m.Value.GetString()!;
                }

                continue;
            }

            entries.Add(ParseEntry(property, dataLength, source));
        }

        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expectedBegin = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            if (i > 0 && entries[i].Begin < entries[i - 1].End)
            {
                throw Bad(source, entries[i].Name, $"data_offsets [{entries[i].Begin}, {entries[i].End}) overlap tensor '{entries[i - 1].Name}' [{entries[i - 1].Begin}, {entries[i - 1].End}).");
            }

            if (entries[i].Begin != expectedBegin)
            {
                throw Bad(source, entries[i].Name, $"data_offsets [{entries[i].Begin}, {entries[i].End}) leave a gap after byte {expectedBegin} of the data section.");
            }

            expectedBegin = entries[i].End;
        }

        if (expectedBegin != dataLength)
        {
            throw Bad(source, null, $"the tensors cover {expectedBegin} of the {dataLength} data byte(s); the rest is unaccounted for.");
        }

        return new SafeTensorsHeader(entries, metadata, dataStart);
    }

    private static SafeTensorsEntry ParseEntry(JsonProperty property, long dataLength, string source)
    {
        var name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Bad(source, name, "entry must be an object with dtype, shape and data_offsets.");
        }

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Bad(source, name, "missing or non-string 'dtype'.");
        }

        var code = dtypeElement.GetString()!;
        _ = ParseDType(code, source, name);
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw Bad(source, name, "missing or non-array 'shape'.");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        long numel = 1;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
            {
                throw Bad(source, name, $"shape entry {i} is not a non-negative integer.");
            }

            shape[i++] = dim;
            try
            {
                numel = checked(numel * dim);
            }
            catch (OverflowException)
            {
                throw Bad(source, name, "shape has too many elements.");
            }
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw Bad(source, name, "missing 'data_offsets' [begin, end].");
        }

        var begin = offsets[0];
        var end = offsets[1];
        if (begin.ValueKind != JsonValueKind.Number || end.ValueKind != JsonValueKind.Number
            || !begin.TryGetInt64(out var b) || !end.TryGetInt64(out var e) || b < 0 || e < b)
        {
            throw Bad(source, name, "data_offsets must be integers with 0 <= begin <= end.");
        }

        if (e > dataLength)
        {
            throw Bad(source, name, $"data_offsets [{b}, {e}) lie beyond the {dataLength}-byte data section (truncated file?).");
        }

        long expected;
        try
        {
            expected = checked(numel * ElementSize(code));
        }
        catch (OverflowException)
        {
            throw Bad(source, name, "shape has too many elements.");
        }

        if (e - b != expected)
        {
            throw Bad(source, name, $"data_offsets span {e - b} byte(s) but {code} [{string.Join(", ", shape)}] needs {expected}.");
        }

        return new SafeTensorsEntry(name, code, shape, b, e);
    }

    private static void SwapBytes(Span<byte> data, int size)
    {
        if (size == 1)
        {
            return;
        }

        for (var i = 0; i + size <= data.Length; i += size)
        {
            data.Slice(i, size).Reverse();
        }
    }

    private static InvalidDataException Bad(string source, string? tensor, string problem, Exception? inner = null)
    {
        var where = tensor is null ? $"Safetensors file '{source}'" : $"Safetensors file '{source}', tensor '{tensor}'";
        return new InvalidDataException($"{where}: {problem}", inner);
    }
}
