// Registers VSCNet with Microsoft.Extensions.DependencyInjection the way AddCausalLabels does: validated options,
// and a transient builder from IOptions and the backbone factory (DI hands out builders, never modules: modules own
// native memory).
using CausalVision.Vscnet;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// In our DI namespace beside AddCausalVision, so one using brings every registration.
namespace CausalVision.DependencyInjection;

/// <summary>DI registration of VSCNet.</summary>
public static class VscNetServiceCollectionExtensions
{
    /// <summary>Registers validated <see cref="VscNetOptions"/> (checked at start) and a transient
    /// <see cref="VscNetBuilder"/> seeded with the configured options (<c>IOptions&lt;VscNetOptions&gt;</c>, so
    /// <c>services.Configure&lt;VscNetOptions&gt;</c> and configuration binding apply), the registered
    /// <see cref="IBackboneFactory"/> (device: the model and its training use <c>AddCausalVision</c>'s device) and
    /// <see cref="VscNetBuilder.WithSeed"/> with <see cref="VscTrainingOptions.Seed"/> (reproducible initial weights).
    /// Registering twice adds nothing (TryAdd).</summary>
    /// <param name="builder">The CausalVision builder from <c>AddCausalVision</c>.</param>
    /// <param name="configure">Configures the options; optional.</param>
    /// <returns>The same builder.</returns>
    public static ICausalVisionBuilder AddVscNet(this ICausalVisionBuilder builder, Action<VscNetOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<VscNetOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VscNetOptions>, VscNetOptionsValidator>());
        options.ValidateOnStart();
        builder.Services.TryAddTransient(sp =>
        {
            // Seeded explicitly with the configured training seed (the builder seeds only when asked), as AddCausalLabels
            // seeds its builder: a model from DI starts from the same weights on every run.
            var o = sp.GetRequiredService<IOptions<VscNetOptions>>().Value;
            return new VscNetBuilder(o, sp.GetRequiredService<IBackboneFactory>()).WithSeed(o.Training.Seed);
        });
        return builder;
    }
}
