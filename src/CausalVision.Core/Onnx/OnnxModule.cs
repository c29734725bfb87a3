// A TorchSharp module imported from an ONNX graph (see OnnxImporter): the graph's nodes run in
// file order, parameterised layers are registered submodules named after their nodes, and constant
// inputs are registered buffers named after their initializers.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Onnx;

/// <summary>
/// An ONNX graph as a normal TorchSharp module: it can be saved (<c>save</c>/<c>state_dict</c>),
/// fine-tuned (Conv, BatchNormalization, Gemm/MatMul weights are parameters; BatchNormalization's
/// running statistics are buffers) and frozen (<c>requires_grad_(false)</c>, <c>eval()</c>).
/// </summary>
/// <remarks>
/// <para>State-dict keys are the ONNX node names (e.g. <c>Convolution249.weight</c>,
/// <c>BatchNormalization251.running_mean</c>) and the initializer names of constant operands (e.g.
/// <c>MeanImage</c>), with '.' replaced by '_'; <see cref="ParameterSources"/> maps each key back to
/// its ONNX initializer. The module is created in training mode, like every TorchSharp module; call
/// <c>eval()</c> to use the imported running statistics.</para>
/// <para>Shapes: the graph's single data input (any batch size; other sizes as the graph allows) ->
/// the graph's first output. <see cref="Forward(Tensor, IReadOnlyList{string})"/> returns any named
/// intermediate values.</para>
/// </remarks>
public sealed class OnnxModule : nn.Module<Tensor, Tensor>
{
    private readonly List<(OnnxNode Node, OnnxOp Op, string[] Inputs)> steps = [];
    private readonly Dictionary<string, string> constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> lastUse = new(StringComparer.Ordinal);
    private readonly List<nn.Module> layers = [];
    private readonly Dictionary<string, string> parameterSources = new(StringComparer.Ordinal);

    internal OnnxModule(OnnxModel model)
        : base(string.IsNullOrEmpty(model.Graph.Name) ? "onnx" : model.Graph.Name)
    {
        Source = model.Source;
        InputName = model.Graph.DataInputs[0].Name;
        InputShape = model.Graph.DataInputs[0].Shape;
        OutputNames = model.Graph.Outputs.Select(o => o.Name).ToArray();
    }

    /// <summary>Gets the model file the module was imported from.</summary>
    public string Source { get; }

    /// <summary>Gets the graph's data input name.</summary>
    public string InputName { get; }

    /// <summary>Gets the data input's declared shape (-1 for symbolic dimensions).</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <summary>Gets the graph's output names; <see cref="forward"/> returns the first.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Gets the names of every value the nodes produce, in graph order (for <see cref="Forward(Tensor, IReadOnlyList{string})"/>).</summary>
    public IReadOnlyList<string> ValueNames => steps.SelectMany(s => s.Node.Outputs).Where(o => o.Length > 0).ToArray();

    /// <summary>Gets the imported nodes in execution order.</summary>
    public IReadOnlyList<OnnxNode> Nodes => steps.Select(s => s.Node).ToArray();

    /// <summary>Gets, for each state-dict key, the ONNX initializer it was imported from.</summary>
    public IReadOnlyDictionary<string, string> ParameterSources => parameterSources;

    /// <summary>Runs the graph and returns its first output.</summary>
    /// <param name="input">The data input, e.g. images [B, C, H, W] (not disposed).</param>
    /// <returns>The first graph output, a new tensor.</returns>
    public override Tensor forward(Tensor input) => Forward(input, [OutputNames[0]])[OutputNames[0]];

    private void CheckMode()
    {
        if (training && FoldedBatchNorms > 0)
        {
            throw new InvalidOperationException($"This module's BatchNormalization layers were folded into its convolutions (inference only); it cannot run in training mode. Import the model again to fine-tune it.");
        }
    }

