using System.CodeDom.Compiler;
using System.Reflection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CausalVision.Testing;

/// <summary>Checks of the one options-validation mechanism: a source-generated validator per options class, and one
/// <see cref="ArgumentException"/> from <c>Validate()</c> that lists every failure.</summary>
public static class OptionsValidatorChecks
{
    /// <summary>The public classes of <paramref name="assembly"/> named *Options or *Definition that declare a public parameterless
    /// <c>void Validate()</c> (records of tensors that check themselves are not options).</summary>
    /// <param name="assembly">The library assembly.</param>
    /// <returns>The options types, by name.</returns>
    public static IReadOnlyList<Type> OptionsTypes(Assembly assembly) =>
        [.. assembly.GetExportedTypes()
            .Where(t => t.IsClass && (t.Name.EndsWith("Options", StringComparison.Ordinal) || t.Name.EndsWith("Definition", StringComparison.Ordinal)) && t.GetMethod("Validate", BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly, Type.EmptyTypes) is { ReturnType: var r } && r == typeof(void))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)];

    /// <summary>Asserts that every options type of <paramref name="assembly"/> has a public <c>{Type}Validator</c> next to it
    /// that implements <see cref="IValidateOptions{TOptions}"/> with a source-generated <c>Validate</c>.</summary>
    /// <param name="assembly">The library assembly.</param>
    /// <param name="expected">Options types that must be among those found (guards against an empty scan).</param>
    public static void EveryOptionsTypeHasGeneratedValidator(Assembly assembly, params Type[] expected)
    {
        var types = OptionsTypes(assembly);
        Assert.All(expected, e => Assert.Contains(e, types));
        Assert.All(types, t =>
        {
            var validator = assembly.GetType($"{t.FullName}Validator");
            Assert.True(validator is not null, $"{t.Name} has no {t.Name}Validator.");
            Assert.True(validator!.IsPublic && validator.IsSealed, $"{validator.Name} must be public and sealed.");
            var contract = typeof(IValidateOptions<>).MakeGenericType(t);
            Assert.True(contract.IsAssignableFrom(validator), $"{validator.Name} does not implement IValidateOptions<{t.Name}>.");
            var validate = validator.GetMethod("Validate", [typeof(string), t]);
            var generated = validate?.GetCustomAttribute<GeneratedCodeAttribute>();
            Assert.True(generated?.Tool == "Microsoft.Extensions.Options.SourceGeneration", $"{validator.Name}.Validate is not source-generated.");
        });
    }

    /// <summary>Asserts that <paramref name="validate"/> throws one <see cref="ArgumentException"/> whose message starts with
    /// <c>Invalid {optionsName}:</c> and names every entry of <paramref name="problems"/>.</summary>
    /// <param name="validate">Calls <c>Validate()</c> on an instance with several bad properties.</param>
    /// <param name="optionsName">The options type name.</param>
    /// <param name="problems">A text each failure must contain (usually the property name).</param>
    /// <returns>The exception message.</returns>
    public static string ReportsAll(Action validate, string optionsName, params string[] problems)
    {
        var e = Assert.ThrowsAny<ArgumentException>(validate);
        Assert.StartsWith($"Invalid {optionsName}: ", e.Message, StringComparison.Ordinal);
        Assert.All(problems, p => Assert.Contains(p, e.Message, StringComparison.Ordinal));
        return e.Message;
    }
}
