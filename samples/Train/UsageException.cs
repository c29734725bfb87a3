namespace CausalVision.Samples.Train;

/// <summary>A bad command line or dataset: printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
