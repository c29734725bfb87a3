namespace CausalVision.Data;

/// <summary>
/// What a dataset loader kept, skipped (bad rows under <see cref="DataErrorPolicy.SkipAndReport"/>)
/// and filtered by design (e.g. NUS-WIDE images with no concept label, when the layout drops them).
/// </summary>
public sealed class DataLoadReport
{
    /// <summary>Initializes a new instance of the <see cref="DataLoadReport"/> class.</summary>
    /// <param name="loaded">Rows kept.</param>
    /// <param name="errors">Rows skipped, with reasons.</param>
    /// <param name="filtered">Rows dropped by a documented layout rule (not errors).</param>
    /// <param name="notes">Human-readable notes on assumptions and filters.</param>
    public DataLoadReport(int loaded, IReadOnlyList<DataError> errors, int filtered = 0, IReadOnlyList<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(errors);
        Loaded = loaded;
        Errors = errors;
        Filtered = filtered;
        Notes = notes ?? [];
    }

    /// <summary>Gets the number of samples kept.</summary>
    public int Loaded { get; }

    /// <summary>Gets the number of bad rows skipped.</summary>
    public int SkippedCount => Errors.Count;

    /// <summary>Gets the bad rows skipped, with file, line and reason.</summary>
    public IReadOnlyList<DataError> Errors { get; }

    /// <summary>Gets the number of rows dropped by a documented layout rule.</summary>
    public int Filtered { get; }

    /// <summary>Gets notes on assumptions and filters.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Loaded} loaded, {SkippedCount} skipped, {Filtered} filtered" + (Errors.Count > 0 ? ": " + string.Join("; ", Errors.Take(5)) + (Errors.Count > 5 ? "; ..." : string.Empty) : string.Empty);
}
