// The legacy-format files under tests/fixtures/legacy (copied next to every test assembly) and their content JSON.
using System.Text.Json;

namespace CausalVision.Testing;

/// <summary>Finds the legacy-format fixture files and reads the JSON that describes their content.</summary>
public static class LegacyFixtures
{
    /// <summary>Gets the full path of a fixture file.</summary>
    /// <param name="name">The file name, e.g. <c>kmeans.cvkmeans</c>.</param>
    /// <returns>The path.</returns>
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "legacy", name);

    /// <summary>Reads a fixture's bytes.</summary>
    /// <param name="name">The file name.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    /// <summary>Reads a content JSON file.</summary>
    /// <param name="name">The file name, e.g. <c>kmeans.json</c>.</param>
    /// <returns>The root element (a clone, independent of the document).</returns>
    public static JsonElement Json(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf(name)));
        return doc.RootElement.Clone();
    }

    /// <summary>Reads a JSON array of numbers as float32 values.</summary>
    /// <param name="e">The array.</param>
    /// <returns>The values.</returns>
    public static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    /// <summary>Reads a JSON array of numbers as float64 values.</summary>
    /// <param name="e">The array.</param>
    /// <returns>The values.</returns>
    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>Reads a JSON array of integers.</summary>
    /// <param name="e">The array.</param>
    /// <returns>The values.</returns>
    public static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();
}
