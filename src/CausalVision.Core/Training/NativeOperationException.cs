// The one managed exception a trainer or evaluator throws when libtorch reports an error, with the operation named.
using System.Runtime.InteropServices;

namespace CausalVision.Training;

/// <summary>
/// libtorch reported an error (TorchSharp's <see cref="ExternalException"/>) while a trainer or an
/// evaluator ran. The message names the operation (e.g. "VSCNet stage 2") and the first line of
/// libtorch's message; <see cref="Exception.InnerException"/> keeps the native one with its frames.
/// </summary>
/// <remarks>
/// It derives from <see cref="InvalidOperationException"/>, so callers that already report
/// invalid-operation failures (the samples print one line and exit with code 2) need no change.
/// Errors libtorch raises outside TorchSharp's error trap abort the process and cannot be caught;
/// the library validates what it passes to such calls (e.g. checkpoint RNG state) instead.
/// </remarks>
public sealed class NativeOperationException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="NativeOperationException"/> class.</summary>
    public NativeOperationException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NativeOperationException"/> class.</summary>
    /// <param name="message">The message.</param>
    public NativeOperationException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NativeOperationException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The native error.</param>
    public NativeOperationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the operation that failed (e.g. "ClassifierTrainer.Fit epoch 3").</summary>
    public string? Operation { get; private init; }

    /// <summary>Runs <paramref name="body"/> and turns a libtorch error into a <see cref="NativeOperationException"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="operation">What is running, for the message.</param>
    /// <param name="body">The work.</param>
    /// <returns>The result of <paramref name="body"/>.</returns>
    /// <exception cref="NativeOperationException">libtorch reported an error.</exception>
    public static T Guard<T>(string operation, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (ExternalException ex)
        {
            throw From(operation, ex);
        }
    }

    /// <summary>Runs <paramref name="body"/> and turns a libtorch error into a <see cref="NativeOperationException"/>.</summary>
    /// <param name="operation">What is running, for the message.</param>
    /// <param name="body">The work.</param>
    /// <exception cref="NativeOperationException">libtorch reported an error.</exception>
    public static void Guard(string operation, Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            body();
        }
        catch (ExternalException ex)
        {
            throw From(operation, ex);
        }
    }

    /// <summary>Wraps a native error with the operation that raised it.</summary>
    /// <param name="operation">What was running.</param>
    /// <param name="error">The native error.</param>
    /// <returns>The managed exception to throw.</returns>
    public static NativeOperationException From(string operation, ExternalException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var first = (error.Message ?? string.Empty).Split('\n', 2)[0].Trim();
        return new NativeOperationException($"{operation} failed in libtorch: {first}", error) { Operation = operation };
    }
}
