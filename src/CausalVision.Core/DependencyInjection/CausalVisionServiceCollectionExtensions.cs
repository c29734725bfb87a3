using CausalVision.Backbones;
using CausalVision.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace CausalVision.DependencyInjection;

/// <summary>Registers CausalVision with <c>Microsoft.Extensions.DependencyInjection</c>.</summary>
public static class CausalVisionServiceCollectionExtensions
{
    /// <summary>
    /// Adds the shared CausalVision services: validated <see cref="CausalVisionOptions"/> and an
    /// <see cref="IBackboneFactory"/>. DI hands out factories and builders, never module instances: modules own
    /// native memory and their lifetime belongs to the caller.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options; optional.</param>
    /// <returns>A builder for chaining model registrations.</returns>
    public static ICausalVisionBuilder AddCausalVision(this IServiceCollection services, Action<CausalVisionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<CausalVisionOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CausalVisionOptions>, CausalVisionOptionsValidator>());
        options.ValidateOnStart();
        services.TryAddSingleton<IBackboneFactory, BackboneFactory>();
        return new CausalVisionBuilder(services);
    }
}

/// <summary>Creates backbones by registry name, on the configured device.</summary>
public interface IBackboneFactory
{
    /// <summary>Gets the configured device.</summary>
    torch.Device Device { get; }

    /// <summary>Creates a backbone (see <c>BackboneRegistry.Names</c>), moved to <see cref="Device"/>.</summary>
    /// <param name="name">The registry name; null uses <see cref="CausalVisionOptions.Backbone"/>.</param>
    /// <param name="options">Backbone options; null uses the defaults.</param>
    /// <returns>A new backbone the caller owns.</returns>
    Backbone Create(string? name = null, BackboneOptions? options = null);
}

/// <summary>The default <see cref="IBackboneFactory"/>.</summary>
internal sealed class BackboneFactory : IBackboneFactory
{
    private readonly CausalVisionOptions options;
    private readonly Lazy<torch.Device> device;

    public BackboneFactory(IOptions<CausalVisionOptions> options)
    {
        this.options = options.Value;
        device = new Lazy<torch.Device>(() => TorchRuntime.ResolveDevice(this.options.Device));
        if (this.options.Threads > 0)
        {
            TorchRuntime.EnsureAvailable();
            torch.set_num_threads(this.options.Threads);
        }
    }

    public torch.Device Device => device.Value;

    public Backbone Create(string? name = null, BackboneOptions? backboneOptions = null)
    {
        var o = backboneOptions?.Clone() ?? new BackboneOptions();
        o.Seed ??= options.Seed;
        var backbone = Backbone.Create(name ?? options.Backbone, o);
        if (Device.type != DeviceType.CPU)
        {
            backbone.to(Device);
        }

        return backbone;
    }
}
