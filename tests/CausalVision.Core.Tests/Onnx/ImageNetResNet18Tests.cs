using CausalVision.Backbones;
using CausalVision.Imaging;
using CausalVision.Imaging.Transforms;
using CausalVision.Onnx;
using CausalVision.Synthetic;
using Registry = CausalVision.Backbones.BackboneRegistry;

namespace CausalVision.Tests.Onnx;

/// <summary>
/// Eight synthetic scenes written as PNG and JPEG files and decoded through the image pipeline, run
/// once through ONNX Runtime (ResNetPreprocess.onnx, then ResNet18.onnx with the stage outputs added
/// as graph outputs) and once through the imported TorchSharp backbone.
/// </summary>
public sealed class ImageNetResNet18Fixture : IDisposable
{
    /// <summary>The last ReLU of each stage (layer1..layer4) and the graph output.</summary>
    public static readonly string[] Stages = ["ReLU283_Output_0", "ReLU315_Output_0", "ReLU347_Output_0", "ReLU393_Output_0", "Pooling395_Output_0"];

    public ImageNetResNet18Fixture()
    {
        ModelPath = ImageNetResNet18.FindModelPath() ?? throw new InvalidOperationException("The test project downloads Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0; restore it.");
        var preprocessPath = Path.Combine(ImageNetResNet18.PackageFolder(), ImageNetResNet18.PreprocessPathInPackage);
        var dir = Directory.CreateTempSubdirectory("cv-resnet18-").FullName;
        try
        {
            var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { ImageSize = 224, TrainSize = 8, TestIidSize = 8, TestOodSize = 8, Seed = 5 });
            for (var i = 0; i < 8; i++)
            {
                var image = new ImageBuffer(3, 224, 224, bench.Train.Render(i));
                var path = Path.Combine(dir, i % 2 == 0 ? $"{i}.png" : $"{i}.jpg");
                File.WriteAllBytes(path, i % 2 == 0 ? ImageDecoder.EncodePng(image) : ImageDecoder.EncodeJpeg(image, 90));
                Images.Add(ImageDecoder.DecodeFile(path));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        var prep = File.ReadAllBytes(preprocessPath);
        var net = OnnxProto.WithExtraOutputs(File.ReadAllBytes(ModelPath), Stages[..^1]);
        foreach (var image in Images)
        {
            var pixels = image.Data.Select(p => p * 255f).ToArray();
            var pre = OnnxProto.RunOrt(prep, "OriginalInput", pixels, [1, 3, 224, 224], ["PreprocessedInput"])["PreprocessedInput"];
            Preprocessed.Add(pre.Data);
            Reference.Add(OnnxProto.RunOrt(net, "Input247", pre.Data, [1, 3, 224, 224], Stages));
        }
    }

    public string ModelPath { get; }

    public List<ImageBuffer> Images { get; } = [];

    /// <summary>ONNX Runtime's ResNetPreprocess.onnx output per image.</summary>
    public List<float[]> Preprocessed { get; } = [];

    /// <summary>ONNX Runtime's values per image and stage.</summary>
    public List<Dictionary<string, (float[] Data, long[] Shape)>> Reference { get; } = [];

    public Tensor Batch(bool normalized)
    {
        var normalize = new Normalize();
        var rng = new Random(0);
        var data = Images.SelectMany(i => normalized ? normalize.Apply(i, rng).Data : i.Data).ToArray();
        return tensor(data, [Images.Count, 3, 224, 224]);
    }

    public Tensor ReferenceBatch(string stage)
    {
        var shape = Reference[0][stage].Shape;
        return tensor(Reference.SelectMany(r => r[stage].Data).ToArray(), [Images.Count, .. shape[1..]]);
    }

    public void Dispose()
    {
    }
}

public sealed class ImageNetResNet18Tests(ImageNetResNet18Fixture fx, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ImageNetResNet18Fixture>
{
    private static double Peak(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.abs().max().item<float>();
    }

    private static double MaxAbs(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a - b).abs().max().item<float>();
    }

    [Fact]
    public void Import_ResNet18Graph_HasTheDocumentedStructure()
    {
        var model = OnnxModel.Load(fx.ModelPath);
        Assert.Equal("CNTK", model.ProducerName);
        Assert.Equal(74, model.Graph.Nodes.Count);
        Assert.Equal(110, model.Graph.Initializers.Count);
        Assert.Equal(22, model.Graph.Nodes.Count(n => n.OpType == "Conv"));
        Assert.Equal(22, model.Graph.Nodes.Count(n => n.OpType == "BatchNormalization"));
        using var module = OnnxImporter.Import(model);
        Assert.Equal([1, 3, 224, 224], module.InputShape);
        Assert.Equal("Input247", module.InputName);
        Assert.Equal([3L, 3, 2, 2], model.Graph.Nodes[0].Attributes["pads"].Ints);
        Assert.Equal("Parameter91", module.ParameterSources["Convolution249.weight"]);
        Assert.Equal("Constant98", module.ParameterSources["BatchNormalization251.running_mean"]);

        // torchvision's ResNet-18 trunk (11,176,512) plus the third layer4 block (two 512x512 3x3 convs and two BNs).
        Assert.Equal(11_176_512 + (2 * 512 * 512 * 9) + (2 * 2 * 512), ModuleContract.ParameterCount(module));
    }

    [Fact]
    public void Preprocess_DecodedImages_EqualsResNetPreprocessOnnx()
    {
        using var backbone = ImageNetResNet18.Create(new BackboneOptions { PretrainedPath = fx.ModelPath });
        using var unit = fx.Batch(normalized: false);
        using var expected = tensor(fx.Preprocessed.SelectMany(p => p).ToArray(), [8, 3, 224, 224]);
        backbone.NormalizedInput = false;
        using (var pre = backbone.Preprocess(unit))
        {
            Assert.Equal(0.0, MaxAbs(expected, pre));
        }

        // From the pipeline's ImageNet-normalised images the inverse Normalize costs float rounding only.
        backbone.NormalizedInput = true;
        using var normalized = fx.Batch(normalized: true);
        using var fromNormalized = backbone.Preprocess(normalized);
        Assert.True(MaxAbs(expected, fromNormalized) < 1e-4);
    }

    [Fact]
    public void Forward_EightDecodedImages_OutputAndStagesMatchOnnxRuntime()
    {
        using var module = OnnxImporter.Load(fx.ModelPath);
        module.eval();
        using var input = tensor(fx.Preprocessed.SelectMany(p => p).ToArray(), [8, 3, 224, 224]);
        TensorLeaks.AssertNone(() =>
        {
            using var _ = no_grad();
            var values = module.Forward(input, ImageNetResNet18Fixture.Stages);
            foreach (var stage in ImageNetResNet18Fixture.Stages)
            {
                using var actual = values[stage];
                using var expected = fx.ReferenceBatch(stage);
                Assert.Equal(expected.shape, actual.shape);
                var peak = Peak(expected);
                var diff = MaxAbs(expected, actual);
                output.WriteLine($"{stage}: max |torch - ORT| = {diff:E2}, max |ORT| = {peak:F2}");

                // Graph output (pooled, |v| < ~10): 1e-4 absolute. Stage maps: 1e-4 relative to the stage's largest value.
                var bound = stage == "Pooling395_Output_0" ? 1e-4 : 1e-4 * Math.Max(1.0, peak);
                Assert.True(diff <= bound, $"{stage}: max |torch - ORT| = {diff:E2} > {bound:E2} (max |ORT| = {peak:F2}).");
            }
        });
    }

    [Fact]
    public void Backbone_FromRegistryOnNormalizedImages_PooledAndMapMatchOnnxRuntime()
    {
        using var backbone = Registry.Create(ImageNetResNet18.RegistryName);
        backbone.eval();
        Assert.Equal(512, backbone.FeatureDim);
        using var images = fx.Batch(normalized: true);
        using var _ = no_grad();
        using var f = backbone.call(images);
        using var expectedPooled = fx.ReferenceBatch("Pooling395_Output_0");
        using var pooled = expectedPooled.flatten(1);
        output.WriteLine($"backbone pooled: {MaxAbs(pooled, f.Pooled):E2}, map: {MaxAbs(fx.ReferenceBatch("ReLU393_Output_0"), f.Map):E2}");
        Assert.True(MaxAbs(pooled, f.Pooled) <= 1e-4, $"pooled differs by {MaxAbs(pooled, f.Pooled):E2}");
        using var expectedMap = fx.ReferenceBatch("ReLU393_Output_0");
        Assert.Equal([8, 512, 7, 7], f.Map.shape);
        Assert.True(MaxAbs(expectedMap, f.Map) <= 1e-3, $"map differs by {MaxAbs(expectedMap, f.Map):E2}");
    }

    [Fact]
    public void OptimizeForInference_EightDecodedImages_StillMatchesOnnxRuntime()
    {
        using var backbone = ImageNetResNet18.Create().OptimizeForInference();
        Assert.Equal(22, backbone.Network.FoldedBatchNorms);
        using var images = fx.Batch(normalized: true);
        TensorLeaks.AssertNone(() =>
        {
            using var _ = no_grad();
            using var f = backbone.call(images);
            using var expected = fx.ReferenceBatch("Pooling395_Output_0");
            using var pooled = expected.flatten(1);
            var diff = MaxAbs(pooled, f.Pooled);
            output.WriteLine($"optimized pooled: {diff:E2}");
            Assert.True(diff <= 1e-4, $"pooled differs by {diff:E2}");
            Assert.True(f.Map.is_contiguous());
        });
    }

    [Fact]
    public void Create_PackageMissing_MessageNamesThePackageToAdd()
    {
        var empty = Directory.CreateTempSubdirectory("cv-nuget-").FullName;
        try
        {
            var ex = Assert.Throws<FileNotFoundException>(() => ImageNetResNet18.Create(null, empty));
            Assert.Contains("dotnet add package Microsoft.ML.DnnImageFeaturizer.ResNet18 --version 0.24.0", ex.Message);
            Assert.Contains("BackboneOptions.PretrainedPath", ex.Message);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void Create_SmallImages_ResizesMeanImageAndKeepsStride32()
    {
        using var backbone = Registry.Create(ImageNetResNet18.RegistryName, new BackboneOptions { NumClasses = 4, Seed = 1 });
        backbone.eval();
        using var x = randn(2, 3, 64, 64);
        TensorLeaks.AssertNone(() =>
        {
            using var _ = no_grad();
            using var f = backbone.call(x);
            Assert.Equal([2, 512, 2, 2], f.Map.shape);
            using var logits = backbone.ForwardHead(f.Pooled);
            Assert.Equal([2, 4], logits.shape);
        });
    }
}
