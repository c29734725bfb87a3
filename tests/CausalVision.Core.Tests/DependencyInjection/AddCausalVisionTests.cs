using CausalVision.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CausalVision.Tests.DependencyInjection;

public sealed class AddCausalVisionTests
{
    [Fact]
    public void Ctor_Defaults_ArePinned()
    {
        var o = new CausalVisionOptions();
        Assert.Equal("auto", o.Device);
        Assert.Equal("resnet18", o.Backbone);
        Assert.Equal(0, o.Seed);
        Assert.Equal(0, o.Threads);
    }

    [Fact]
    public void AddCausalVision_Configured_ResolvesOptionsAndFactory()
    {
        using var provider = new ServiceCollection()
            .AddCausalVision(o =>
            {
                o.Device = "cpu";
                o.Backbone = "resnet18";
                o.Seed = 3;
            })
            .Services.BuildServiceProvider(validateScopes: true);

        Assert.Equal(3, provider.GetRequiredService<IOptions<CausalVisionOptions>>().Value.Seed);
        var factory = provider.GetRequiredService<IBackboneFactory>();
        Assert.Same(factory, provider.GetRequiredService<IBackboneFactory>());
        Assert.Equal(DeviceType.CPU, factory.Device.type);
        TensorLeaks.AssertNone(() =>
        {
            using var backbone = factory.Create(options: new CausalVision.Backbones.BackboneOptions { SmallInputStem = true });
            Assert.Equal("resnet18", backbone.BackboneName);
        });
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("cuda:x")]
    public void AddCausalVision_InvalidDevice_ThrowsOnResolve(string device)
    {
        using var provider = new ServiceCollection().AddCausalVision(o => o.Device = device).Services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CausalVisionOptions>>().Value);
        Assert.Contains("Device must be", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddCausalVision_NegativeThreads_ThrowsOnResolve()
    {
        using var provider = new ServiceCollection().AddCausalVision(o => o.Threads = -1).Services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CausalVisionOptions>>().Value);
        Assert.Contains("Threads", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddCausalVision_Twice_RegistersOneValidator()
    {
        var services = new ServiceCollection();
        services.AddCausalVision();
        services.AddCausalVision();
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<CausalVisionOptions>));
    }
}
