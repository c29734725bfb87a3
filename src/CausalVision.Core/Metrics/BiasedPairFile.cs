// Biased pairs given in a text file, for the exclusive / co-occur evaluation of any multi-label model:
// one pair per line, "b,c" (or "b c"), each a class name or a 0-based class index; '#' starts a comment.
using System.Globalization;

namespace CausalVision.Metrics;

/// <summary>Reads and prints biased (b, c) pairs by class name.</summary>
public static class BiasedPairFile
{
    /// <summary>Parses pair lines against a class list.</summary>
    /// <param name="lines">The lines: "b,c" or "b c", names or 0-based indices; blank lines and '#' comments are skipped.</param>
    /// <param name="classes">The class names (index = class id).</param>
    /// <returns>The pairs, with Bias and CooccurrenceRatio NaN (not measured).</returns>
    /// <exception cref="ArgumentException">An unknown class, a malformed line, b = c, or no pair at all; the message names the line.</exception>
    public static IReadOnlyList<BiasedPair> Parse(IEnumerable<string> lines, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(classes);
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < classes.Count; i++)
        {
            byName.TryAdd(classes[i], i);
        }

        var pairs = new List<BiasedPair>();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw;
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != 2)
            {
                throw new ArgumentException($"Biased-pair line {number} ('{raw}') must be 'b,c' (two class names or indices).", nameof(lines));
            }

            var b = Resolve(parts[0], byName, classes.Count, number);
            var c = Resolve(parts[1], byName, classes.Count, number);
            if (b == c)
            {
                throw new ArgumentException($"Biased-pair line {number} names class '{classes[b]}' twice; b and c must differ.", nameof(lines));
            }

            pairs.Add(new BiasedPair(b, c, double.NaN, double.NaN));
        }

        if (pairs.Count == 0)
        {
            throw new ArgumentException("The biased-pair file holds no pair.", nameof(lines));
        }

        return pairs;
    }

    /// <summary>Reads a pair file (see <see cref="Parse"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="classes">The class names.</param>
    /// <returns>The pairs.</returns>
    public static IReadOnlyList<BiasedPair> Read(string path, IReadOnlyList<string> classes) => Parse(File.ReadLines(path), classes);

    /// <summary>One line per pair: "b,c" by name with the co-occurrence ratio when measured.</summary>
    /// <param name="pairs">The pairs.</param>
    /// <param name="classes">The class names.</param>
    /// <returns>The lines.</returns>
    public static IEnumerable<string> Format(IReadOnlyList<BiasedPair> pairs, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(classes);
        return pairs.Select(p => double.IsNaN(p.CooccurrenceRatio)
            ? $"{classes[p.Biased]},{classes[p.Context]}"
            : string.Create(CultureInfo.InvariantCulture, $"{classes[p.Biased]},{classes[p.Context]}  # P(c|b) in training {p.CooccurrenceRatio:F3}"));
    }

    private static int Resolve(string token, Dictionary<string, int> byName, int count, int line)
    {
        if (byName.TryGetValue(token, out var index))
        {
            return index;
        }

        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index < count)
        {
            return index;
        }

        throw new ArgumentException($"Biased-pair line {line}: '{token}' is neither a class name nor an index in [0, {count}).", nameof(byName));
    }
}
