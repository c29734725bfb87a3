// A named experiment: rows, the baseline row, and the recipe text printed in its report.
namespace CausalVision.Evaluation;

/// <summary>An experiment: rows run for every seed and compared, paired by seed, with a baseline row.</summary>
public sealed class ExperimentDefinition
{
    /// <summary>Gets or sets the experiment name (written to summary.json as <c>experiment</c>).</summary>
    /// <value>Required, non-empty.</value>
    public required string Name { get; set; }

    /// <summary>Gets or sets the name of the baseline row that every row is compared with.</summary>
    /// <value>Required; must name one of <see cref="Rows"/>.</value>
    public required string Baseline { get; set; }

    /// <summary>Gets or sets the rows in run order (a row that extends another comes after it).</summary>
    /// <value>Required, at least one, unique names.</value>
    public required IList<ExperimentRow> Rows { get; set; }

    /// <summary>Gets or sets the recipe shared by every row (data, backbone, optimiser, augmentation, selection), printed in the report.</summary>
    /// <value>Default empty.</value>
    public string Recipe { get; set; } = string.Empty;

    /// <summary>Checks the name, the baseline and the row order.</summary>
    /// <exception cref="ArgumentException">The definition is inconsistent; the message says how.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("ExperimentDefinition.Name must be non-empty.", nameof(Name));
        }

        if (Rows is null || Rows.Count == 0)
        {
            throw new ArgumentException("ExperimentDefinition.Rows must hold at least one row.", nameof(Rows));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in Rows)
        {
            if (row.Extends is { } parent && !seen.Contains(parent))
            {
                throw new ArgumentException($"Row '{row.Name}' extends '{parent}', which is not an earlier row.", nameof(Rows));
            }

            if (!seen.Add(row.Name))
            {
                throw new ArgumentException($"Row name '{row.Name}' appears twice.", nameof(Rows));
            }
        }

        if (!seen.Contains(Baseline))
        {
            throw new ArgumentException($"Baseline '{Baseline}' is not a row; rows: {string.Join(", ", seen)}.", nameof(Baseline));
        }
    }
}
