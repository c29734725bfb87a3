// ONNX ValueInfoProto (onnx/onnx.proto3): a graph input or output with its tensor type.
namespace CausalVision.Onnx;

/// <summary>A graph input or output: name, element type and shape (-1 for a symbolic or unknown dimension).</summary>
public sealed class OnnxValueInfo
{
    internal OnnxValueInfo(string name, int elementType, IReadOnlyList<long> shape)
    {
        Name = name;
        ElementType = elementType;
        Shape = shape;
    }

    /// <summary>Gets the value name.</summary>
    public string Name { get; }

    /// <summary>Gets the ONNX element type (1 for float32); 0 when not declared.</summary>
    public int ElementType { get; }

    /// <summary>Gets the declared shape; -1 marks a symbolic or unknown dimension; empty when not declared.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";

    /// <summary>Parses a <c>ValueInfoProto</c>.</summary>
    /// <param name="bytes">The encoded message.</param>
    /// <param name="source">The file name for error messages.</param>
    /// <returns>The value info.</returns>
    internal static OnnxValueInfo Parse(ReadOnlySpan<byte> bytes, string source)
    {
        var reader = new ProtoReader(bytes, source);
        var name = string.Empty;
        var elementType = 0;
        var shape = new List<long>();
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1)
            {
                reader.Expect(wire, 2, "ValueInfoProto.name");
                name = reader.ReadString();
            }
            else if (field == 2)
            {
                reader.Expect(wire, 2, "ValueInfoProto.type");
                var type = new ProtoReader(reader.ReadBytes(), source);
                while (!type.AtEnd)
                {
                    var (tf, tw) = type.ReadTag();
                    if (tf == 1 && tw == 2)
                    {
                        ReadTensorType(new ProtoReader(type.ReadBytes(), source), source, ref elementType, shape);
                    }
                    else
                    {
                        type.Skip(tw);
                    }
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return new OnnxValueInfo(name, elementType, shape);
    }

    private static void ReadTensorType(ProtoReader reader, string source, ref int elementType, List<long> shape)
    {
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 0)
            {
                elementType = (int)reader.ReadInt64();
            }
            else if (field == 2 && wire == 2)
            {
                var dims = new ProtoReader(reader.ReadBytes(), source);
                while (!dims.AtEnd)
                {
                    var (df, dw) = dims.ReadTag();
                    if (df != 1 || dw != 2)
                    {
                        dims.Skip(dw);
                        continue;
                    }

                    var dim = new ProtoReader(dims.ReadBytes(), source);
                    var value = -1L;
                    while (!dim.AtEnd)
                    {
                        var (f, w) = dim.ReadTag();
                        if (f == 1 && w == 0)
                        {
                            value = dim.ReadInt64();
                        }
                        else
                        {
                            dim.Skip(w);
                        }
                    }

                    shape.Add(value);
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }
    }
}
