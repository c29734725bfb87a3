// ONNX NodeProto (onnx/onnx.proto3): one operator application in the graph.
namespace CausalVision.Onnx;

/// <summary>An ONNX graph node: operator, inputs and outputs by value name, attributes by name.</summary>
public sealed class OnnxNode
{
    internal OnnxNode(string name, string opType, string domain, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IReadOnlyDictionary<string, OnnxAttribute> attributes)
    {
        Name = name;
        OpType = opType;
        Domain = domain;
        Inputs = inputs;
        Outputs = outputs;
        Attributes = attributes;
    }

    /// <summary>Gets the node name (may be empty in the file; see <see cref="DisplayName"/>).</summary>
    public string Name { get; }

    /// <summary>Gets the name used in messages and as the module name: <see cref="Name"/>, else the first output's name.</summary>
    public string DisplayName => Name.Length > 0 ? Name : Outputs.FirstOrDefault(o => o.Length > 0) ?? OpType;

    /// <summary>Gets the operator type (e.g. "Conv").</summary>
    public string OpType { get; }

    /// <summary>Gets the operator domain ("" or "ai.onnx" for the standard operators).</summary>
    public string Domain { get; }

    /// <summary>Gets the input value names ("" marks an omitted optional input).</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Gets the output value names.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Gets the attributes by name.</summary>
    public IReadOnlyDictionary<string, OnnxAttribute> Attributes { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{OpType} '{DisplayName}' ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";

    /// <summary>Parses a <c>NodeProto</c>.</summary>
    /// <param name="bytes">The encoded message.</param>
    /// <param name="source">The file name for error messages.</param>
    /// <returns>The node.</returns>
    internal static OnnxNode Parse(ReadOnlySpan<byte> bytes, string source)
    {
        var reader = new ProtoReader(bytes, source);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = string.Empty, op = string.Empty, domain = string.Empty;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    reader.Expect(wire, 2, "NodeProto.input");
                    inputs.Add(reader.ReadString());
                    break;
                case 2:
                    reader.Expect(wire, 2, "NodeProto.output");
                    outputs.Add(reader.ReadString());
                    break;
                case 3:
                    reader.Expect(wire, 2, "NodeProto.name");
                    name = reader.ReadString();
                    break;
                case 4:
                    reader.Expect(wire, 2, "NodeProto.op_type");
                    op = reader.ReadString();
                    break;
                case 5:
                    reader.Expect(wire, 2, "NodeProto.attribute");
                    var a = OnnxAttribute.Parse(reader.ReadBytes(), source);
                    if (!attributes.TryAdd(a.Name, a))
                    {
                        throw reader.Corrupt($"node '{name}' repeats attribute '{a.Name}'");
                    }

                    break;
                case 7:
                    reader.Expect(wire, 2, "NodeProto.domain");
                    domain = reader.ReadString();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        if (op.Length == 0)
        {
            throw reader.Corrupt($"node '{name}' has no op_type");
        }

        return new OnnxNode(name, op, domain, inputs, outputs, attributes);
    }
}
