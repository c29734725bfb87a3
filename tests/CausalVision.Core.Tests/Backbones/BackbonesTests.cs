using CausalVision.Backbones;
using CausalVision.Weights;
using Registry = CausalVision.Backbones.BackboneRegistry;

namespace CausalVision.Tests.Backbones;

public sealed class BackbonesTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("cv-backbones-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Names_BuiltIns_AreTheCanonicalNames()
    {
        Assert.Equal(["resnet18", "resnet18-imagenet", "resnet50", "vit_base_patch16", "vit_small_patch16", "vit_tiny_patch16"], Registry.Names);
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("ResNet50")]
    [InlineData("resnet50.tv_in1k")]
    [InlineData("vit_tiny_patch16_224")]
    [InlineData("vit_base_patch16_224.augreg2_in21k_ft_in1k")]
    [InlineData(" VIT_SMALL_PATCH16 ")]
    public void Contains_NamesAndTimmAliases_Resolve(string name) => Assert.True(Registry.Contains(name));

    [Theory]
    [InlineData("resnet18_224")]
    [InlineData("vit_tiny_patch16_384")]
    [InlineData("vgg16")]
    public void Contains_UnknownNames_False(string name) => Assert.False(Registry.Contains(name));

    [Fact]
    public void Create_Alias_BuildsCanonicalBackbone()
    {
        using var m = Registry.Create("vit_tiny_patch16_224", new BackboneOptions { ImageSize = 32 });
        Assert.IsType<VisionTransformer>(m);
        Assert.Equal("vit_tiny_patch16", m.BackboneName);
        using var r = Backbone.Create("RESNET18");
        Assert.Equal("resnet18", r.BackboneName);
    }

    [Fact]
    public void Create_UnknownName_ThrowsListingKnownNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => Registry.Create("vgg16"));
        Assert.Contains("'vgg16'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("resnet18, resnet18-imagenet, resnet50, vit_base_patch16, vit_small_patch16, vit_tiny_patch16", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BackboneOptions_Defaults_ArePinned()
    {
        var o = new BackboneOptions();
        Assert.Null(o.PretrainedPath);
        Assert.False(o.SmallInputStem);
        Assert.Equal(224, o.ImageSize);
        Assert.Equal(3, o.InChannels);
        Assert.Equal(0, o.NumClasses);
        Assert.Equal(0.0, o.DropPathRate);
        Assert.Equal(0.0, o.DropRate);
        Assert.Equal(0.0, o.AttentionDropRate);
        Assert.Null(o.Seed);
        o.Validate();
    }

    [Theory]
    [InlineData("ImageSize", 8, "ImageSize")]
    [InlineData("InChannels", 0, "InChannels")]
    [InlineData("NumClasses", -1, "NumClasses")]
    [InlineData("DropPathRate", 1.5, "DropPathRate")]
    [InlineData("DropRate", -0.1, "DropRate")]
    public void Create_InvalidOptions_ThrowsNamingTheOption(string property, double value, string fragment)
    {
        var o = new BackboneOptions();
        var prop = typeof(BackboneOptions).GetProperty(property)!;
        prop.SetValue(o, prop.PropertyType == typeof(int) ? (object)(int)value : value);
        var ex = Assert.Throws<ArgumentException>(() => Registry.Create("resnet18", o));
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MissingPretrainedFile_ThrowsNamingPath()
    {
        var path = Path.Combine(dir, "absent.safetensors");
        var ex = Assert.Throws<ArgumentException>(() => Registry.Create("resnet18", new BackboneOptions { PretrainedPath = path }));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Register_UserBackbone_IsListedCreatableAndRemovable()
    {
        Registry.Register("tiny_test_net", o => ResNet.ResNet18(o));
        try
        {
            Assert.Contains("tiny_test_net", Registry.Names);
            using var m = Registry.Create("TINY_TEST_NET", new BackboneOptions { SmallInputStem = true });
            Assert.Equal(8, m.FeatureStride);
            Assert.Contains("already registered", Assert.Throws<ArgumentException>(() => Registry.Register("tiny_test_net", o => ResNet.ResNet18(o))).Message, StringComparison.Ordinal);
        }
        finally
        {
            Assert.True(Registry.Unregister("tiny_test_net"));
        }

        Assert.DoesNotContain("tiny_test_net", Registry.Names);
        Assert.Throws<ArgumentException>(() => Registry.Unregister("resnet18"));
        Assert.Throws<ArgumentException>(() => Registry.Register("bad name!", o => ResNet.ResNet18(o)));
    }

    [Fact]
    public void Create_PretrainedSafetensorsWithHeadAndModulePrefix_LoadsBackboneWeights()
    {
        var options = new BackboneOptions { SmallInputStem = true, NumClasses = 10, Seed = 1 };
        using var trained = Registry.Create("resnet18", options);
        var path = Path.Combine(dir, "r18.safetensors");
        SafeTensors.Save(path, trained.state_dict().ToDictionary(p => "module." + p.Key, p => p.Value));

        using var loaded = Registry.Create("resnet18", new BackboneOptions { SmallInputStem = true, PretrainedPath = path, Seed = 2 });
        Assert.Equal(0, loaded.NumClasses);
        trained.eval();
        loaded.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = rand(2, 3, 32, 32);
        TensorAssert.Close(trained.call(x).Map, loaded.call(x).Map, atol: 0, rtol: 0);
    }

    [Fact]
    public void Create_PretrainedVitAt224IntoSmallerImageSize_ResamplesPositionEmbedding()
    {
        using var trained = Registry.Create("vit_tiny_patch16", new BackboneOptions { Seed = 1 });
        var path = Path.Combine(dir, "vit.safetensors");
        SafeTensors.Save(trained, path);
        using var loaded = Registry.Create("vit_tiny_patch16_224", new BackboneOptions { ImageSize = 32, PretrainedPath = path });
        trained.eval();
        loaded.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = rand(1, 3, 32, 32);
        TensorAssert.Close(trained.call(x).Pooled, loaded.call(x).Pooled, atol: 1e-5, rtol: 1e-5);
    }

    [Fact]
    public void Create_PretrainedForOtherArchitecture_ThrowsInvalidDataNamingFile()
    {
        using var vit = Registry.Create("vit_tiny_patch16", new BackboneOptions { ImageSize = 32 });
        var path = Path.Combine(dir, "vit32.safetensors");
        SafeTensors.Save(vit, path);
        var live = TensorLeaks.LiveTensors;
        var ex = Assert.Throws<InvalidDataException>(() => Registry.Create("resnet18", new BackboneOptions { PretrainedPath = path }));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("conv1.weight", ex.Message, StringComparison.Ordinal);
        Assert.Equal(live, TensorLeaks.LiveTensors);
    }

    [Fact]
    public void Create_PretrainedTorchSharpFormat_Loads()
    {
        using var trained = Registry.Create("resnet18", new BackboneOptions { SmallInputStem = true, NumClasses = 3, Seed = 4 });
        var path = Path.Combine(dir, "r18.dat");
        StateDictLoader.SaveTorchSharp(trained, path);
        using var loaded = Registry.Create("resnet18", new BackboneOptions { SmallInputStem = true, NumClasses = 3, PretrainedPath = path });
        ModuleContract.AssertStateDictsEqual(trained, loaded);
    }
}
