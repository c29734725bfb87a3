// ONNX AttributeProto (onnx/onnx.proto3): a node's named constant argument.
namespace CausalVision.Onnx;

/// <summary>An ONNX node attribute. Scalar, list and tensor attributes keep their values; graph and sparse attributes keep only their type.</summary>
public sealed class OnnxAttribute
{
    internal OnnxAttribute(string name, int type, float f, long i, string s, OnnxTensor? tensor, IReadOnlyList<float> floats, IReadOnlyList<long> ints)
    {
        Name = name;
        Type = type;
        Float = f;
        Int = i;
        String = s;
        Tensor = tensor;
        Floats = floats;
        Ints = ints;
    }

    /// <summary>Gets the attribute name.</summary>
    public string Name { get; }

    /// <summary>Gets the ONNX <c>AttributeType</c> (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH, 6 FLOATS, 7 INTS, ...); 0 when the file left it out.</summary>
    public int Type { get; }

    /// <summary>Gets the FLOAT value.</summary>
    public float Float { get; }

    /// <summary>Gets the INT value.</summary>
    public long Int { get; }

    /// <summary>Gets the STRING value (UTF-8 decoded).</summary>
    public string String { get; }

    /// <summary>Gets the TENSOR value; null for other types.</summary>
    public OnnxTensor? Tensor { get; }

    /// <summary>Gets the FLOATS values.</summary>
    public IReadOnlyList<float> Floats { get; }

    /// <summary>Gets the INTS values.</summary>
    public IReadOnlyList<long> Ints { get; }

    /// <summary>Parses an <c>AttributeProto</c>.</summary>
    /// <param name="bytes">The encoded message.</param>
    /// <param name="source">The file name for error messages.</param>
    /// <returns>The attribute.</returns>
    internal static OnnxAttribute Parse(ReadOnlySpan<byte> bytes, string source)
    {
        var reader = new ProtoReader(bytes, source);
        string name = string.Empty, s = string.Empty;
        var type = 0;
        float f = 0;
        long i = 0;
        OnnxTensor? t = null;
        var floats = new List<float>();
        var ints = new List<long>();
        var inferred = 0;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    reader.Expect(wire, 2, "AttributeProto.name");
                    name = reader.ReadString();
                    break;
                case 2:
                    reader.Expect(wire, 5, "AttributeProto.f");
                    f = reader.ReadFloat();
                    inferred = 1;
                    break;
                case 3:
                    reader.Expect(wire, 0, "AttributeProto.i");
                    i = reader.ReadInt64();
                    inferred = 2;
                    break;
                case 4:
                    reader.Expect(wire, 2, "AttributeProto.s");
                    s = reader.ReadString();
                    inferred = 3;
                    break;
                case 5:
                    reader.Expect(wire, 2, "AttributeProto.t");
                    t = OnnxTensor.Parse(reader.ReadBytes(), source);
                    inferred = 4;
                    break;
                case 7:
                    reader.ReadFloats(wire, floats);
                    inferred = 6;
                    break;
                case 8:
                    reader.ReadInt64s(wire, ints);
                    inferred = 7;
                    break;
                case 20:
                    reader.Expect(wire, 0, "AttributeProto.type");
                    type = (int)reader.ReadInt64();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        if (name.Length == 0)
        {
            throw reader.Corrupt("an attribute has no name");
        }

        // IR version 1 files may leave the type out; infer it from the field that was set.
        return new OnnxAttribute(name, type != 0 ? type : inferred, f, i, s, t, floats, ints);
    }
}
