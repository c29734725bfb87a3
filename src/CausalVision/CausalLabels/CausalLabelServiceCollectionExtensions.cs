// DI registration of the paper-B model: validated options + a transient builder (DI hands out
// builders, never module instances).
using CausalVision.CausalLabels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CausalVision.DependencyInjection;

/// <summary>Registers the causal label model with <c>Microsoft.Extensions.DependencyInjection</c>.</summary>
public static class CausalLabelServiceCollectionExtensions
{
    /// <summary>
    /// Adds validated <see cref="CausalLabelOptions"/> (checked at start-up) and a transient
    /// <see cref="CausalLabelModelBuilder"/> seeded with them, using the registered
    /// <see cref="IBackboneFactory"/> (device, default backbone, seed).
    /// </summary>
    /// <param name="builder">The CausalVision builder from <c>AddCausalVision</c>.</param>
    /// <param name="configure">Configures the options; optional. <see cref="CausalLabelOptions.NumLabels"/> may stay 0 here and be set per model with <see cref="CausalLabelModelBuilder.WithLabels(int)"/>.</param>
    /// <returns>The same builder.</returns>
    public static ICausalVisionBuilder AddCausalLabels(this ICausalVisionBuilder builder, Action<CausalLabelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<CausalLabelOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CausalLabelOptions>, CausalLabelBoundOptionsValidator>());
        options.ValidateOnStart();
        builder.Services.TryAddTransient(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CausalLabelOptions>>().Value;
            var vision = sp.GetRequiredService<IOptions<CausalVisionOptions>>().Value;
            return new CausalLabelModelBuilder(o, sp.GetRequiredService<IBackboneFactory>()).WithSeed(vision.Seed);
        });
        return builder;
    }
}

/// <summary>
/// Validates bound <see cref="CausalLabelOptions"/> with the generated <see cref="CausalLabelOptionsValidator"/>; NumLabels 0
/// means "set by the builder", so it is checked as 1 here (the builder checks the real count).
/// </summary>
internal sealed class CausalLabelBoundOptionsValidator : IValidateOptions<CausalLabelOptions>
{
    private static readonly CausalLabelOptionsValidator Generated = new();

    public ValidateOptionsResult Validate(string? name, CausalLabelOptions options)
    {
        var o = options.Clone();
        if (o.NumLabels == 0)
        {
            o.NumLabels = 1;
        }

        return Generated.Validate(name, o);
    }
}
