namespace CausalVision.Data;

/// <summary>One sample of a file-backed dataset, before decoding.</summary>
/// <param name="Id">The stable identifier (usually the path relative to the root, with '/').</param>
/// <param name="Path">The absolute image path.</param>
/// <param name="Label">The class id, or -1 for multi-label samples.</param>
/// <param name="Labels">The label ids.</param>
/// <param name="Tags">The tag ids.</param>
public sealed record ImageEntry(string Id, string Path, int Label, IReadOnlyList<int> Labels, IReadOnlyList<int> Tags);
