using System.Globalization;
using CausalVision.Graph.Cim;
using CausalVision.Graph.Conv;
using CausalVision.Vscnet;
using CausalVision.Vscnet.Fusion;
using CausalVision.Vscnet.Har;
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
                o.Refinement.PrototypeTemperature = 0.05;
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
        Assert.Equal(0.05, loaded.Options.Refinement.PrototypeTemperature);
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

    /// <summary>
    /// vscnet-v1.safetensors was written by the library before the options nested the component options (format
    /// causalvision.vscnet/1, option sections Har, Graph, Cim, Fusion and Training.AlphaL), from
    /// <c>VscNetTestKit.Builder(seed: 3)</c> with every mirror option off its default, its hierarchy installed, in stage 2;
    /// vscnet-v1.expected.txt holds the outputs that version computed on <c>VscNetTestKit.Images()</c> after loading the
    /// file. On the machine that wrote them the current code reproduces them bit for bit; the tolerance allows for
    /// another CPU's float kernels.
    /// </summary>
    [Fact]
    public void Load_Version1File_MapsTheOldOptionsAndPredictsAsBefore()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Vscnet", "Fixtures", "vscnet-v1.safetensors");
        Assert.Equal("causalvision.vscnet/1", ModelRegistry.FormatOf(path));
        using var loaded = VscNet.Load(path);
        Assert.Equal(VscNetStage.Classification, loaded.Stage);
        Assert.NotNull(loaded.Hierarchy);

        // Every mirror option landed on the component option (or VSCNet setting) that now holds it.
        var o = loaded.Options;
        Assert.Equal(0.3, o.Refinement.AlphaF);
        Assert.Equal(0.05, o.Refinement.PrototypeTemperature);
        Assert.Equal(5, o.Refinement.TopK);
        Assert.Equal(2, o.CandidateTags);
        Assert.Equal(PrototypeSimilarityKind.Cosine, o.PrototypeSimilarity);
        Assert.Equal(HierarchyTagSource.Predicted, o.HierarchyTagSource);
        Assert.Equal(1, o.Hierarchy.MinMembers);
        Assert.Equal(ClassVoteMode.Weighted, o.Vote.Mode);
        Assert.Equal(8, o.NodeFeatures);
        Assert.Equal(4, o.Graph.TopTags);
        Assert.Equal(2, o.Graph.RegionTopTags);
        Assert.Equal(0.3, o.Graph.TagTagWeight);
        Assert.True(o.Graph.IncludePrototypes); // version 1 ignored it: +K builds G_h
        foreach (var (hidden, layers, norm) in new[] { (o.GraphEncoder.HiddenFeatures, o.GraphEncoder.Layers, o.GraphEncoder.Norm), (o.Cim.HiddenFeatures, o.Cim.Layers, o.Cim.Norm) })
        {
            Assert.Equal((6L, 2, GcnNorm.LayerNorm), (hidden, layers, norm));
        }

        Assert.Equal(CimLossKind.CrossEntropy, o.Cim.LossKind);
        Assert.Equal((0.5, 0.9, 0.4), (o.Cim.KlWeight, o.Cim.CausalWeight, o.Cim.InterventionWeight));
        Assert.Equal(0, o.Cim.MaskEncoderLayers);
        Assert.Equal(CimMaskPlacement.AfterNorm, o.Cim.MaskPlacement);
        Assert.Equal(CimTrivialObjective.GeneralizedCrossEntropy, o.Cim.TrivialObjective);
        Assert.Equal((0.25, 0.7), (o.Cim.MaskBudget, o.Cim.MaskBudgetWeight));
        Assert.Equal(CimConfounders.None, o.Cim.EvaluationConfounders);
        Assert.Equal((0L, 0), (o.Cim.InFeatures, o.Cim.Classes));
        Assert.Equal(8, o.Fusion.FusedFeatures);
        Assert.Equal((0.7, 0.3), (o.Fusion.EvidenceWeight, o.Fusion.KnowledgeWeight));
        Assert.Equal(KnowledgeInput.Logits, o.Fusion.Knowledge);
        Assert.Equal(VscPredictionHead.Fusion, o.Prediction);
        Assert.Equal(0.5, o.Fva.Loss.LocatingLossWeight);
        Assert.Equal(0.8, o.Training.AlphaGf);
        Assert.Equal(3, o.Training.Seed);
        Assert.Empty(o.Problems());

        // The same predictions as the version that wrote the file computes from it.
        var expected = File.ReadAllLines(Path.ChangeExtension(path, null) + ".expected.txt")
            .Select(l => l.Split(' '))
            .ToDictionary(f => f[0], f => f.Skip(1).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray());
        using var x = VscNetTestKit.Images();
        using var output = loaded.call(x);
        using var probabilities = tensor(expected["probabilities"]).reshape(output.Probabilities.shape);
        using var logits = tensor(expected["logits"]).reshape(output.Logits.shape);
        TensorAssert.Close(probabilities, output.Probabilities, 1e-6, 0);
        TensorAssert.Close(logits, output.Logits, 1e-6, 0);

        // Saved again it is a version 2 file with the nested options, and reloads to the same outputs.
        var again = Path.Combine(root, "v2.safetensors");
        loaded.Save(again);
        using (var file = SafeTensors.Load(again))
        {
            Assert.Equal(VscNetModelFile.Format, file.Metadata["format"]);
            Assert.Contains("\"Refinement\"", file.Metadata["description"], StringComparison.Ordinal);
            Assert.DoesNotContain("\"Har\"", file.Metadata["description"], StringComparison.Ordinal);
        }

        using var reloaded = Assert.IsType<VscNet>(ModelRegistry.Load(again));
        using var output2 = reloaded.call(x);
        TensorAssert.Close(output.Probabilities, output2.Probabilities, 0, 0);
        ModuleContract.AssertStateDictsEqual(loaded, reloaded);
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
