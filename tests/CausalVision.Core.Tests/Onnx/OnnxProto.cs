// A tiny writer of the ONNX protobuf messages the tests need (ModelProto, GraphProto, NodeProto,
// TensorProto, AttributeProto, ValueInfoProto), so test models are built in code, offline.
using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace CausalVision.Tests.Onnx;

/// <summary>Builds protobuf messages field by field.</summary>
internal sealed class OnnxProto
{
    private readonly MemoryStream stream = new();

    public byte[] ToArray() => stream.ToArray();

    public OnnxProto Varint(int field, long value)
    {
        Tag(field, 0);
        WriteVarint((ulong)value);
        return this;
    }

    public OnnxProto Bytes(int field, byte[] bytes)
    {
        Tag(field, 2);
        WriteVarint((ulong)bytes.Length);
        stream.Write(bytes);
        return this;
    }

    public OnnxProto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public OnnxProto Message(int field, OnnxProto message) => Bytes(field, message.ToArray());

    public OnnxProto Float(int field, float value)
    {
        Tag(field, 5);
        stream.Write(BitConverter.GetBytes(value));
        return this;
    }

    // ---- ONNX messages ----

    public static OnnxProto Tensor(string name, long[] dims, float[] data)
    {
        var t = new OnnxProto();
        foreach (var d in dims)
        {
            t.Varint(1, d);
        }

        t.Varint(2, 1).String(8, name);
        var raw = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, raw, 0, raw.Length);
        return t.Bytes(9, raw);
    }

    public static OnnxProto Int64Tensor(string name, long[] data)
    {
        var t = new OnnxProto().Varint(1, data.Length).Varint(2, 7).String(8, name);
        var raw = new byte[data.Length * 8];
        Buffer.BlockCopy(data, 0, raw, 0, raw.Length);
        return t.Bytes(9, raw);
    }

    public static OnnxProto Node(string op, string name, string[] inputs, string[] outputs, params OnnxProto[] attributes)
    {
        var n = new OnnxProto();
        foreach (var i in inputs)
        {
            n.String(1, i);
        }

        foreach (var o in outputs)
        {
            n.String(2, o);
        }

        n.String(3, name).String(4, op);
        foreach (var a in attributes)
        {
            n.Message(5, a);
        }

        return n;
    }

    public static OnnxProto Ints(string name, params long[] values)
    {
        var a = new OnnxProto().String(1, name).Varint(20, 7);
        foreach (var v in values)
        {
            a.Varint(8, v);
        }

        return a;
    }

    public static OnnxProto Int(string name, long value) => new OnnxProto().String(1, name).Varint(20, 2).Varint(3, value);

    public static OnnxProto FloatAttr(string name, float value) => new OnnxProto().String(1, name).Varint(20, 1).Float(2, value);

    public static OnnxProto StringAttr(string name, string value) => new OnnxProto().String(1, name).Varint(20, 3).String(4, value);

    /// <summary>A float tensor value info; a negative dimension is written as the symbolic "N"; null shape writes none.</summary>
    public static OnnxProto ValueInfo(string name, long[]? dims)
    {
        var tensorType = new OnnxProto().Varint(1, 1);
        if (dims is not null)
        {
            var shape = new OnnxProto();
            foreach (var d in dims)
            {
                shape.Message(1, d < 0 ? new OnnxProto().String(2, "N") : new OnnxProto().Varint(1, d));
            }

            tensorType.Message(2, shape);
        }

        return new OnnxProto().String(1, name).Message(2, new OnnxProto().Message(1, tensorType));
    }

    public static byte[] Model(IEnumerable<OnnxProto> nodes, IEnumerable<OnnxProto> initializers, OnnxProto[] inputs, OnnxProto[] outputs, int opset = 13)
    {
        var g = new OnnxProto();
        foreach (var n in nodes)
        {
            g.Message(1, n);
        }

        g.String(2, "test_graph");
        foreach (var i in initializers)
        {
            g.Message(5, i);
        }

        foreach (var i in inputs)
        {
            g.Message(11, i);
        }

        foreach (var o in outputs)
        {
            g.Message(12, o);
        }

        var opsetId = new OnnxProto().String(1, string.Empty).Varint(2, opset);
        return new OnnxProto().Varint(1, 7).String(2, "CausalVision.Tests").Message(7, g).Message(8, opsetId).ToArray();
    }

    /// <summary>
    /// Returns <paramref name="model"/> with extra graph outputs: protobuf merges a repeated
    /// embedded message field, so an appended GraphProto holding only outputs adds them.
    /// </summary>
    public static byte[] WithExtraOutputs(byte[] model, IEnumerable<string> names)
    {
        var g = new OnnxProto();
        foreach (var name in names)
        {
            g.Message(12, ValueInfo(name, null));
        }

        return [.. model, .. new OnnxProto().Message(7, g).ToArray()];
    }

    /// <summary>Runs a single-input float model in ONNX Runtime (one thread) and returns the named outputs.</summary>
    public static Dictionary<string, (float[] Data, long[] Shape)> RunOrt(byte[] model, string inputName, float[] input, long[] shape, IReadOnlyList<string> outputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [value], outputs.ToArray());
        var map = new Dictionary<string, (float[], long[])>();
        for (var i = 0; i < outputs.Count; i++)
        {
            map[outputs[i]] = (results[i].GetTensorDataAsSpan<float>().ToArray(), results[i].GetTensorTypeAndShape().Shape);
        }

        return map;
    }

    private void Tag(int field, int wire) => WriteVarint((ulong)((field << 3) | wire));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }
}
