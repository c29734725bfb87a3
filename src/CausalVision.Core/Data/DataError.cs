namespace CausalVision.Data;

/// <summary>One bad row found while loading a dataset.</summary>
/// <param name="File">The file that holds the row (list, manifest or annotation file).</param>
/// <param name="Line">The 1-based line (or record index for JSON), 0 when the whole file is meant.</param>
/// <param name="Reason">What is wrong.</param>
public sealed record DataError(string File, int Line, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Reason}" : $"{File}: {Reason}";
}
