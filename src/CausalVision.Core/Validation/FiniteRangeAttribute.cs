using System.ComponentModel.DataAnnotations;

namespace CausalVision.Validation;

/// <summary>
/// A <see cref="RangeAttribute"/> over doubles whose message says the number must be finite: NaN and infinities fall
/// outside any finite [min, max] and fail like other out-of-range values.
/// </summary>
/// <remarks>The options source generator replaces a plain <see cref="RangeAttribute"/> with its own copy that ignores
/// <see cref="ValidationAttribute.ErrorMessage"/>; a derived attribute is used as written.</remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, AllowMultiple = false)]
public sealed class FiniteRangeAttribute : RangeAttribute
{
    /// <summary>Initializes a new instance of the <see cref="FiniteRangeAttribute"/> class.</summary>
    /// <param name="minimum">The smallest allowed value.</param>
    /// <param name="maximum">The largest allowed value.</param>
    public FiniteRangeAttribute(double minimum, double maximum)
        : base(minimum, maximum)
    {
        ErrorMessage = "The field {0} must be a finite number between {1} and {2}.";
    }
}
