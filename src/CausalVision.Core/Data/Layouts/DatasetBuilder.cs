// Shared validation for every layout loader: path safety (text and file system: symlinks that leave
// the root, aliases of one file), existence, duplicate ids, label and tag ranges, required tags, and
// the throw / skip-and-report policy.
using CausalVision.Imaging;

namespace CausalVision.Data.Layouts;

/// <summary>Collects validated entries for one dataset and applies the error policy.</summary>
internal sealed class DatasetBuilder
{
    private readonly DatasetLoadOptions options;
    private readonly bool requireTags;
    private readonly List<ImageEntry> entries = [];
    private readonly Dictionary<string, (string File, int Line)> ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string File, int Line)> files = new(StringComparer.Ordinal);
    private readonly string realRoot;
    private readonly string realRootWithSeparator;
    private readonly List<DataError> errors = [];
    private readonly List<string> notes = [];
    private readonly string rootWithSeparator;
    private int filtered;

    public DatasetBuilder(string root, DatasetLoadOptions options, bool requireTagsByDefault)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentNullException.ThrowIfNull(options);
        Root = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar);
        if (!Directory.Exists(Root))
        {
            throw new InvalidDataException($"Dataset root '{Root}' does not exist.");
        }

        rootWithSeparator = Root + Path.DirectorySeparatorChar;
        realRoot = RealPath(Root).TrimEnd(Path.DirectorySeparatorChar);
        realRootWithSeparator = realRoot + Path.DirectorySeparatorChar;
        this.options = options;
        requireTags = options.RequireTags ?? requireTagsByDefault;
    }

    public string Root { get; }

    public int Count => entries.Count;

    /// <summary>Records a bad row: throws under <see cref="DataErrorPolicy.Throw"/>, else records it; returns false.</summary>
    public bool Fail(string file, int line, string reason)
    {
        var error = new DataError(file, line, reason);
        if (options.ErrorPolicy == DataErrorPolicy.Throw)
        {
            throw new InvalidDataException(error.ToString());
        }

        errors.Add(error);
        return false;
    }

    public void Filter(int count = 1) => filtered += count;

    public void Note(string note) => notes.Add(note);

    /// <summary>Resolves a root-relative path ('/' separated), rejecting escapes, absolute paths and missing or corrupt files.</summary>
    public bool TryResolve(string file, int line, string relative, out string fullPath)
    {
        fullPath = string.Empty;
        if (string.IsNullOrWhiteSpace(relative))
        {
            return Fail(file, line, "empty image path.");
        }

        if (Path.IsPathRooted(relative) || relative.StartsWith('/') || relative.Contains(':', StringComparison.Ordinal))
        {
            return Fail(file, line, $"image path '{relative}' must be relative to the dataset root.");
        }

        if (relative.Any(c => c < ' ' || c == '\u007f') || HasLoneSurrogate(relative))
        {
            return Fail(file, line, $"image path '{Printable(relative)}' holds a NUL, control character or lone surrogate.");
        }

        var candidate = Path.GetFullPath(Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar)));
        if (!candidate.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            return Fail(file, line, $"image path '{relative}' escapes the dataset root '{Root}'.");
        }

        if (options.CheckFilesExist && !File.Exists(candidate))
        {
            return Fail(file, line, $"image file '{candidate}' does not exist.");
        }

        if (options.VerifyImages)
        {
            try
            {
                var (h, w) = ImageDecoder.ReadSize(candidate);
                if ((long)h * w > options.MaxImagePixels)
                {
                    return Fail(file, line, $"image '{candidate}' is {w}x{h}, over the pixel budget of {options.MaxImagePixels:N0} (DatasetLoadOptions.MaxImagePixels).");
                }
            }
            catch (InvalidDataException ex)
            {
                return Fail(file, line, ex.Message);
            }
        }

        // The file system decides: a symlink inside the root may point outside it, and different texts
        // (train/./x.png, train/../train/x.png, a link) may name one file.
        string real;
        try
        {
            real = RealPath(candidate);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(file, line, $"image path '{relative}' cannot be resolved: {ex.Message}");
        }

        if (!real.StartsWith(realRootWithSeparator, StringComparison.Ordinal))
        {
            return Fail(file, line, $"image path '{relative}' resolves (through a symbolic link) to '{real}', outside the dataset root '{realRoot}'.");
        }

        fullPath = candidate;
        return true;
    }

    /// <summary>Resolves every symbolic link along <paramref name="path"/> (an absolute, normalised path), like realpath(3).</summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var parts = new Queue<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        var current = root;
        var hops = 0;
        while (parts.Count > 0)
        {
            var part = parts.Dequeue();
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
            {
                if (++hops > 40)
                {
                    throw new IOException($"too many levels of symbolic links at '{next}'.");
                }

                var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
                var rest = parts.ToArray();
                var resolvedRoot = Path.GetPathRoot(resolved)!;
                parts = new Queue<string>(resolved[resolvedRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                current = resolvedRoot;
                continue;
            }

            current = next;
        }

        return current;
    }

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static string Printable(string s) => string.Concat(s.Select(c => c < ' ' || c == '\u007f' || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    /// <summary>Validates and adds one sample. Labels and tags are de-duplicated and sorted.</summary>
    public bool Add(string file, int line, string id, string fullPath, int label, IEnumerable<int> labels, IEnumerable<int> tags, int classCount, int tagCount)
    {
        if (string.IsNullOrEmpty(id))
        {
            return Fail(file, line, "empty sample id.");
        }

        int[] labelSet = [.. labels.Distinct().Order()];
        int[] tagSet = [.. tags.Distinct().Order()];
        if (labelSet.Length == 0)
        {
            return Fail(file, line, $"sample '{id}' has an empty label list.");
        }

        if (label >= classCount || label < -1)
        {
            return Fail(file, line, $"sample '{id}': label {label} is out of range [0, {classCount}).");
        }

        foreach (var l in labelSet)
        {
            if (l < 0 || l >= classCount)
            {
                return Fail(file, line, $"sample '{id}': label {l} is out of range [0, {classCount}).");
            }
        }

        foreach (var t in tagSet)
        {
            if (t < 0 || t >= tagCount)
            {
                return Fail(file, line, $"sample '{id}': tag {t} is out of range [0, {tagCount}).");
            }
        }

        if (requireTags && tagSet.Length == 0)
        {
            return Fail(file, line, $"sample '{id}' has an empty tag list, and this dataset requires tags (DatasetLoadOptions.RequireTags).");
        }

        if (ids.TryGetValue(id, out var first))
        {
            return Fail(file, line, $"duplicate sample id '{id}' (first at {first.File}:{first.Line}).");
        }

        var real = RealPath(fullPath);
        if (files.TryGetValue(real, out var same))
        {
            return Fail(file, line, $"sample '{id}' is the same image file as the sample at {same.File}:{same.Line}; each image counts once.");
        }

        files[real] = (file, line);
        ids[id] = (file, line);
        entries.Add(new ImageEntry(id, fullPath, label, labelSet, tagSet));
        return true;
    }

    public ImageFileDataset Build(DatasetInfo info)
    {
        var report = new DataLoadReport(entries.Count, [.. errors], filtered, [.. notes]);
        return new ImageFileDataset(info, Root, entries, report, options.Grayscale) { MaxImagePixels = options.MaxImagePixels };
    }

    /// <summary>Reads all lines of a required file; a missing file is fatal whatever the policy.</summary>
    public static string[] ReadLines(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"Required dataset file '{path}' does not exist.");
        }

        return File.ReadAllLines(path);
    }

    /// <summary>Builds a name -> index map; duplicate or empty names are fatal.</summary>
    public static Dictionary<string, int> IndexNames(IReadOnlyList<string> names, string file)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(names[i]))
            {
                throw new InvalidDataException($"{file}: name {i + 1} is empty.");
            }

            if (!map.TryAdd(names[i], i))
            {
                throw new InvalidDataException($"{file}: name '{names[i]}' appears twice.");
            }
        }

        return map;
    }

    /// <summary>Reads a one-name-per-line file, skipping blank lines.</summary>
    public static List<string> ReadNames(string path) =>
        [.. ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0)];
}
