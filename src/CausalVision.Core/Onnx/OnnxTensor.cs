// ONNX TensorProto (onnx/onnx.proto3): an initializer or a Constant's value.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Onnx;

/// <summary>A dense ONNX tensor read from a <c>TensorProto</c>: FLOAT, DOUBLE, INT32 and INT64 are kept; other types keep only their shape.</summary>
public sealed class OnnxTensor
{
    /// <summary>The ONNX <c>TensorProto.DataType</c> of 32-bit floats.</summary>
    public const int Float = 1;

    /// <summary>The ONNX <c>TensorProto.DataType</c> of 32-bit integers.</summary>
    public const int Int32 = 6;

    /// <summary>The ONNX <c>TensorProto.DataType</c> of 64-bit integers.</summary>
    public const int Int64 = 7;

    /// <summary>The ONNX <c>TensorProto.DataType</c> of 64-bit floats.</summary>
    public const int Double = 11;

    internal OnnxTensor(string name, int dataType, long[] dims, float[]? floats, long[]? int64s)
    {
        Name = name;
        DataType = dataType;
        Dims = dims;
        FloatData = floats;
        Int64Data = int64s;
    }

    /// <summary>Gets the tensor's name (an initializer's graph name; empty inside attributes).</summary>
    public string Name { get; }

    /// <summary>Gets the ONNX element type (<see cref="Float"/>, <see cref="Int64"/>, ...).</summary>
    public int DataType { get; }

    /// <summary>Gets the shape (empty for a scalar).</summary>
    public IReadOnlyList<long> Dims { get; }

    /// <summary>Gets the number of elements.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Gets the values of a FLOAT or DOUBLE tensor (doubles are narrowed); null for integer tensors.</summary>
    public float[]? FloatData { get; }

    /// <summary>Gets the values of an INT32 or INT64 tensor; null for floating-point tensors.</summary>
    public long[]? Int64Data { get; }

    /// <summary>Copies the values into a new float32 (floating-point data) or int64 (integer data) tensor.</summary>
    /// <returns>A new CPU tensor the caller owns.</returns>
    /// <exception cref="NotSupportedException">The element type is not FLOAT, DOUBLE, INT32 or INT64.</exception>
    public Tensor ToTensor()
    {
        var shape = Dims.ToArray();
        if (FloatData is { } f)
        {
            return torch.tensor(f, shape, torch.float32);
        }

        if (Int64Data is { } l)
        {
            return torch.tensor(l, shape, torch.int64);
        }

        throw new NotSupportedException($"ONNX tensor '{Name}' has element type {DataType}; only FLOAT (1), INT32 (6), INT64 (7) and DOUBLE (11) are supported.");
    }

    /// <summary>Parses a <c>TensorProto</c>.</summary>
    /// <param name="bytes">The encoded message.</param>
    /// <param name="source">The file name for error messages.</param>
    /// <returns>The tensor.</returns>
    internal static OnnxTensor Parse(ReadOnlySpan<byte> bytes, string source)
    {
        var reader = new ProtoReader(bytes, source);
        var dims = new List<long>();
        var floats = new List<float>();
        var longs = new List<long>();
        var doubles = new List<double>();
        var dataType = 0;
        var name = string.Empty;
        ReadOnlySpan<byte> raw = default;
        var hasRaw = false;
        var external = false;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    reader.ReadInt64s(wire, dims);
                    break;
                case 2:
                    reader.Expect(wire, 0, "TensorProto.data_type");
                    dataType = (int)reader.ReadInt64();
                    break;
                case 4:
                    reader.ReadFloats(wire, floats);
                    break;
                case 5:
                case 7:
                    reader.ReadInt64s(wire, longs);
                    break;
                case 8:
                    reader.Expect(wire, 2, "TensorProto.name");
                    name = reader.ReadString();
                    break;
                case 9:
                    reader.Expect(wire, 2, "TensorProto.raw_data");
                    raw = reader.ReadBytes();
                    hasRaw = true;
                    break;
                case 10:
                    if (wire == 1)
                    {
                        doubles.Add(BitConverter.Int64BitsToDouble((long)reader.ReadFixed64()));
                    }
                    else
                    {
                        reader.Expect(wire, 2, "TensorProto.double_data");
                        var packed = reader.ReadBytes();
                        for (var i = 0; i + 8 <= packed.Length; i += 8)
                        {
                            doubles.Add(System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(packed.Slice(i, 8)));
                        }
                    }

                    break;
                case 14:
                    reader.Expect(wire, 0, "TensorProto.data_location");
                    external |= reader.ReadVarint() == 1;
                    break;
                case 13:
                    external = true;
                    reader.Skip(wire);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        if (dims.Any(d => d < 0))
        {
            throw reader.Corrupt($"tensor '{name}' has a negative dimension [{string.Join(", ", dims)}]");
        }

        if (external)
        {
            throw new NotSupportedException($"ONNX tensor '{name}' in '{source}' stores its data in an external file; only models with embedded initializers are supported.");
        }

        var count = dims.Aggregate(1L, (a, d) => checked(a * d));
        float[]? f = null;
        long[]? l = null;
        switch (dataType)
        {
            case Float:
                f = hasRaw ? FromRaw<float>(raw, count, name, reader) : floats.ToArray();
                break;
            case Double:
                f = (hasRaw ? FromRaw<double>(raw, count, name, reader) : doubles.ToArray()).Select(d => (float)d).ToArray();
                break;
            case Int64:
                l = hasRaw ? FromRaw<long>(raw, count, name, reader) : longs.ToArray();
                break;
            case Int32:
                l = hasRaw ? FromRaw<int>(raw, count, name, reader).Select(v => (long)v).ToArray() : longs.ToArray();
                break;
            default:
                break;
        }

        var n = f?.LongLength ?? l?.LongLength ?? count;
        if (n != count)
        {
            throw reader.Corrupt($"tensor '{name}' of shape [{string.Join(", ", dims)}] holds {n} values, expected {count}");
        }

        return new OnnxTensor(name, dataType, dims.ToArray(), f, l);
    }

    private static T[] FromRaw<T>(ReadOnlySpan<byte> raw, long count, string name, ProtoReader reader)
        where T : unmanaged
    {
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (raw.Length != count * size)
        {
            throw reader.Corrupt($"tensor '{name}' has {raw.Length} raw bytes, expected {count * size} for {count} elements");
        }

        // ONNX stores raw_data little-endian, which is every platform .NET runs TorchSharp on.
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw).ToArray();
    }
}
