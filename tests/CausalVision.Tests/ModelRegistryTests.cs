using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.Data;
using CausalVision.Tests.Vscnet;
using CausalVision.Vscnet;
using CausalVision.Weights;

namespace CausalVision.Tests;

public sealed class ModelRegistryTests : IDisposable
{
    private static readonly DatasetInfo Info = new("tiny", ["a", "b", "c"], VscNetTestKit.TagNames, MultiLabel: false);

    private readonly string root = Path.Combine(Path.GetTempPath(), "cv-registry-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Names_AreTheThreeModels_Sorted()
    {
        Assert.Equal(new[] { "baseline", "causal-labels", "vscnet" }, ModelRegistry.Names);
    }

    [Fact]
    public void Create_EachName_BuildsThatModelForTheDataset()
    {
        VscNetTestKit.RegisterTinyBackbone();
        manual_seed(1);
        using (var baseline = Assert.IsType<BackboneClassifier>(ModelRegistry.Create("baseline", Info, VscNetTestKit.TinyBackboneName)))
        using (var x = VscNetTestKit.Images(2))
        using (var y = baseline.call(x))
        {
            Assert.Equal(new long[] { 2, 3 }, y.shape);
        }

        using (var vscnet = Assert.IsType<VscNet>(ModelRegistry.Create("VSCNet", Info, VscNetTestKit.TinyBackboneName)))
        {
            Assert.Equal(Info.Classes, vscnet.ClassNames);
            Assert.Equal(Info.Tags, vscnet.TagNames);
        }

        using var labels = Assert.IsType<CausalLabelModel>(ModelRegistry.Create("causal-labels", Info, VscNetTestKit.TinyBackboneName));
        Assert.Equal(Info.Classes, labels.LabelNames);
    }

    [Fact]
    public void Create_UnknownName_ThrowsNamingTheRegisteredOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("resnet", Info));
        Assert.Contains("baseline, causal-labels, vscnet", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DispatchesOnTheFileFormat_AndRefusesOtherFiles()
    {
        Directory.CreateDirectory(root);
        VscNetTestKit.RegisterTinyBackbone();
        var vscPath = Path.Combine(root, "vscnet.safetensors");
        using (var model = VscNetTestKit.Builder(VscNetAblation.Locating).Build())
        {
            model.Save(vscPath);
        }

        var labelPath = Path.Combine(root, "labels.safetensors");
        manual_seed(2);
        using (var model = new CausalLabelModelBuilder().WithBackbone(new PrecomputedBackbone(8, featureStride: 4)).WithLabels(["p", "q"])
            .WithModelDim(16).WithHeads(2).WithDecoderLayers(1).WithVariant(CausalLabelVariant.Decouple).Configure(o => o.FeedForwardDim = 32).Build())
        {
            model.Save(labelPath);
        }

        Assert.Equal(VscNetModelFile.Format, ModelRegistry.FormatOf(vscPath));
        Assert.Equal(CausalLabelModelFile.Format, ModelRegistry.FormatOf(labelPath));
        using (var loaded = ModelRegistry.Load(vscPath))
        {
            Assert.False(Assert.IsType<VscNet>(loaded).training);
        }

        using (var loaded = ModelRegistry.Load(labelPath))
        {
            Assert.Equal(new[] { "p", "q" }, Assert.IsType<CausalLabelModel>(loaded).LabelNames);
        }

        var plain = Path.Combine(root, "plain.safetensors");
        using (var t = zeros(2))
        {
            SafeTensors.Save(plain, new Dictionary<string, Tensor> { ["w"] = t });
        }

        Assert.Null(ModelRegistry.FormatOf(plain));
        var e = Assert.Throws<InvalidDataException>(() => ModelRegistry.Load(plain));
        Assert.Contains(VscNetModelFile.Format, e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => ModelRegistry.Load(Path.Combine(root, "missing.safetensors")));
    }
}
