// Builds a TorchSharp module from an ONNX graph of convolutional-backbone operators. Operator
// semantics follow onnx.ai/onnx/operators (Conv, BatchNormalization, Relu, Add/Sub/Mul/Div,
// MaxPool, AveragePool, GlobalAveragePool, Gemm, MatMul, Flatten, Concat, Reshape, Split, Identity,
// Constant). The whole graph is checked before the first layer is built, so an unsupported node
// leaves nothing half-built.
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Onnx;

/// <summary>Imports ONNX models of convolutional backbones as TorchSharp modules (<see cref="OnnxModule"/>).</summary>
/// <remarks>
/// Supported: Conv (2-D, any pads including asymmetric ones, groups, dilations), BatchNormalization
/// (inference statistics imported as buffers, trainable afterwards), Relu, Add, Sub, Mul, Div (numpy
/// broadcasting), MaxPool and AveragePool (2-D, pads, count_include_pad), GlobalAveragePool, Gemm
/// (transA = 0, constant B), MatMul, Flatten, Concat, Reshape (constant shape), Split, Identity and
/// Constant, in the standard domain, with exactly one data input and float32 weights. Conv, pools and
/// BatchNormalization are the 2-D (4-D tensor) forms.
/// Anything else raises one <see cref="OnnxImportException"/> naming the node, op and attribute.
/// </remarks>
public static class OnnxImporter
{
    private static readonly Dictionary<string, string[]> Attributes = new(StringComparer.Ordinal)
    {
        ["Conv"] = ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"],
        ["BatchNormalization"] = ["epsilon", "momentum", "spatial", "is_test", "training_mode"],
        ["Relu"] = [],
        ["Add"] = [],
        ["Sub"] = [],
        ["Mul"] = [],
        ["Div"] = [],
        ["MaxPool"] = ["kernel_shape", "strides", "pads", "auto_pad", "storage_order", "ceil_mode", "dilations"],
        ["AveragePool"] = ["kernel_shape", "strides", "pads", "auto_pad", "count_include_pad", "ceil_mode"],
        ["GlobalAveragePool"] = [],
        ["Gemm"] = ["alpha", "beta", "transA", "transB"],
        ["MatMul"] = [],
        ["Flatten"] = ["axis"],
        ["Concat"] = ["axis"],
        ["Reshape"] = ["allowzero", "shape"],
        ["Split"] = ["axis", "split"],
        ["Identity"] = [],
        ["Constant"] = ["value"],
    };

    /// <summary>Gets the supported operator types.</summary>
    public static IReadOnlyCollection<string> SupportedOps => Attributes.Keys;

    /// <summary>Reads an ONNX file and imports its graph.</summary>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <returns>The module (training mode; call <c>eval()</c> for inference); the caller disposes it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or not ONNX.</exception>
    /// <exception cref="OnnxImportException">The graph uses an unsupported op, attribute or attribute value.</exception>
    public static OnnxModule Load(string path) => Import(OnnxModel.Load(path));

