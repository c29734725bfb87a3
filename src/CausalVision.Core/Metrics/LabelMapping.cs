// Cross-dataset evaluation (paper B, Table 2: MS-COCO -> NUS-WIDE and back): a model trained on one
// label space is scored on another through a mapping file of "src_label,dst_label" lines.
namespace CausalVision.Metrics;

/// <summary>
/// Maps a source (training) label space onto a target (test) label space for cross-dataset
/// evaluation. Only target classes named in the mapping are evaluated.
/// </summary>
/// <remarks>
/// File format: one <c>src_label,dst_label</c> pair per line; names are trimmed and compared
/// exactly (case-sensitive); blank lines and lines starting with <c>#</c> are skipped. A source
/// label may appear once; several source labels may map to the same target label, whose score is
/// then the maximum of theirs (a choice: the slides do not describe the mapping).
/// </remarks>
public sealed class LabelMapping
{
    private readonly int[][] sourcesPerMapped;

    private LabelMapping(IReadOnlyList<string> source, IReadOnlyList<string> target, SortedDictionary<int, List<int>> map)
    {
        SourceLabels = source.ToArray();
        TargetLabels = target.ToArray();
        MappedTargets = map.Keys.ToArray();
        sourcesPerMapped = map.Values.Select(v => v.ToArray()).ToArray();
    }

    /// <summary>Gets the source (training) label names, in model output order.</summary>
    public IReadOnlyList<string> SourceLabels { get; }

    /// <summary>Gets the target (test) label names, in test target order.</summary>
    public IReadOnlyList<string> TargetLabels { get; }

    /// <summary>Gets the target class indices that are evaluated (mapped from at least one source), ascending.</summary>
    public IReadOnlyList<int> MappedTargets { get; }

    /// <summary>Gets the names of <see cref="MappedTargets"/>.</summary>
    public IReadOnlyList<string> MappedTargetNames => MappedTargets.Select(t => TargetLabels[t]).ToArray();

    /// <summary>Reads a mapping file.</summary>
    /// <param name="path">The file of <c>src_label,dst_label</c> lines.</param>
    /// <param name="sourceLabels">Training label names.</param>
    /// <param name="targetLabels">Test label names.</param>
    /// <returns>The mapping.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A malformed line, an unknown or repeated name, or no mapping at all (the message names file and line).</exception>
    public static LabelMapping Load(string path, IReadOnlyList<string> sourceLabels, IReadOnlyList<string> targetLabels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Label mapping file '{path}' does not exist.", path);
        }

        return Parse(File.ReadAllLines(path), sourceLabels, targetLabels, path);
    }

    /// <summary>Parses mapping lines.</summary>
    /// <param name="lines">The <c>src_label,dst_label</c> lines.</param>
    /// <param name="sourceLabels">Training label names (unique).</param>
    /// <param name="targetLabels">Test label names (unique).</param>
    /// <param name="origin">Where the lines come from, for messages; default "mapping".</param>
    /// <returns>The mapping.</returns>
    /// <exception cref="ArgumentException">Empty or repeated label names in the label spaces.</exception>
    /// <exception cref="InvalidDataException">A malformed line, an unknown or repeated name, or no mapping at all.</exception>
    public static LabelMapping Parse(IEnumerable<string> lines, IReadOnlyList<string> sourceLabels, IReadOnlyList<string> targetLabels, string origin = "mapping")
    {
        ArgumentNullException.ThrowIfNull(lines);
        var src = Index(sourceLabels, nameof(sourceLabels));
        var dst = Index(targetLabels, nameof(targetLabels));
        var map = new SortedDictionary<int, List<int>>();
        var seen = new HashSet<int>();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw?.Trim() ?? string.Empty;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split(',');
            if (parts.Length != 2 || parts[0].Trim().Length == 0 || parts[1].Trim().Length == 0)
            {
                throw new InvalidDataException($"{origin}, line {number}: expected 'src_label,dst_label', got '{line}'.");
            }

            var s = parts[0].Trim();
            var d = parts[1].Trim();
            if (!src.TryGetValue(s, out var si))
            {
                throw new InvalidDataException($"{origin}, line {number}: source label '{s}' is not one of the {sourceLabels.Count} training labels.");
            }

            if (!dst.TryGetValue(d, out var di))
            {
                throw new InvalidDataException($"{origin}, line {number}: target label '{d}' is not one of the {targetLabels.Count} test labels.");
            }

            if (!seen.Add(si))
            {
                throw new InvalidDataException($"{origin}, line {number}: source label '{s}' is mapped twice.");
            }

            if (!map.TryGetValue(di, out var list))
            {
                map[di] = list = new List<int>();
            }

            list.Add(si);
        }

        if (map.Count == 0)
        {
            throw new InvalidDataException($"{origin}: no 'src_label,dst_label' line; nothing would be evaluated.");
        }

        return new LabelMapping(sourceLabels, targetLabels, map);
    }

    /// <summary>Projects source-space scores onto the mapped target classes (max over sources).</summary>
    /// <param name="sourceScores">Scores [N, source classes].</param>
    /// <returns>Scores [N, <see cref="MappedTargets"/>.Count].</returns>
    /// <exception cref="ArgumentException">Wrong column count, empty or non-finite scores.</exception>
    public double[,] MapScores(double[,] sourceScores)
    {
        Guard.Scores(sourceScores, nameof(sourceScores));
        if (sourceScores.GetLength(1) != SourceLabels.Count)
        {
            throw new ArgumentException($"Scores have {sourceScores.GetLength(1)} columns but the source label space has {SourceLabels.Count}.", nameof(sourceScores));
        }

        var n = sourceScores.GetLength(0);
        var result = new double[n, MappedTargets.Count];
        for (var i = 0; i < n; i++)
        {
            for (var m = 0; m < MappedTargets.Count; m++)
            {
                result[i, m] = sourcesPerMapped[m].Max(s => sourceScores[i, s]);
            }
        }

        return result;
    }

    /// <summary>Keeps the mapped target columns of test labels.</summary>
    /// <param name="targetLabels">Test labels [N, target classes].</param>
    /// <returns>Labels [N, <see cref="MappedTargets"/>.Count].</returns>
    /// <exception cref="ArgumentException">Wrong column count or no rows.</exception>
    public bool[,] SelectTargets(bool[,] targetLabels)
    {
        ArgumentNullException.ThrowIfNull(targetLabels);
        if (targetLabels.GetLength(1) != TargetLabels.Count || targetLabels.GetLength(0) == 0)
        {
            throw new ArgumentException($"Targets are {targetLabels.GetLength(0)} x {targetLabels.GetLength(1)}; expected at least one row and {TargetLabels.Count} columns (the target label space).", nameof(targetLabels));
        }

        var n = targetLabels.GetLength(0);
        var result = new bool[n, MappedTargets.Count];
        for (var i = 0; i < n; i++)
        {
            for (var m = 0; m < MappedTargets.Count; m++)
            {
                result[i, m] = targetLabels[i, MappedTargets[m]];
            }
        }

        return result;
    }

    private static Dictionary<string, int> Index(IReadOnlyList<string> labels, string name)
    {
        ArgumentNullException.ThrowIfNull(labels, name);
        if (labels.Count == 0)
        {
            throw new ArgumentException("The label space is empty.", name);
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i]?.Trim();
            if (string.IsNullOrEmpty(label))
            {
                throw new ArgumentException($"Label {i} is empty.", name);
            }

            if (!index.TryAdd(label, i))
            {
                throw new ArgumentException($"Label '{label}' appears twice in the label space.", name);
            }
        }

        return index;
    }
}
