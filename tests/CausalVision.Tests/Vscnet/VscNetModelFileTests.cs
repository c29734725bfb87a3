using CausalVision.Vscnet;
using CausalVision.Weights;

namespace CausalVision.Tests.Vscnet;

/// <summary>One-call save and load of a whole VSCNet (weights, options, names, stage, hierarchy).</summary>
public sealed class VscNetModelFileTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "vscnet-model-" + Guid.NewGuid().ToString("N"));

    public VscNetModelFileTests() => VscNetTestKit.RegisterTinyBackbone();

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static VscNet Stage2Model(out Clustering.Hierarchy.ExemplarHierarchy hierarchy)
    {
        var model = VscNetTestKit.Builder()
            .Configure(o =>
            {
                o.Backbone.Name = VscNetTestKit.TinyBackboneName;
                o.Har.PrototypeTemperature = 0.05;
            })
            .Build();
        hierarchy = VscNetTestKit.Hierarchy(model);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        model.eval();
        return model;
    }

    [Fact]
    public void SaveThenLoad_GivesTheSameOutputs_StageOptionsNamesAndHierarchy()
    {
        var path = Path.Combine(root, "model.safetensors");
        using var model = Stage2Model(out var hierarchy);
        using var h = hierarchy;
        model.Save(path);
        using var loaded = VscNet.Load(path);
        Assert.Equal(VscNetStage.Classification, loaded.Stage);
        Assert.False(loaded.training);
        Assert.Equal(model.TagNames, loaded.TagNames);
        Assert.Equal(model.ClassNames, loaded.ClassNames);
        Assert.Equal(0.05, loaded.Options.Har.PrototypeTemperature);
        Assert.Equal(model.Ablation, loaded.Ablation);
        Assert.Equal(hierarchy.Count, loaded.Hierarchy!.Count);
        using var x = VscNetTestKit.Images();
        using var a = model.call(x);
        using var b = loaded.call(x);
        TensorAssert.Close(a.Probabilities, b.Probabilities, 1e-6);
        ModuleContract.AssertStateDictsEqual(model, loaded);

        // Readable by any safetensors reader: the metadata names the format.
        using var file = SafeTensors.Load(path);
        Assert.Equal(VscNetModelFile.Format, file.Metadata["format"]);
        Assert.Contains("\"Classes\"", file.Metadata["description"], StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WeightsOfAnotherShape_RefusesNamingTheParameterAndBothShapes()
    {
        var path = Path.Combine(root, "model.safetensors");
        using var model = Stage2Model(out var hierarchy);
        using var h = hierarchy;
        model.Save(path);
        var bad = Path.Combine(root, "bad.safetensors");
        using (var file = SafeTensors.Load(path))
        {
            var tensors = file.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            tensors["classifier.weight"] = zeros(VscNetTestKit.Classes + 1, tensors["classifier.weight"].shape[1]);
            SafeTensors.Save(bad, tensors, file.Metadata);
        }

        var e = Assert.Throws<InvalidDataException>(() => VscNet.Load(bad));
        Assert.Contains("classifier.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains(VscNetTestKit.Classes.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NotAModelFile_IsInvalidData()
    {
        var path = Path.Combine(root, "plain.safetensors");
        Directory.CreateDirectory(root);
        using var t = zeros(2);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = t });
        var e = Assert.Throws<InvalidDataException>(() => VscNet.Load(path));
        Assert.Contains(VscNetModelFile.Format, e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => VscNet.Load(Path.Combine(root, "missing.safetensors")));
    }

    [Fact]
    public void Predict_ImageFiles_RanksClassesAndTagsAsTheForwardPassDoes()
    {
        Directory.CreateDirectory(root);
        using var model = Stage2Model(out var hierarchy);
        using var h = hierarchy;
        model.Options.Backbone.Options.ImageSize = 16;
        using var images = VscNetTestKit.Images(batch: 2);
        var files = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var file = Path.Combine(root, $"image{i}.png");
            CausalVision.Imaging.ImageDecoder.SavePng(new CausalVision.Imaging.ImageBuffer(3, 16, 16, images[i].contiguous().data<float>().ToArray()), file);
            files.Add(file);
        }

        var predictions = model.Predict(files, top: 2);
        Assert.Equal(2, predictions.Count);
        Assert.Equal(files[1], predictions[1].Source);
        Assert.Equal(2, predictions[0].Classes.Count);
        Assert.True(predictions[0].Classes[0].Score >= predictions[0].Classes[1].Score);
        Assert.Equal(2, predictions[0].Tags.Count);

        // The same pixels (8-bit PNG, in [0, 1] as the trainer feeds them) give the same best class and probability.
        using var scope = NewDisposeScope();
        var decoded = CausalVision.Imaging.ImageDecoder.DecodeFile(files[0]).ToTensor();
        using var o = model.call(decoded.unsqueeze(0));
        var best = o.Probabilities[0].argmax().item<long>();
        Assert.Equal(model.ClassNames[(int)best], predictions[0].Classes[0].Label);
        Assert.Equal(o.Probabilities[0, best].item<float>(), predictions[0].Classes[0].Score, 5);
        Assert.Throws<InvalidDataException>(() => model.Predict([Path.Combine(root, "missing.png")]));
    }
}
