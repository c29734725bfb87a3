// A safetensors file whose __metadata__ carries a format tag and a JSON description: the one layout of the
// library's whole-model files (VscNet.Save, CausalLabelModel.Save).
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using static TorchSharp.torch;

namespace CausalVision.Weights;

/// <summary>Writes and reads safetensors files with <c>format</c> and <c>description</c> (JSON) metadata entries.</summary>
public static class DescribedSafeTensors
{
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },

        // Explicit: works where reflection-based JSON is off by default (file-based apps, trimmed builds).
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Writes <paramref name="tensors"/> with the format tag and the description (atomically: a temporary file, then a move).</summary>
    /// <typeparam name="T">The description type (serialised as JSON, enums as names).</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="tensors">The tensors (on the CPU).</param>
    /// <param name="format">The format tag, e.g. <c>causalvision.vscnet/1</c>.</param>
    /// <param name="description">The description.</param>
    public static void Save<T>(string path, IReadOnlyDictionary<string, Tensor> tensors, string format, T description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrWhiteSpace(format);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        SafeTensors.Save(temp, tensors, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = format,
            ["description"] = JsonSerializer.Serialize(description, Json),
        });
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>Loads a file written by <see cref="Save"/> and checks its format tag.</summary>
    /// <typeparam name="T">The description type.</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="format">The format tag expected.</param>
    /// <param name="what">What the file should be, for messages (e.g. "VSCNet model file").</param>
    /// <param name="description">The description read.</param>
    /// <returns>The tensors (the caller disposes them).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, has another format tag, or its description is not valid JSON.</exception>
    public static NamedTensors Load<T>(string path, string format, string what, out T description)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var file = SafeTensors.Load(path);
        try
        {
            if (!file.Metadata.TryGetValue("format", out var tag) || tag != format || !file.Metadata.TryGetValue("description", out var json))
            {
                throw new InvalidDataException($"'{path}' is not a {what} (metadata 'format' must be '{format}').");
            }

            try
            {
                description = JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException("empty description");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}': the model description is not valid: {e.Message}", e);
            }

            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