    /// <summary>Imports a parsed ONNX model.</summary>
    /// <param name="model">The model.</param>
    /// <returns>The module (training mode); the caller disposes it.</returns>
    /// <exception cref="OnnxImportException">The graph uses an unsupported op, attribute or attribute value.</exception>
    public static OnnxModule Import(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var source = model.Source;
        var dataInputs = graph.DataInputs;
        if (dataInputs.Count != 1)
        {
            throw new OnnxImportException(source, graph.Name, "graph", null, $"the importer needs exactly one data input; the graph has {dataInputs.Count} ({string.Join(", ", dataInputs.Select(i => i.Name))}).");
        }

        if (graph.Outputs.Count == 0)
        {
            throw new OnnxImportException(source, graph.Name, "graph", null, "the graph declares no outputs.");
        }

        // Pass 1: check every node and plan its construction; nothing is allocated yet.
        var context = new Context(model);
        var plans = graph.Nodes.Select(context.Plan).ToList();
        foreach (var output in graph.Outputs.Where(o => !context.Defined.Contains(o.Name)))
        {
            throw new OnnxImportException(source, graph.Name, "graph", null, $"output '{output.Name}' is produced by no node.");
        }

        // Pass 2: build.
        var module = new OnnxModule(model);
        try
        {
            foreach (var plan in plans)
            {
                plan(module);
            }

            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    private sealed class Context(OnnxModel model)
    {
        private readonly OnnxGraph graph = model.Graph;
        private readonly HashSet<string> usedNames = new(StringComparer.Ordinal);
        private readonly Dictionary<string, OnnxTensor> constantValues = new(model.Graph.Initializers, StringComparer.Ordinal);
        private readonly HashSet<string> registeredConstants = new(StringComparer.Ordinal);

        public HashSet<string> Defined { get; } = new(model.Graph.DataInputs.Select(i => i.Name), StringComparer.Ordinal);

        public Action<OnnxModule> Plan(OnnxNode node)
        {
            if (node.Domain is not ("" or "ai.onnx"))
            {
                throw Error(node, null, $"domain '{node.Domain}' is not supported; only the standard ONNX operators are.");
            }

            if (!Attributes.TryGetValue(node.OpType, out var allowed))
            {
                throw Error(node, null, $"the operator is not supported. Supported operators: {string.Join(", ", Attributes.Keys)}.");
            }

            foreach (var a in node.Attributes.Keys.Where(a => !allowed.Contains(a)))
            {
                throw Error(node, a, $"the attribute is not supported for {node.OpType}. Supported attributes: {(allowed.Length == 0 ? "none" : string.Join(", ", allowed))}.");
            }

            foreach (var input in node.Inputs.Where(i => i.Length > 0 && !Defined.Contains(i) && !constantValues.ContainsKey(i)))
            {
                throw Error(node, null, $"input '{input}' is neither a graph input, an initializer nor the output of an earlier node (the graph must be topologically sorted).");
            }

            var plan = node.OpType switch
            {
                "Conv" => PlanConv(node),
                "BatchNormalization" => PlanBatchNorm(node),
                "MaxPool" or "AveragePool" => PlanPool(node),
                "Gemm" => PlanGemm(node),
                "MatMul" => PlanMatMul(node),
                "Reshape" => PlanReshape(node),
                "Split" => PlanSplit(node),
                "Constant" => PlanConstant(node),
                _ => PlanFunction(node),
            };
            foreach (var o in node.Outputs.Where(o => o.Length > 0 && node.OpType != "Constant"))
            {
                Defined.Add(o);
            }

            return plan;
        }

        private Action<OnnxModule> PlanConv(OnnxNode node)
        {
            RequireInputs(node, 2, 3);
            var w = Weight(node, 1, "W", rank: 4);
            var b = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? Weight(node, 2, "B", rank: 1) : null;
            var kernel = Ints(node, "kernel_shape", [w.Dims[2], w.Dims[3]], 2);
            if (kernel[0] != w.Dims[2] || kernel[1] != w.Dims[3])
            {
                throw Error(node, "kernel_shape", $"[{string.Join(", ", kernel)}] disagrees with the weight shape [{string.Join(", ", w.Dims)}].");
            }

            var strides = Ints(node, "strides", [1, 1], 2);
            var dilations = Ints(node, "dilations", [1, 1], 2);
            var pads = Pads(node);
            var group = Int(node, "group", 1);
            if (group < 1 || w.Dims[0] % group != 0)
            {
                throw Error(node, "group", $"group {group} does not divide the {w.Dims[0]} output channels.");
            }

            if (b is not null && b.Dims[0] != w.Dims[0])
            {
                throw Error(node, null, $"bias '{b.Name}' has {b.Dims[0]} values for {w.Dims[0]} output channels.");
            }

            var name = UniqueName(node);
            return module =>
            {
                var conv = nn.Conv2d(w.Dims[1] * group, w.Dims[0], (kernel[0], kernel[1]), stride: (strides[0], strides[1]), padding: (pads[0], pads[1]), dilation: (dilations[0], dilations[1]), groups: group, bias: b is not null);
                module.AddLayer(name, conv, b is null ? [("weight", w.Name)] : [("weight", w.Name), ("bias", b.Name)]);
                Copy(conv.weight!, w);
                if (b is not null)
                {
                    Copy(conv.bias!, b);
                }

                module.AddStep(node, new ConvOp(conv, pads, kernel, strides, dilations), 1);
            };
        }

        private Action<OnnxModule> PlanBatchNorm(OnnxNode node)
        {
            RequireInputs(node, 5, 5);
            if (node.Outputs.Count > 1 && node.Outputs.Skip(1).Any(o => o.Length > 0))
            {
                throw Error(node, null, "training-mode outputs (running mean/var) are not supported; export the model for inference.");
            }

            if (Int(node, "spatial", 1) != 1)
            {
                throw Error(node, "spatial", "spatial = 0 (per-activation statistics) is not supported.");
            }

            if (Int(node, "training_mode", 0) != 0)
            {
                throw Error(node, "training_mode", "training_mode = 1 is not supported; export the model for inference.");
            }

            var scale = Weight(node, 1, "scale", rank: 1);
            var bias = Weight(node, 2, "B", rank: 1);
            var mean = Weight(node, 3, "mean", rank: 1);
            var variance = Weight(node, 4, "var", rank: 1);
            var c = scale.Dims[0];
            if (new[] { bias, mean, variance }.Any(t => t.Dims[0] != c))
            {
                throw Error(node, null, "scale, B, mean and var have different lengths.");
            }

            var eps = Float(node, "epsilon", 1e-5f);
            var momentum = Float(node, "momentum", 0.9f);
            var name = UniqueName(node);
            return module =>
            {
                // ONNX: running = running * momentum + batch * (1 - momentum); torch uses the complement.
                var bn = nn.BatchNorm2d(c, eps: eps, momentum: 1.0 - momentum);
                module.AddLayer(name, bn, [("weight", scale.Name), ("bias", bias.Name), ("running_mean", mean.Name), ("running_var", variance.Name)]);
                Copy(bn.weight!, scale);
                Copy(bn.bias!, bias);
                Copy(bn.running_mean!, mean);
                Copy(bn.running_var!, variance);
                module.AddStep(node, new BatchNormOp(bn), 1);
            };
        }

        private Action<OnnxModule> PlanPool(OnnxNode node)
        {
            RequireInputs(node, 1, 1);
            var max = node.OpType == "MaxPool";
            if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
            {
                throw Error(node, null, "the Indices output is not supported.");
            }

            if (!node.Attributes.ContainsKey("kernel_shape"))
            {
                throw Error(node, "kernel_shape", "the attribute is required.");
            }

            var kernel = Ints(node, "kernel_shape", [], 2);
            var strides = Ints(node, "strides", [1, 1], 2);
            var pads = Pads(node);
            if (Int(node, "ceil_mode", 0) != 0)
            {
                throw Error(node, "ceil_mode", "ceil_mode = 1 is not supported.");
            }

            if (Int(node, "storage_order", 0) != 0)
            {
                throw Error(node, "storage_order", "storage_order = 1 is not supported.");
            }

            if (Ints(node, "dilations", [1, 1], 2).Any(d => d != 1))
            {
                throw Error(node, "dilations", "dilated pooling is not supported.");
            }

            var countIncludePad = Int(node, "count_include_pad", 0) != 0;
            return module => module.AddStep(node, new PoolOp(max, pads, kernel, strides, countIncludePad));
        }

        private Action<OnnxModule> PlanGemm(OnnxNode node)
        {
            RequireInputs(node, 2, 3);
            if (Int(node, "transA", 0) != 0)
            {
                throw Error(node, "transA", "transA = 1 is not supported.");
            }

            var transB = Int(node, "transB", 0) != 0;
            var alpha = Float(node, "alpha", 1f);
            var beta = Float(node, "beta", 1f);
            var b = Weight(node, 1, "B", rank: 2);
            var (n, k) = transB ? (b.Dims[0], b.Dims[1]) : (b.Dims[1], b.Dims[0]);
            OnnxTensor? c = null;
            if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
            {
                c = Weight(node, 2, "C", rank: -1);
                if (c.ElementCount != n || c.Dims.Count > 2 || (c.Dims.Count == 2 && c.Dims[0] != 1))
                {
                    throw Error(node, null, $"C '{c.Name}' of shape [{string.Join(", ", c.Dims)}] is not a bias of {n} values; only a per-output bias is supported.");
                }
            }

            var name = UniqueName(node);
            return module =>
            {
                var linear = nn.Linear(k, n, hasBias: c is not null);
                module.AddLayer(name, linear, c is null ? [("weight", b.Name)] : [("weight", b.Name), ("bias", c.Name)]);
                using (no_grad())
                {
                    using var wt = b.ToTensor();
                    using var oriented = transB ? wt.alias() : wt.t();
                    linear.weight!.copy_(oriented).mul_(alpha);
                    if (c is not null)
                    {
                        using var bias = c.ToTensor();
                        linear.bias!.copy_(bias.reshape(n)).mul_(beta);
                    }
                }

                module.AddStep(node, new LinearOp(linear), 1);
            };
        }

        private Action<OnnxModule> PlanMatMul(OnnxNode node)
        {
            RequireInputs(node, 2, 2);
            if (!constantValues.TryGetValue(node.Inputs[1], out var b) || b.Dims.Count != 2 || b.FloatData is null)
            {
                return PlanFunction(node);
            }

            var name = UniqueName(node);
            return module =>
            {
                var linear = nn.Linear(b.Dims[0], b.Dims[1], hasBias: false);
                module.AddLayer(name, linear, [("weight", b.Name)]);
                using (no_grad())
                {
                    using var wt = b.ToTensor();
                    using var transposed = wt.t();
                    linear.weight!.copy_(transposed);
                }

                module.AddStep(node, new LinearOp(linear), 1);
            };
        }

        private Action<OnnxModule> PlanReshape(OnnxNode node)
        {
            if (Int(node, "allowzero", 0) != 0)
            {
                throw Error(node, "allowzero", "allowzero = 1 is not supported.");
            }

            long[] shape;
            if (node.Attributes.ContainsKey("shape"))
            {
                RequireInputs(node, 1, 1);
                shape = Ints(node, "shape", [], -1);
            }
            else
            {
                RequireInputs(node, 2, 2);
                if (!constantValues.TryGetValue(node.Inputs[1], out var s) || s.Int64Data is null)
                {
                    throw Error(node, null, $"the shape input '{node.Inputs[1]}' must be a constant int64 tensor (an initializer or a Constant).");
                }

                shape = s.Int64Data;
            }

            return module => module.AddStep(node, new FunctionOp(inputs =>
            {
                var x = inputs[0]!;
                var target = shape.Select((d, i) => d == 0 ? x.shape[i] : d).ToArray();
                return [x.reshape(target)];
            }), 1);
        }

        private Action<OnnxModule> PlanSplit(OnnxNode node)
        {
            RequireInputs(node, 1, 2);
            var axis = Int(node, "axis", 0);
            long[]? sizes = node.Attributes.ContainsKey("split") ? Ints(node, "split", [], -1) : null;
            if (node.Inputs.Count > 1 && node.Inputs[1].Length > 0)
            {
                if (!constantValues.TryGetValue(node.Inputs[1], out var s) || s.Int64Data is null)
                {
                    throw Error(node, null, $"the split input '{node.Inputs[1]}' must be a constant int64 tensor.");
                }

                sizes = s.Int64Data;
            }

            var count = node.Outputs.Count;
            return module => module.AddStep(node, new FunctionOp(inputs =>
            {
                var x = inputs[0]!;
                var dim = axis < 0 ? axis + x.dim() : axis;
                var parts = sizes ?? Enumerable.Repeat(x.shape[dim] / count, count).ToArray();
                return x.split(parts, dim).Select(p => p.contiguous()).ToArray();
            }), 1);
        }

        private Action<OnnxModule> PlanConstant(OnnxNode node)
        {
            if (!node.Attributes.TryGetValue("value", out var value) || value.Tensor is null)
            {
                throw Error(node, "value", "a Constant needs a dense tensor 'value'.");
            }

            var tensor = value.Tensor;
            if (tensor.FloatData is null && tensor.Int64Data is null)
            {
                throw Error(node, "value", $"element type {tensor.DataType} is not supported.");
            }

            constantValues[node.Outputs[0]] = tensor;
            return _ => { };
        }

        private Action<OnnxModule> PlanFunction(OnnxNode node)
        {
            Func<IReadOnlyList<Tensor?>, Tensor[]> run;
            switch (node.OpType)
            {
                case "Relu":
                    RequireInputs(node, 1, 1);
                    run = i => [nn.functional.relu(i[0]!)];
                    break;
                case "Identity":
                    RequireInputs(node, 1, 1);
                    run = i => [i[0]!.alias()];
                    break;
                case "Add":
                    RequireInputs(node, 2, 2);
                    run = i => [ScalarSafe.Add(i[0]!, i[1]!)];
                    break;
                case "Sub":
                    RequireInputs(node, 2, 2);
                    run = i => [i[0]!.sub(i[1]!)];
                    break;
                case "Mul":
                    RequireInputs(node, 2, 2);
                    run = i => [i[0]!.mul(i[1]!)];
                    break;
                case "Div":
                    RequireInputs(node, 2, 2);
                    run = i => [i[0]!.div(i[1]!)];
                    break;
                case "MatMul":
                    run = i => [i[0]!.matmul(i[1]!)];
                    break;
                case "GlobalAveragePool":
                    RequireInputs(node, 1, 1);
                    run = i => [i[0]!.mean(Enumerable.Range(2, (int)i[0]!.dim() - 2).Select(d => (long)d).ToArray(), keepdim: true)];
                    break;
                case "Flatten":
                    RequireInputs(node, 1, 1);
                    var axis = Int(node, "axis", 1);
                    run = i =>
                    {
                        var x = i[0]!;
                        var a = axis < 0 ? axis + x.dim() : axis;
                        var rows = x.shape.Take((int)a).Aggregate(1L, (p, d) => p * d);
                        return [x.reshape(rows, -1)];
                    };
                    break;
                case "Concat":
                    if (!node.Attributes.ContainsKey("axis"))
                    {
                        throw Error(node, "axis", "the attribute is required.");
                    }

                    var catAxis = Int(node, "axis", 1);
                    run = i => [torch.cat(i.Select(t => t!).ToArray(), catAxis)];
                    break;
                default:
                    throw Error(node, null, "the operator is not supported.");
            }

            // Constant operands (e.g. a mean image) become buffers named after their initializer.
            var constantInputs = node.Inputs.Where(i => i.Length > 0 && constantValues.ContainsKey(i) && !Defined.Contains(i)).Distinct().ToList();
            foreach (var input in constantInputs.Where(i => constantValues[i].FloatData is null && constantValues[i].Int64Data is null))
            {
                throw Error(node, null, $"constant input '{input}' has unsupported element type {constantValues[input].DataType}.");
            }

            var keys = constantInputs.Where(registeredConstants.Add).Select(i => (Value: i, Key: Unique(i))).ToList();
            return module =>
            {
                foreach (var (value, key) in keys)
                {
                    module.AddConstant(value, key, constantValues[value].ToTensor());
                }

                module.AddStep(node, new FunctionOp(run));
            };
        }

        private OnnxTensor Weight(OnnxNode node, int index, string role, int rank)
        {
            var name = node.Inputs[index];
            if (!constantValues.TryGetValue(name, out var t))
            {
                throw Error(node, null, $"input {role} ('{name}') must be an initializer; computed weights are not supported.");
            }

            if (t.FloatData is null)
            {
                throw Error(node, null, $"input {role} ('{name}') has element type {t.DataType}; weights must be FLOAT or DOUBLE.");
            }

            if (rank >= 0 && t.Dims.Count != rank)
            {
                throw Error(node, null, $"input {role} ('{name}') has shape [{string.Join(", ", t.Dims)}]; expected rank {rank}.");
            }

            return t;
        }

        private long[] Pads(OnnxNode node)
        {
            var autoPad = node.Attributes.TryGetValue("auto_pad", out var a) ? a.String : "NOTSET";
            if (autoPad is not ("NOTSET" or "VALID" or ""))
            {
                throw Error(node, "auto_pad", $"'{autoPad}' is not supported; export with explicit pads (auto_pad NOTSET or VALID).");
            }

            var pads = Ints(node, "pads", [0, 0, 0, 0], 4);
            if (pads.Any(p => p < 0))
            {
                throw Error(node, "pads", "negative pads are not supported.");
            }

            return autoPad == "VALID" ? [0, 0, 0, 0] : pads;
        }

        private long[] Ints(OnnxNode node, string name, long[] fallback, int length)
        {
            if (!node.Attributes.TryGetValue(name, out var a))
            {
                return fallback;
            }

            if (a.Type != 7)
            {
                throw Error(node, name, $"expected an INTS attribute, got type {a.Type}.");
            }

            if (length >= 0 && a.Ints.Count != length)
            {
                throw Error(node, name, $"[{string.Join(", ", a.Ints)}] has {a.Ints.Count} values; only 2-D operators ({length} values) are supported.");
            }

            return a.Ints.ToArray();
        }

        private long Int(OnnxNode node, string name, long fallback)
        {
            if (!node.Attributes.TryGetValue(name, out var a))
            {
                return fallback;
            }

            return a.Type == 2 ? a.Int : throw Error(node, name, $"expected an INT attribute, got type {a.Type}.");
        }

        private float Float(OnnxNode node, string name, float fallback)
        {
            if (!node.Attributes.TryGetValue(name, out var a))
            {
                return fallback;
            }

            return a.Type == 1 ? a.Float : throw Error(node, name, $"expected a FLOAT attribute, got type {a.Type}.");
        }

        private void RequireInputs(OnnxNode node, int min, int max)
        {
            var n = node.Inputs.Count;
            while (n > 0 && node.Inputs[n - 1].Length == 0)
            {
                n--;
            }

            if (n < min || n > max || node.Inputs.Take(min).Any(i => i.Length == 0))
            {
                throw Error(node, null, $"expected {(min == max ? $"{min}" : $"{min} to {max}")} inputs, got {n}.");
            }
        }

        private string UniqueName(OnnxNode node) => Unique(node.DisplayName);

        private string Unique(string raw)
        {
            var name = new string(raw.Select(c => c == '.' ? '_' : c).ToArray());
            if (name.Length == 0)
            {
                name = "node";
            }

            var candidate = name;
            for (var i = 1; !usedNames.Add(candidate); i++)
            {
                candidate = $"{name}_{i}";
            }

            return candidate;
        }

        private OnnxImportException Error(OnnxNode node, string? attribute, string detail) =>
            new(model.Source, node.DisplayName, node.OpType, attribute, detail);

        private static void Copy(Tensor target, OnnxTensor source)
        {
            using var _ = no_grad();
            using var t = source.ToTensor();
            target.copy_(t.reshape(target.shape));
        }
    }
}
