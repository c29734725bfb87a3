// One JSON policy for every dataset file: a UTF-8 BOM is accepted, duplicate keys are rejected, and
// every parse failure becomes an InvalidDataException naming the file (and line where known).
using System.Text.Json;

namespace CausalVision.Data.Layouts;

/// <summary>Strict JSON parsing for dataset files.</summary>
internal static class StrictJson
{
    private static readonly JsonDocumentOptions Options = new() { AllowDuplicateProperties = false };

    /// <summary>Parses a whole file.</summary>
    public static JsonDocument ParseFile(string path) => Parse(File.ReadAllBytes(path), path, line: null);

    /// <summary>Parses bytes; <paramref name="line"/> is the file line the text came from (JSON lines), if any.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> bytes, string path, int? line)
    {
        if (bytes.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        try
        {
            return JsonDocument.Parse(bytes, Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}:{line ?? (ex.LineNumber + 1)}: invalid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // The duplicate-key check unescapes property names; an escaped lone surrogate fails there.
            throw NotUnicode(path, ex);
        }
    }

    /// <summary>The message for a string that does not transcode (invalid UTF-8 or an escaped lone surrogate).</summary>
    public static InvalidDataException NotUnicode(string path, InvalidOperationException ex) =>
        new($"{path}: holds text that is not valid UTF-8 / Unicode (an invalid byte sequence or a lone surrogate): {ex.Message}", ex);
}
