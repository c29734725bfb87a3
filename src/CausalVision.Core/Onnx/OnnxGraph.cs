// ONNX GraphProto (onnx/onnx.proto3): nodes in topological order, initializers, inputs and outputs.
namespace CausalVision.Onnx;

/// <summary>An ONNX graph: nodes (topologically sorted, as the format requires), initializers, inputs and outputs.</summary>
public sealed class OnnxGraph
{
    internal OnnxGraph(string name, IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, OnnxTensor> initializers, IReadOnlyList<OnnxValueInfo> inputs, IReadOnlyList<OnnxValueInfo> outputs)
    {
        Name = name;
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Gets the graph name.</summary>
    public string Name { get; }

    /// <summary>Gets the nodes in file order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Gets the initializers (the weights) by name.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }

    /// <summary>Gets the declared inputs (older files also list the initializers here).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>Gets the inputs a caller feeds: <see cref="Inputs"/> without the initializers.</summary>
    public IReadOnlyList<OnnxValueInfo> DataInputs => Inputs.Where(i => !Initializers.ContainsKey(i.Name)).ToArray();

    /// <summary>Gets the declared outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>Parses a <c>GraphProto</c>.</summary>
    /// <param name="bytes">The encoded message.</param>
    /// <param name="source">The file name for error messages.</param>
    /// <returns>The graph.</returns>
    internal static OnnxGraph Parse(ReadOnlySpan<byte> bytes, string source)
    {
        var reader = new ProtoReader(bytes, source);
        var name = string.Empty;
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    reader.Expect(wire, 2, "GraphProto.node");
                    nodes.Add(OnnxNode.Parse(reader.ReadBytes(), source));
                    break;
                case 2:
                    reader.Expect(wire, 2, "GraphProto.name");
                    name = reader.ReadString();
                    break;
                case 5:
                    reader.Expect(wire, 2, "GraphProto.initializer");
                    var t = OnnxTensor.Parse(reader.ReadBytes(), source);
                    if (t.Name.Length == 0 || !initializers.TryAdd(t.Name, t))
                    {
                        throw reader.Corrupt($"initializer '{t.Name}' is unnamed or repeated");
                    }

                    break;
                case 11:
                    reader.Expect(wire, 2, "GraphProto.input");
                    inputs.Add(OnnxValueInfo.Parse(reader.ReadBytes(), source));
                    break;
                case 12:
                    reader.Expect(wire, 2, "GraphProto.output");
                    outputs.Add(OnnxValueInfo.Parse(reader.ReadBytes(), source));
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return new OnnxGraph(name, nodes, initializers, inputs, outputs);
    }
}
