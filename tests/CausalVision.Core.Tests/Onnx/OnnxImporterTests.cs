using CausalVision.Onnx;
using CausalVision.Weights;
using static CausalVision.Tests.Onnx.OnnxProto;

namespace CausalVision.Tests.Onnx;

/// <summary>The importer on small graphs built in code, checked against ONNX Runtime.</summary>
public sealed class OnnxImporterTests : IDisposable
{
    private static readonly long[] InputShape = [2, 3, 9, 11];
    private readonly string dir = Directory.CreateTempSubdirectory("cv-onnx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static float[] Random(int seed, long count, float scale = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, (int)count).Select(_ => (float)((rng.NextDouble() * 2) - 1) * scale).ToArray();
    }

    /// <summary>
    /// Conv (asymmetric pads, stride 2) -> BN -> Relu -> grouped dilated Conv (trailing pads larger than
    /// leading) -> MaxPool (asymmetric) -> AveragePool (asymmetric, count_include_pad 0) -> Add/Mul with
    /// constants -> Concat -> GlobalAveragePool -> Flatten -> Gemm (transB, alpha) -> Reshape.
    /// </summary>
    private static byte[] TinyModel(OnnxProto? replaceRelu = null, params OnnxProto[] extraConvAttributes)
    {
        OnnxProto[] initializers =
        [
            Tensor("W1", [4, 3, 3, 3], Random(1, 108, 0.5f)),
            Tensor("B1", [4], Random(2, 4)),
            Tensor("bn_scale", [4], Random(3, 4).Select(v => 1 + (0.5f * v)).ToArray()),
            Tensor("bn_bias", [4], Random(4, 4)),
            Tensor("bn_mean", [4], Random(5, 4, 0.3f)),
            Tensor("bn_var", [4], Random(6, 4).Select(v => 1 + (0.5f * v)).ToArray()),
            Tensor("W2", [6, 2, 2, 2], Random(7, 48, 0.5f)),
            Tensor("offset", [1, 6, 1, 1], Random(8, 6)),
            Tensor("gain", [1], [1.5f]),
            Tensor("fc_w", [5, 12], Random(9, 60, 0.3f)),
            Tensor("fc_b", [5], Random(10, 5)),
            Int64Tensor("out_shape", [0, 5, 1]),
        ];
        OnnxProto[] nodes =
        [
            Node("Conv", "conv1", ["x", "W1", "B1"], ["c1"], [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 0, 0), .. extraConvAttributes]),
            Node("BatchNormalization", "bn1", ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["b1"], FloatAttr("epsilon", 1e-3f), FloatAttr("momentum", 0.9f)),
            replaceRelu ?? Node("Relu", "relu1", ["b1"], ["r1"]),
            Node("Conv", "conv2.grouped", ["r1", "W2"], ["c2"], Int("group", 2), Ints("dilations", 2, 1), Ints("pads", 0, 0, 2, 1)),
            Node("MaxPool", "pool1", ["c2"], ["p1"], Ints("kernel_shape", 2, 3), Ints("strides", 1, 2), Ints("pads", 1, 0, 0, 1)),
            Node("AveragePool", "pool2", ["p1"], ["p2"], Ints("kernel_shape", 3, 3), Ints("pads", 0, 1, 2, 0), Int("count_include_pad", 0)),
            Node("Add", "add1", ["p2", "offset"], ["a1"]),
            Node("Mul", "mul1", ["a1", "gain"], ["m1"]),
            Node("Relu", "relu2", ["m1"], ["r2"]),
            Node("Concat", "cat", ["m1", "r2"], ["cat1"], Int("axis", 1)),
            Node("GlobalAveragePool", "gap", ["cat1"], ["g1"]),
            Node("Flatten", "flat", ["g1"], ["f1"], Int("axis", 1)),
            Node("Gemm", "fc", ["f1", "fc_w", "fc_b"], ["logits"], Int("transB", 1), FloatAttr("alpha", 0.5f)),
            Node("Reshape", "reshape", ["logits", "out_shape"], ["y"]),
        ];
        return Model(nodes, initializers, [ValueInfo("x", [-1, 3, 9, 11])], [ValueInfo("y", [-1, 5, 1])]);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Import_TinyGraph_OutputAndEveryIntermediateMatchOnnxRuntime()
    {
        var bytes = TinyModel();
        using var module = OnnxImporter.Load(Write("tiny.onnx", bytes));
        module.eval();
        var input = Random(11, InputShape.Aggregate(1L, (a, b) => a * b), 2f);
        var names = module.ValueNames;
        Assert.Equal(["c1", "b1", "r1", "c2", "p1", "p2", "a1", "m1", "r2", "cat1", "g1", "f1", "logits", "y"], names);
        var reference = RunOrt(WithExtraOutputs(bytes, names.Where(n => n != "y")), "x", input, InputShape, names);
        using var x = tensor(input, InputShape);
        TensorLeaks.AssertNone(() =>
        {
            using var _ = no_grad();
            var values = module.Forward(x, names);
            foreach (var name in names)
            {
                using var actual = values[name];
                var (data, shape) = reference[name];
                Assert.Equal(shape, actual.shape);
                using var expected = tensor(data, shape);
                TensorAssert.Close(expected, actual, atol: 1e-5, rtol: 1e-5);
            }
        });
        using (no_grad())
        {
            using var y = module.call(x);
            TensorAssert.Close(tensor(reference["y"].Data, reference["y"].Shape), y, atol: 1e-5, rtol: 1e-5);
        }
    }

