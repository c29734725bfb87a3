using Microsoft.Extensions.DependencyInjection;

namespace CausalVision.DependencyInjection;

/// <summary>
/// Returned by <see cref="CausalVisionServiceCollectionExtensions.AddCausalVision"/> so model packages can chain
/// their registrations (<c>services.AddCausalVision().AddVscNet(...)</c>).
/// </summary>
public interface ICausalVisionBuilder
{
    /// <summary>Gets the service collection.</summary>
    IServiceCollection Services { get; }
}

/// <summary>The default <see cref="ICausalVisionBuilder"/>.</summary>
internal sealed class CausalVisionBuilder(IServiceCollection services) : ICausalVisionBuilder
{
    public IServiceCollection Services { get; } = services;
}
