namespace CausalVision.Cli;

/// <summary>Bad input from the command line: printed as one line on stderr, exit code 2.</summary>
/// <param name="message">What is wrong and how to fix it.</param>
internal sealed class UsageException(string message) : Exception(message);
