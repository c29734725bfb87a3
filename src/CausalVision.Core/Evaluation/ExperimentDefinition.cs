// A named experiment: rows, the baseline row, and the recipe text printed in its report.
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;
namespace CausalVision.Evaluation;

/// <summary>An experiment: rows run for every seed and compared, paired by seed, with a baseline row.</summary>
public sealed class ExperimentDefinition : IValidatableObject
{
    /// <summary>Gets or sets the experiment name (written to summary.json as <c>experiment</c>).</summary>
    /// <value>Required, non-empty.</value>
    [Required(ErrorMessage = "ExperimentDefinition.Name must be non-empty.")]
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

    /// <summary>Checks every option (the attribute rules, via <see cref="ExperimentDefinitionValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new ExperimentDefinitionValidator(), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (Rows is null || Rows.Count == 0)
        {
            yield return new ValidationResult("ExperimentDefinition.Rows must hold at least one row.", [nameof(Rows)]);
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in Rows)
        {
            if (row.Extends is { } parent && !seen.Contains(parent))
            {
                yield return new ValidationResult($"Row '{row.Name}' extends '{parent}', which is not an earlier row.", [nameof(Rows)]);
            }

            if (!seen.Add(row.Name))
            {
                yield return new ValidationResult($"Row name '{row.Name}' appears twice.", [nameof(Rows)]);
            }
        }

        if (!seen.Contains(Baseline))
        {
            yield return new ValidationResult($"Baseline '{Baseline}' is not a row; rows: {string.Join(", ", seen)}.", [nameof(Baseline)]);
        }
    }
}

/// <summary>Source-generated validator of <see cref="ExperimentDefinition"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class ExperimentDefinitionValidator : IValidateOptions<ExperimentDefinition>
{
}
