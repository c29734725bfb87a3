// The one way every options class of the libraries is checked. Rules are declared on the options
// class (DataAnnotations attributes per property, IValidatableObject for cross-field rules,
// [ValidateObjectMembers] for nested options) and checked by a source-generated
// [OptionsValidator] class next to it; an options class's public Validate() calls ThrowIfInvalid
// with that validator, and the DI registrations add the same validator as IValidateOptions<T>.
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CausalVision.Validation;

/// <summary>Runs an options validator and throws one <see cref="ArgumentException"/> that lists every failure.</summary>
public static class OptionsValidation
{
    /// <summary>
    /// Validates <paramref name="options"/> with <paramref name="validator"/> (a source-generated
    /// <see cref="OptionsValidatorAttribute"/> validator) and throws when any rule fails.
    /// </summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="validator">The validator of <typeparamref name="TOptions"/>.</param>
    /// <param name="options">The options to check.</param>
    /// <exception cref="ArgumentException">At least one rule failed; the message is
    /// <c>Invalid {options type}: {failure}; {failure}...</c> and lists every failure.</exception>
    public static void ThrowIfInvalid<TOptions>(IValidateOptions<TOptions> validator, TOptions options)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(options);
        var result = validator.Validate(null, options);
        if (result.Failed)
        {
            Throw(typeof(TOptions), result.Failures ?? [result.FailureMessage]);
        }
    }

    /// <summary>
    /// Validates <paramref name="options"/> with <see cref="Validator.TryValidateObject(object, ValidationContext, ICollection{ValidationResult}?, bool)"/>
    /// (every property attribute, then <see cref="IValidatableObject"/>) for an options type the source generator cannot handle,
    /// and throws when any rule fails.
    /// </summary>
    /// <param name="options">The options to check.</param>
    /// <exception cref="ArgumentException">At least one rule failed; the message lists every failure.</exception>
    public static void ThrowIfInvalid(object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            Throw(options.GetType(), results.Select(Describe));
        }
    }

    private static string Describe(ValidationResult r)
    {
        var members = string.Join(", ", r.MemberNames);
        return members.Length == 0 ? r.ErrorMessage ?? "invalid" : $"{members}: {r.ErrorMessage}";
    }

    private static void Throw(Type type, IEnumerable<string> failures) =>
        throw new ArgumentException($"Invalid {type.Name}: {string.Join("; ", failures)}");
}
