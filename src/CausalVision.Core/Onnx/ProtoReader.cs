// A minimal reader of the protocol-buffers wire format (varint, 64-bit, length-delimited, 32-bit):
// just enough to walk ONNX's ModelProto with full control over the error messages.
namespace CausalVision.Onnx;

/// <summary>Reads protocol-buffers fields from a byte range; every malformation throws <see cref="InvalidDataException"/>.</summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> data;
    private readonly string source;
    private int position;

    /// <summary>Initializes a new instance of the <see cref="ProtoReader"/> struct.</summary>
    /// <param name="data">The encoded message.</param>
    /// <param name="source">The file name used in error messages.</param>
    public ProtoReader(ReadOnlySpan<byte> data, string source)
    {
        this.data = data;
        this.source = source;
        position = 0;
    }

    /// <summary>Gets a value indicating whether the whole range has been read.</summary>
    public readonly bool AtEnd => position >= data.Length;

    /// <summary>Reads the next field's tag.</summary>
    /// <returns>The field number and wire type.</returns>
    public (int Field, int WireType) ReadTag()
    {
        var tag = ReadVarint();
        var field = tag >> 3;
        var wire = (int)(tag & 7);
        if (field == 0 || field > int.MaxValue || wire is 3 or 4 or 6 or 7)
        {
            throw Corrupt($"invalid field tag {tag}");
        }

        return ((int)field, wire);
    }

    /// <summary>Reads a base-128 varint.</summary>
    /// <returns>The value.</returns>
    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw Corrupt("truncated varint");
            }

            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw Corrupt("varint longer than 10 bytes");
    }

    /// <summary>Reads a varint as a signed 64-bit integer (two's complement, as protobuf's int64).</summary>
    /// <returns>The value.</returns>
    public long ReadInt64() => unchecked((long)ReadVarint());

    /// <summary>Reads a little-endian 32-bit float.</summary>
    /// <returns>The value.</returns>
    public float ReadFloat() => BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(Take(4)));

    /// <summary>Reads a little-endian 64-bit fixed-width value.</summary>
    /// <returns>The value.</returns>
    public ulong ReadFixed64() => System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads a length-delimited field's bytes.</summary>
    /// <returns>The bytes (a slice of the input).</returns>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(data.Length - position))
        {
            throw Corrupt($"a length-delimited field of {length} bytes runs past the end ({data.Length - position} left)");
        }

        return Take((int)length);
    }

    /// <summary>Reads a length-delimited UTF-8 string.</summary>
    /// <returns>The string.</returns>
    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes());

    /// <summary>Skips a field of the given wire type.</summary>
    /// <param name="wireType">The wire type from <see cref="ReadTag"/>.</param>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0:
                ReadVarint();
                break;
            case 1:
                Take(8);
                break;
            case 2:
                ReadBytes();
                break;
            case 5:
                Take(4);
                break;
            default:
                throw Corrupt($"unsupported wire type {wireType}");
        }
    }

    /// <summary>Reads a repeated int64 field that may be packed (wire type 2) or not (wire type 0).</summary>
    /// <param name="wireType">The wire type from <see cref="ReadTag"/>.</param>
    /// <param name="into">The list the values are appended to.</param>
    public void ReadInt64s(int wireType, List<long> into)
    {
        if (wireType == 0)
        {
            into.Add(ReadInt64());
            return;
        }

        Expect(wireType, 2, "repeated int64");
        var inner = new ProtoReader(ReadBytes(), source);
        while (!inner.AtEnd)
        {
            into.Add(inner.ReadInt64());
        }
    }

    /// <summary>Reads a repeated float field that may be packed (wire type 2) or not (wire type 5).</summary>
    /// <param name="wireType">The wire type from <see cref="ReadTag"/>.</param>
    /// <param name="into">The list the values are appended to.</param>
    public void ReadFloats(int wireType, List<float> into)
    {
        if (wireType == 5)
        {
            into.Add(ReadFloat());
            return;
        }

        Expect(wireType, 2, "repeated float");
        var bytes = ReadBytes();
        if (bytes.Length % 4 != 0)
        {
            throw Corrupt($"a packed float field of {bytes.Length} bytes is not a multiple of 4");
        }

        for (var i = 0; i < bytes.Length; i += 4)
        {
            into.Add(BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(i, 4))));
        }
    }

    /// <summary>Throws unless <paramref name="actual"/> is <paramref name="expected"/>.</summary>
    /// <param name="actual">The wire type read.</param>
    /// <param name="expected">The wire type the field must have.</param>
    /// <param name="what">The field, for the message.</param>
    public readonly void Expect(int actual, int expected, string what)
    {
        if (actual != expected)
        {
            throw Corrupt($"{what} has wire type {actual}, expected {expected}");
        }
    }

    /// <summary>Creates the exception for a malformed file.</summary>
    /// <param name="detail">What is wrong.</param>
    /// <returns>The exception.</returns>
    public readonly InvalidDataException Corrupt(string detail) =>
        new($"'{source}' is not a valid ONNX model (corrupt, truncated or another format): {detail} at byte offset {position} of a {data.Length}-byte message.");

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > data.Length - position)
        {
            throw Corrupt($"field needs {count} bytes, {data.Length - position} left");
        }

        var slice = data.Slice(position, count);
        position += count;
        return slice;
    }
}
