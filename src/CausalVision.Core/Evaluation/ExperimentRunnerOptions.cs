// Options of ExperimentRunner.Run.
namespace CausalVision.Evaluation;

/// <summary>Options of <see cref="ExperimentRunner.Run"/>.</summary>
public sealed class ExperimentRunnerOptions
{
    /// <summary>Gets or sets the seeds every row runs with.</summary>
    /// <value>Default 0, 1, 2, 3, 4. Must be non-empty and distinct.</value>
    public IList<int> Seeds { get; set; } = [0, 1, 2, 3, 4];

    /// <summary>Gets or sets the output folder (results, checkpoints, reports).</summary>
    /// <value>Required.</value>
    public required string OutputDirectory { get; set; }

    /// <summary>Gets or sets the interval method.</summary>
    /// <value>Default <see cref="IntervalMethod.StudentT"/>.</value>
    public IntervalMethod Method { get; set; } = IntervalMethod.StudentT;

    /// <summary>Gets or sets the confidence level.</summary>
    /// <value>Default 0.95. Range (0, 1).</value>
    public double Level { get; set; } = ConfidenceIntervals.DefaultLevel;

    /// <summary>Gets or sets a value indicating whether (row, seed) results already saved are reused (resume) instead of run again.</summary>
    /// <value>Default true.</value>
    public bool Resume { get; set; } = true;

    /// <summary>Gets or sets the progress logger.</summary>
    /// <value>Default null: silent.</value>
    public Action<string>? Log { get; set; }
}
