using CausalVision.Backbones;
using CausalVision.Weights;
using Registry = CausalVision.Backbones.BackboneRegistry;

namespace CausalVision.Tests.Backbones;

/// <summary>The one contract every registered backbone must meet (timm's test_model_forward/backward style).</summary>
public sealed class BackboneContractTests
{
    private const int Size = 32;

    private static Tensor Outputs(Backbone model, Tensor x)
    {
        using var _ = no_grad();
        using var f = model.call(x);
        return cat([f.Pooled.flatten(), f.Map.flatten()]);
    }

    public static TheoryData<string> RegisteredNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Registry.Names)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RegisteredNames))]
    public void Contract_RegisteredBackbone_ShapesBackwardRoundTripNoLeaks(string name)
    {
        using var model = Registry.Create(name, new BackboneOptions { ImageSize = Size, Seed = 11 });
        manual_seed(12);
        using var x = rand(2, model.InChannels, Size, Size);
        var grid = Size / model.FeatureStride;

        // 1. Forward shapes (eval, no grad), finite values, grid cells = tokens; nothing leaked.
        model.eval();
        TensorLeaks.AssertNone(() =>
        {
            using var _ = no_grad();
            using var f = model.call(x);
            Assert.Equal([2, model.FeatureDim], f.Pooled.shape);
            Assert.Equal([2, model.FeatureDim, grid, grid], f.Map.shape);
            Assert.Equal([2, grid * grid, model.FeatureDim], f.Tokens.shape);
            using var scope = NewDisposeScope();
            Assert.True(isfinite(f.Pooled).all().item<bool>() && isfinite(f.Map).all().item<bool>(), "Non-finite features.");
            Assert.True(f.Map[.., .., 0, 0].eq(f.Tokens[.., 0, ..]).all().item<bool>(), "Map cell (0, 0) differs from token 0.");
        });

        // 2. Backward reaches every parameter; a training step leaks nothing once gradients exist.
        model.train();
        void Step()
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            var f = model.call(x);
            var loss = f.Pooled.pow(2).mean() + f.Map.pow(2).mean() + f.Tokens.mean();
            loss.backward();
        }

        TensorLeaks.AssertSteadyState(Step);
        ModuleContract.AssertGradientsReachAllParameters(model);

        // 3. State dict written to safetensors and read back restores identical outputs after the
        //    weights were overwritten (one instance: the big variants are costly to build twice).
        using var expected = Outputs(model, x);
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, model.state_dict());
        using (no_grad())
        {
            foreach (var (_, value) in model.state_dict())
            {
                value.add_(1);
            }
        }

        using (var changed = Outputs(model, x))
        {
            Assert.False(changed.allclose(expected), "Overwriting the weights should change the outputs.");
        }

        stream.Position = 0;
        using (var loaded = SafeTensors.Load(stream, name))
        {
            var report = StateDictLoader.Load(model, loaded);
            Assert.True(report.IsExact, report.ToString());
        }

        using var restored = Outputs(model, x);
        TensorAssert.Close(expected, restored, atol: 0, rtol: 0);
    }
}