    [Fact]
    public void Import_TinyGraph_ParametersNamedAfterGraphAndTrainable()
    {
        using var module = OnnxImporter.Import(OnnxModel.Parse(TinyModel(), "tiny"));
        var keys = module.state_dict().Keys.ToHashSet();
        Assert.Contains("conv1.weight", keys);
        Assert.Contains("conv1.bias", keys);
        Assert.Contains("conv2_grouped.weight", keys);
        Assert.Contains("bn1.running_mean", keys);
        Assert.Contains("bn1.running_var", keys);
        Assert.Contains("fc.weight", keys);
        Assert.Contains("offset", keys);
        Assert.Equal("W1", module.ParameterSources["conv1.weight"]);
        Assert.Equal("bn_var", module.ParameterSources["bn1.running_var"]);
        Assert.Equal("offset", module.ParameterSources["offset"]);

        // Imported running statistics and weights.
        TensorAssert.Values(Random(5, 4, 0.3f), module.state_dict()["bn1.running_mean"]);
        Assert.Equal(108 + 4 + 4 + 4 + 48 + 60 + 5, ModuleContract.ParameterCount(module));

        // Fine-tune: one step in training mode moves the weights and the BN running mean (ONNX momentum 0.9 -> torch 0.1).
        using var x = tensor(Random(12, 2 * 3 * 9 * 11), InputShape);
        module.train();
        using var before = module.state_dict()["conv1.weight"].clone();
        using var meanBefore = module.state_dict()["bn1.running_mean"].clone();
        var optimizer = optim.SGD(module.parameters(), 0.1);
        using (var scope = NewDisposeScope())
        {
            var loss = module.call(x).pow(2).sum();
            loss.backward();
            optimizer.step();
        }

        ModuleContract.AssertGradientsReachAllParameters(module);
        Assert.False(before.allclose(module.state_dict()["conv1.weight"]));
        Assert.False(meanBefore.allclose(module.state_dict()["bn1.running_mean"]));

        // Freeze.
        foreach (var p in module.parameters())
        {
            p.requires_grad = false;
        }

        Assert.All(module.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void FoldBatchNormAndChannelsLast_TinyGraph_SameOutputsAndTrainingRefused()
    {
        var bytes = TinyModel();
        using var plain = OnnxImporter.Import(OnnxModel.Parse(bytes, "plain"));
        using var fast = OnnxImporter.Import(OnnxModel.Parse(bytes, "fast"));
        plain.eval();
        Assert.Throws<InvalidOperationException>(() => fast.FoldBatchNorm());
        fast.eval();
        Assert.Equal(1, fast.FoldBatchNorm());
        fast.UseChannelsLast();
        Assert.True(fast.ChannelsLast);
        Assert.DoesNotContain("bn1", fast.Nodes.Select(n => n.Name));
        using var x = tensor(Random(14, 2 * 3 * 9 * 11), InputShape);
        TensorLeaks.AssertNone(() =>
        {
            using var _ = no_grad();
            var names = fast.ValueNames.ToArray();
            Assert.DoesNotContain("c1", names);
            var a = plain.Forward(x, names);
            var b = fast.Forward(x, names);
            foreach (var name in names)
            {
                using var ya = a[name];
                using var yb = b[name];
                TensorAssert.Close(ya, yb, atol: 1e-5, rtol: 1e-5);
            }
        });
        fast.train();
        Assert.Throws<InvalidOperationException>(() => fast.call(x));
    }

    [Fact]
    public void Import_StateDictRoundTrip_RestoresOutputs()
    {
        var bytes = TinyModel();
        using var a = OnnxImporter.Import(OnnxModel.Parse(bytes, "a"));
        using var b = OnnxImporter.Import(OnnxModel.Parse(bytes, "b"));
        a.eval();
        b.eval();
        using (no_grad())
        {
            foreach (var (_, value) in a.state_dict().Where(kv => kv.Value.is_floating_point()))
            {
                value.mul_(1.1);
            }
        }

        var report = ModuleContract.CopyStateViaSafeTensors(a, b);
        Assert.True(report.IsExact, report.ToString());
        using var x = tensor(Random(13, 2 * 3 * 9 * 11), InputShape);
        using var _ = no_grad();
        using var ya = a.call(x);
        using var yb = b.call(x);
        TensorAssert.Close(ya, yb, atol: 0, rtol: 0);
    }

    [Fact]
    public void Import_UnsupportedOp_NamesNodeAndOpAndBuildsNothing()
    {
        var bytes = TinyModel(Node("LRN", "norm1", ["b1"], ["r1"], Int("size", 3)));
        var path = Write("lrn.onnx", bytes);
        TensorLeaks.AssertNone(() =>
        {
            var ex = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(path));
            Assert.Equal("norm1", ex.NodeName);
            Assert.Equal("LRN", ex.OpType);
            Assert.Null(ex.Attribute);
            Assert.Contains("'norm1' (op LRN)", ex.Message);
            Assert.Contains(path, ex.Message);
        });
    }

    [Theory]
    [InlineData("auto_pad", "SAME_UPPER")]
    [InlineData("foo", "bar")]
    public void Import_UnsupportedAttribute_NamesNodeOpAndAttribute(string attribute, string value)
    {
        var bytes = TinyModel(null, StringAttr(attribute, value));
        TensorLeaks.AssertNone(() =>
        {
            var ex = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(bytes, "m.onnx")));
            Assert.Equal(("conv1", "Conv", attribute), (ex.NodeName, ex.OpType, ex.Attribute));
            Assert.Contains($"node 'conv1' (op Conv), attribute '{attribute}'", ex.Message);
        });
    }

    [Fact]
    public void Load_TruncatedFile_InvalidDataNamingFile()
    {
        var bytes = TinyModel();
        var path = Write("truncated.onnx", bytes[..(bytes.Length * 2 / 3)]);
        var ex = Assert.Throws<InvalidDataException>(() => OnnxImporter.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("not a valid ONNX model", ex.Message);
    }

    [Fact]
    public void Load_CorruptBytes_InvalidDataNamingFile()
    {
        var bytes = TinyModel();
        var rng = new Random(4);
        for (var i = 0; i < 40; i++)
        {
            bytes[rng.Next(bytes.Length / 4)] = (byte)rng.Next(256);
        }

        var path = Write("corrupt.onnx", bytes);
        var ex = Record.Exception(() => OnnxImporter.Load(path));
        Assert.IsType<InvalidDataException>(ex);
        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("text")]
    [InlineData("png")]
    public void Load_NonOnnxFile_InvalidDataNamingFile(string kind)
    {
        byte[] bytes = kind switch
        {
            "empty" => [],
            "text" => "this is not an ONNX model\n"u8.ToArray(),
            _ => CausalVision.Imaging.ImageDecoder.EncodePng(new CausalVision.Imaging.ImageBuffer(3, 4, 4)),
        };
        var path = Write(kind + ".onnx", bytes);
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_MissingFile_FileNotFound()
    {
        var path = Path.Combine(dir, "missing.onnx");
        var ex = Assert.Throws<FileNotFoundException>(() => OnnxImporter.Load(path));
        Assert.Contains(path, ex.Message);
    }
}