    /// <summary>Runs the graph as far as needed and returns the named values (graph outputs or intermediates).</summary>
    /// <param name="input">The data input (not disposed).</param>
    /// <param name="outputs">Value names from <see cref="ValueNames"/>, <see cref="OutputNames"/> or <see cref="InputName"/>.</param>
    /// <returns>The values by name, new tensors the caller owns.</returns>
    /// <exception cref="ArgumentException">A name is not a value of the graph.</exception>
    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyList<string> outputs)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(outputs);
        CheckMode();
        var wanted = new HashSet<string>(outputs, StringComparer.Ordinal);
        var produced = new HashSet<string>(ValueNames, StringComparer.Ordinal) { InputName };
        foreach (var name in wanted.Where(w => !produced.Contains(w)))
        {
            throw new ArgumentException($"'{name}' is not a value of ONNX graph '{Source}'.", nameof(outputs));
        }

        var lastStep = steps.FindLastIndex(s => s.Node.Outputs.Any(wanted.Contains));
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var owned = new HashSet<string>(StringComparer.Ordinal);
        var buffers = named_buffers(recurse: false).ToDictionary(b => b.name, b => b.buffer, StringComparer.Ordinal);
        foreach (var (value, key) in constants)
        {
            values[value] = buffers[key];
        }

        values[InputName] = input;
        if (ChannelsLast && input.dim() == 4)
        {
            using var nhwc = input.permute(0, 2, 3, 1);
            using var dense = nhwc.contiguous();
            values[InputName] = dense.permute(0, 3, 1, 2);
            owned.Add(InputName);
        }

        try
        {
            for (var i = 0; i <= lastStep; i++)
            {
                var (node, op, inputs) = steps[i];
                var args = inputs.Select(n => n.Length == 0 ? null : values[n]).ToArray();
                var results = op.Run(args);
                for (var k = 0; k < results.Length; k++)
                {
                    if (k < node.Outputs.Count && node.Outputs[k].Length > 0)
                    {
                        values[node.Outputs[k]] = results[k];
                        owned.Add(node.Outputs[k]);
                    }
                    else
                    {
                        results[k].Dispose();
                    }
                }

                // Free intermediates after their last reader (autograd keeps what backward needs).
                foreach (var name in inputs.Distinct())
                {
                    if (owned.Contains(name) && !wanted.Contains(name) && lastUse[name] == i)
                    {
                        values[name].Dispose();
                        owned.Remove(name);
                    }
                }
            }

            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var name in wanted)
            {
                result[name] = owned.Remove(name) ? values[name] : values[name].alias();
            }

            return result;
        }
        finally
        {
            foreach (var name in owned)
            {
                values[name].Dispose();
            }
        }
    }

    /// <summary>Gets a value indicating whether convolution weights and 4-D activations use the channels-last (NHWC) memory layout; see <see cref="UseChannelsLast"/>.</summary>
    public bool ChannelsLast { get; private set; }

    /// <summary>
    /// Switches to the channels-last (NHWC) memory layout: convolution weights are re-laid (same values,
    /// new parameter tensors) and each forward re-lays a 4-D input, so libtorch's oneDNN convolutions run
    /// without per-call layout conversions (on the imported ResNet-18 at batch 32, CPU, about 1.7x faster).
    /// Outputs keep NHWC strides (call <c>contiguous()</c> where a dense NCHW tensor is needed). Call it
    /// before creating an optimizer: the weight parameters are replaced.
    /// </summary>
    public void UseChannelsLast()
    {
        if (ChannelsLast)
        {
            return;
        }

        foreach (var (_, op, _) in steps)
        {
            if (op is ConvOp conv)
            {
                conv.ToChannelsLast();
            }
        }

        ChannelsLast = true;
    }

    /// <summary>Gets the number of BatchNormalization nodes folded into their convolutions by <see cref="FoldBatchNorm"/>.</summary>
    public int FoldedBatchNorms { get; private set; }

    /// <summary>
    /// Folds every BatchNormalization that reads only a Conv's output into that convolution, for inference:
    /// W' = W * g / sqrt(v + eps), b' = (b - m) * g / sqrt(v + eps) + beta. The folded BN layers stay
    /// registered (the state dict keeps its keys) but no longer run, so the module is inference-only
    /// afterwards: <see cref="forward"/> refuses training mode.
    /// </summary>
    /// <returns>The number of BN nodes folded.</returns>
    /// <exception cref="InvalidOperationException">The module is in training mode.</exception>
    public int FoldBatchNorm()
    {
        if (training)
        {
            throw new InvalidOperationException("FoldBatchNorm is for inference: call eval() first (folding uses the running statistics).");
        }

        var folded = 0;
        using var _ = no_grad();
        for (var i = 0; i + 1 < steps.Count; i++)
        {
            if (steps[i].Op is not ConvOp conv || steps[i].Node.Outputs.Count != 1)
            {
                continue;
            }

            var value = steps[i].Node.Outputs[0];
            var readers = steps.Where(s => s.Inputs.Contains(value)).ToList();
            var bnIndex = steps.FindIndex(s => s.Op is BatchNormOp && s.Inputs.Length > 0 && s.Inputs[0] == value);
            if (readers.Count != 1 || bnIndex < 0 || OutputNames.Contains(value))
            {
                continue;
            }

            var bn = ((BatchNormOp)steps[bnIndex].Op).Layer;
            conv.FoldScaleShift(bn);
            var bnNode = steps[bnIndex].Node;
            var renamed = new OnnxNode(steps[i].Node.Name, steps[i].Node.OpType, steps[i].Node.Domain, steps[i].Node.Inputs, bnNode.Outputs, steps[i].Node.Attributes);
            steps[i] = (renamed, conv, steps[i].Inputs);
            steps.RemoveAt(bnIndex);
            folded++;
        }

        lastUse.Clear();
        for (var i = 0; i < steps.Count; i++)
        {
            foreach (var name in steps[i].Inputs.Where(n => n.Length > 0))
            {
                lastUse[name] = i;
            }
        }

        FoldedBatchNorms += folded;
        return folded;
    }

    /// <summary>Adds a node's executable form (import time only).</summary>
    /// <param name="node">The node.</param>
    /// <param name="op">Its executable form.</param>
    /// <param name="dataInputs">How many leading inputs are read at run time (the rest were imported as weights); null for all.</param>
    internal void AddStep(OnnxNode node, OnnxOp op, int? dataInputs = null)
    {
        var index = steps.Count;
        var inputs = node.Inputs.Take(dataInputs ?? node.Inputs.Count).ToArray();
        steps.Add((node, op, inputs));
        foreach (var name in inputs.Where(n => n.Length > 0))
        {
            lastUse[name] = index;
        }
    }

    /// <summary>Registers a parameterised layer under a state-dict name (import time only).</summary>
    /// <typeparam name="T">The module type.</typeparam>
    /// <param name="name">The sanitized, unique name.</param>
    /// <param name="module">The layer.</param>
    /// <param name="sources">Parameter name -> ONNX initializer name.</param>
    /// <returns><paramref name="module"/>.</returns>
    internal T AddLayer<T>(string name, T module, IEnumerable<(string Parameter, string Initializer)> sources)
        where T : nn.Module
    {
        layers.Add(module);
        register_module(name, module);
        foreach (var (p, init) in sources)
        {
            parameterSources[$"{name}.{p}"] = init;
        }

        return module;
    }

    /// <summary>Registers a constant operand as a buffer (import time only).</summary>
    /// <param name="valueName">The graph value name.</param>
    /// <param name="key">The sanitized, unique buffer name.</param>
    /// <param name="tensor">The constant (ownership passes to the module).</param>
    internal void AddConstant(string valueName, string key, Tensor tensor)
    {
        register_buffer(key, tensor);
        constants[valueName] = key;
        parameterSources[key] = valueName;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var layer in layers)
            {
                layer.Dispose();
            }

            foreach (var (_, buffer) in named_buffers(recurse: false))
            {
                buffer.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
