namespace CausalVision.Data;

/// <summary>What a dataset loader does with a bad row (missing file, unknown name, bad label...).</summary>
public enum DataErrorPolicy
{
    /// <summary>Throw <see cref="InvalidDataException"/> naming the file and line (the default).</summary>
    Throw,

    /// <summary>Skip the row and record it in the dataset's <see cref="DataLoadReport"/>.</summary>
    SkipAndReport,
}
