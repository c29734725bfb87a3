// One row (method / configuration) of an experiment.
namespace CausalVision.Evaluation;

/// <summary>
/// One row of an experiment: a name and a function that trains and evaluates it for one seed,
/// returning named metrics (e.g. <c>ood_acc</c>, <c>worst_group_acc</c>).
/// </summary>
public sealed class ExperimentRow
{
    /// <summary>Initializes a new instance of the <see cref="ExperimentRow"/> class.</summary>
    /// <param name="name">The row name: letters, digits, '-', '_', '.', '@' or '='; unique within the experiment.</param>
    /// <param name="run">Trains and evaluates the row for <see cref="ExperimentRunContext.Seed"/>; returns finite metric values.</param>
    /// <param name="extends">The name of an earlier row this one continues from (it may read that row's checkpoint from <see cref="ExperimentRunContext.ExtendsDirectory"/>); null for none.</param>
    /// <param name="description">What the row is, printed in the Markdown report; null for none.</param>
    /// <exception cref="ArgumentException">The name is empty or has other characters.</exception>
    public ExperimentRow(string name, Func<ExperimentRunContext, IReadOnlyDictionary<string, double>> run, string? extends = null, string? description = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(run);
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@' or '='))
        {
            throw new ArgumentException($"Row name '{name}' may only contain ASCII letters, digits, '-', '_', '.', '@' and '=' (it names a folder).", nameof(name));
        }

        Name = name;
        Run = run;
        Extends = extends;
        Description = description;
    }

    /// <summary>Gets the row name.</summary>
    public string Name { get; }

    /// <summary>Gets the function that runs the row for one seed.</summary>
    public Func<ExperimentRunContext, IReadOnlyDictionary<string, double>> Run { get; }

    /// <summary>Gets the name of the row this one extends, or null.</summary>
    public string? Extends { get; }

    /// <summary>Gets the description printed in the report, or null.</summary>
    public string? Description { get; }
}
