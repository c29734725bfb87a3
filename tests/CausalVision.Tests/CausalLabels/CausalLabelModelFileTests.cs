using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.Weights;

namespace CausalVision.Tests.CausalLabels;

/// <summary>One-call save and load of a whole causal-label model (weights, dictionary, options, variant, labels).</summary>
public sealed class CausalLabelModelFileTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "cl-model-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static CausalLabelModel Model(int k = 3)
    {
        manual_seed(4);
        var model = new CausalLabelModelBuilder()
            .WithBackbone(new PrecomputedBackbone(8, featureStride: 4))
            .WithLabels(["a", "b", "c", "d"])
            .WithModelDim(16)
            .WithHeads(2)
            .WithDecoderLayers(1)
            .WithConfounders(k)
            .Configure(o => o.FeedForwardDim = 32)
            .WithVariant(CausalLabelVariant.Causal)
            .Build();
        using var centres = randn(k, model.ConfounderDim);
        using var prior = full(k, 1.0 / k);
        using var dictionary = new ConfounderDictionary(centres, prior);
        model.SetDictionary(dictionary);
        model.eval();
        return model;
    }

    [Fact]
    public void SaveThenLoad_GivesTheSameLogits_LabelsVariantAndDictionary()
    {
        var path = Path.Combine(root, "model.safetensors");
        using var model = Model();
        model.Save(path);
        using var loaded = CausalLabelModel.Load(path);
        Assert.Equal(model.LabelNames, loaded.LabelNames);
        Assert.Equal(CausalLabelVariant.Causal, loaded.Variant);
        Assert.Equal(3, loaded.NumConfounders);
        Assert.False(loaded.training);
        using var maps = randn(2, 8, 3, 3);
        using var a = model.call(maps);
        using var b = loaded.call(maps);
        TensorAssert.Close(a, b, 1e-6);
        ModuleContract.AssertStateDictsEqual(model, loaded);
    }

    [Fact]
    public void Load_AfterADictionarySwapToAnotherK_RebuildsWithTheSavedK()
    {
        var path = Path.Combine(root, "swapped.safetensors");
        using var model = Model();
        using (var centres = randn(5, model.ConfounderDim))
        using (var prior = full(5, 0.2))
        using (var swapped = new ConfounderDictionary(centres, prior))
        {
            model.SwapDictionary(swapped);
        }

        model.Save(path);
        using var loaded = CausalLabelModel.Load(path);
        Assert.Equal(5, loaded.NumConfounders);
    }

    [Fact]
    public void Load_WrongShapeOrNotAModelFile_IsInvalidDataNamingTheParameter()
    {
        var path = Path.Combine(root, "model.safetensors");
        using var model = Model();
        model.Save(path);
        var bad = Path.Combine(root, "bad.safetensors");
        using (var file = SafeTensors.Load(path))
        {
            var tensors = file.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var key = tensors.Keys.First(k => k.EndsWith(".weight", StringComparison.Ordinal) && tensors[k].dim() == 2);
            tensors[key] = zeros(tensors[key].shape[0] + 1, tensors[key].shape[1]);
            SafeTensors.Save(bad, tensors, file.Metadata);
            var e = Assert.Throws<InvalidDataException>(() => CausalLabelModel.Load(bad));
            Assert.Contains(key, e.Message, StringComparison.Ordinal);
        }

        var plain = Path.Combine(root, "plain.safetensors");
        using var t = zeros(2);
        SafeTensors.Save(plain, new Dictionary<string, Tensor> { ["x"] = t });
        Assert.Contains(CausalLabelModelFile.Format, Assert.Throws<InvalidDataException>(() => CausalLabelModel.Load(plain)).Message, StringComparison.Ordinal);
    }
}
