namespace CausalVision.Data;

/// <summary>
/// A sample failed to load in a <see cref="DataLoader"/> (on a worker or on the consumer thread);
/// the inner exception says why (usually an <see cref="InvalidDataException"/> naming the file).
/// </summary>
public sealed class SampleLoadException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="SampleLoadException"/> class.</summary>
    public SampleLoadException()
        : this("A sample could not be loaded.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SampleLoadException"/> class.</summary>
    /// <param name="message">The message.</param>
    public SampleLoadException(string message)
        : base(message)
    {
        SampleId = string.Empty;
        SampleIndex = -1;
    }

    /// <summary>Initializes a new instance of the <see cref="SampleLoadException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SampleLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        SampleId = string.Empty;
        SampleIndex = -1;
    }

    /// <summary>Initializes a new instance of the <see cref="SampleLoadException"/> class.</summary>
    /// <param name="sampleIndex">The dataset index of the sample.</param>
    /// <param name="sampleId">The sample identifier.</param>
    /// <param name="innerException">The cause.</param>
    public SampleLoadException(int sampleIndex, string sampleId, Exception innerException)
        : base($"Sample {sampleIndex} ('{sampleId}') could not be loaded: {innerException?.Message}", innerException)
    {
        SampleIndex = sampleIndex;
        SampleId = sampleId ?? string.Empty;
    }

    /// <summary>Gets the dataset index of the failed sample (-1 when unknown).</summary>
    public int SampleIndex { get; }

    /// <summary>Gets the identifier of the failed sample.</summary>
    public string SampleId { get; }
}
