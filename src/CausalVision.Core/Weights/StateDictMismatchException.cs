// Thrown by a strict load whose keys or shapes do not match.
namespace CausalVision.Weights;

/// <summary>
/// A strict state-dict load found missing, unexpected or shape-mismatched keys; nothing was copied.
/// File-based loads wrap it in an <see cref="InvalidDataException"/> naming the file.
/// </summary>
public sealed class StateDictMismatchException : ArgumentException
{
    /// <summary>Initializes a new instance of the <see cref="StateDictMismatchException"/> class.</summary>
    /// <param name="report">The full report.</param>
    /// <param name="source">The weights' source (file path or a description).</param>
    public StateDictMismatchException(LoadReport report, string source)
        : base($"State dict from {source} does not match the module (strict load, nothing copied): {report?.ToString()}.", "source")
    {
        Report = report ?? throw new ArgumentNullException(nameof(report));
        WeightsSource = source;
    }

    /// <summary>Gets the report listing every problem.</summary>
    public LoadReport Report { get; }

    /// <summary>Gets the weights' source (file path or a description).</summary>
    public string WeightsSource { get; }
}
