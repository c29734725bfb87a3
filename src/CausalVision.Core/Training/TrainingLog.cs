// Structured logging of the trainers through Microsoft.Extensions.Logging (set a trainer's Logger).
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace CausalVision.Training;

/// <summary>The trainers' log events (source-generated <see cref="LoggerMessage"/> delegates: no allocation when disabled).</summary>
/// <remarks>Event ids: 1 run started (trainer, device, epochs, training images), 2 resumed (checkpoint, epochs done),
/// 3 epoch finished (stage, epoch, loss, learning rate, metrics, seconds).</remarks>
public static partial class TrainingLog
{
    /// <summary>Logs the start of a run.</summary>
    /// <param name="logger">The logger; <see langword="null"/> does nothing.</param>
    /// <param name="trainer">The trainer's name.</param>
    /// <param name="device">The device picked (e.g. what "auto" resolved to).</param>
    /// <param name="epochs">The epochs to run.</param>
    /// <param name="images">The training images.</param>
    public static void Started(ILogger? logger, string trainer, string device, int epochs, int images)
    {
        if (logger is not null)
        {
            LogStarted(logger, trainer, device, epochs, images);
        }
    }

    /// <summary>Logs a resume from a checkpoint.</summary>
    /// <param name="logger">The logger; <see langword="null"/> does nothing.</param>
    /// <param name="checkpoint">The checkpoint file.</param>
    /// <param name="epochsDone">The epochs it holds.</param>
    public static void Resumed(ILogger? logger, string checkpoint, int epochsDone)
    {
        if (logger is not null)
        {
            LogResumed(logger, checkpoint, epochsDone);
        }
    }

    /// <summary>Logs a finished epoch.</summary>
    /// <param name="logger">The logger; <see langword="null"/> does nothing.</param>
    /// <param name="stage">The stage (0 for single-stage trainers).</param>
    /// <param name="epoch">The epoch (from 1).</param>
    /// <param name="epochs">The epochs of the stage.</param>
    /// <param name="loss">The mean training loss.</param>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="metrics">The evaluation metrics (may be empty).</param>
    /// <param name="seconds">Wall time of the epoch or of the stage so far.</param>
    public static void Epoch(ILogger? logger, int stage, int epoch, int epochs, double loss, double learningRate, IReadOnlyDictionary<string, double> metrics, double seconds)
    {
        if (logger is null || !logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        var text = string.Join(", ", metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.####}")));
        LogEpoch(logger, stage, epoch, epochs, loss, learningRate, text, seconds);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Trainer}: training on {Device}, {Epochs} epoch(s), {Images} training images")]
    private static partial void LogStarted(ILogger logger, string trainer, string device, int epochs, int images);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Resuming from {Checkpoint} ({EpochsDone} epoch(s) done)")]
    private static partial void LogResumed(ILogger logger, string checkpoint, int epochsDone);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "stage {Stage} epoch {Epoch}/{Epochs}: loss {Loss:0.####}, lr {LearningRate:g3}, {Metrics} ({Seconds:0.0} s)")]
    private static partial void LogEpoch(ILogger logger, int stage, int epoch, int epochs, double loss, double learningRate, string metrics, double seconds);
}
