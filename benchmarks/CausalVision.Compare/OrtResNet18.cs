// ONNX Runtime side of the imported-ResNet-18 comparison (shared by CausalVision.Compare and the
// BenchmarkDotNet suite): loads the same ResNet18.onnx the importer reads, with the batch
// dimension made symbolic so that one session runs any batch size.
using CausalVision.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace CausalVision.Compare;

/// <summary>An ONNX Runtime session on ResNet18.onnx with a symbolic batch dimension.</summary>
public sealed class OrtResNet18 : IDisposable
{
    private readonly InferenceSession session;
    private readonly SessionOptions options;
    private readonly string inputName;
    private readonly string outputName;

    /// <summary>Initializes a new instance of the <see cref="OrtResNet18"/> class.</summary>
    /// <param name="modelPath">ResNet18.onnx.</param>
    /// <param name="threads">Intra-op threads (inter-op: 1, sequential execution).</param>
    public OrtResNet18(string modelPath, int threads)
    {
        var bytes = File.ReadAllBytes(modelPath);
        var graph = OnnxModel.Parse(bytes, modelPath).Graph;
        inputName = graph.DataInputs[0].Name;
        outputName = graph.Outputs[0].Name;
        options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        session = new InferenceSession(SymbolicBatch(bytes, [inputName, outputName]), options);
    }

    /// <summary>Runs one batch [B, 3, 224, 224] (already preprocessed) and returns the first output's values.</summary>
    /// <param name="input">The input values.</param>
    /// <param name="shape">The input shape.</param>
    /// <returns>The output [B, 512, 1, 1] flattened.</returns>
    public float[] Run(float[] input, long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [value], [outputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        session.Dispose();
        options.Dispose();
    }

    /// <summary>Re-encodes a ModelProto with the first dimension of the named graph inputs/outputs made symbolic ("N").</summary>
    /// <param name="model">The serialized model.</param>
    /// <param name="names">The value names to patch.</param>
    /// <returns>The patched model.</returns>
    public static byte[] SymbolicBatch(byte[] model, IReadOnlyCollection<string> names)
    {
        var outer = new MemoryStream();
        foreach (var (field, wire, raw, payload) in Fields(model))
        {
            if (field != 7 || wire != 2)
            {
                outer.Write(raw);
                continue;
            }

            var graph = new MemoryStream();
            foreach (var (gf, gw, graw, gpayload) in Fields(payload))
            {
                if ((gf == 11 || gf == 12 || gf == 13) && gw == 2 && PatchValueInfo(gpayload, names) is { } patched)
                {
                    WriteLengthDelimited(graph, gf, patched);
                }
                else
                {
                    graph.Write(graw);
                }
            }

            WriteLengthDelimited(outer, 7, graph.ToArray());
        }

        return outer.ToArray();
    }

    private static byte[]? PatchValueInfo(byte[] valueInfo, IReadOnlyCollection<string> names)
    {
        string? name = null;
        byte[]? type = null;
        foreach (var (f, w, _, p) in Fields(valueInfo))
        {
            if (f == 1 && w == 2)
            {
                name = System.Text.Encoding.UTF8.GetString(p);
            }
            else if (f == 2 && w == 2)
            {
                type = p;
            }
        }

        if (name is null || type is null || !names.Contains(name))
        {
            return null;
        }

        // TypeProto.tensor_type (1) -> TypeProto.Tensor.shape (2) -> dim[0] := {dim_param: "N"}.
        var newType = new MemoryStream();
        foreach (var (tf, tw, traw, tp) in Fields(type))
        {
            if (tf != 1 || tw != 2)
            {
                newType.Write(traw);
                continue;
            }

            var tensor = new MemoryStream();
            foreach (var (sf, sw, sraw, sp) in Fields(tp))
            {
                if (sf != 2 || sw != 2)
                {
                    tensor.Write(sraw);
                    continue;
                }

                var shape = new MemoryStream();
                var first = true;
                foreach (var (df, dw, draw, _) in Fields(sp))
                {
                    if (first && df == 1 && dw == 2)
                    {
                        var dim = new MemoryStream();
                        WriteLengthDelimited(dim, 2, "N"u8.ToArray());
                        WriteLengthDelimited(shape, 1, dim.ToArray());
                        first = false;
                    }
                    else
                    {
                        shape.Write(draw);
                    }
                }

                WriteLengthDelimited(tensor, 2, shape.ToArray());
            }

            WriteLengthDelimited(newType, 1, tensor.ToArray());
        }

        var result = new MemoryStream();
        WriteLengthDelimited(result, 1, System.Text.Encoding.UTF8.GetBytes(name));
        WriteLengthDelimited(result, 2, newType.ToArray());
        return result.ToArray();
    }

    private static List<(int Field, int Wire, byte[] Raw, byte[] Payload)> Fields(byte[] data)
    {
        var list = new List<(int, int, byte[], byte[])>();
        var pos = 0;
        while (pos < data.Length)
        {
            var start = pos;
            var tag = ReadVarint(data, ref pos);
            var wire = (int)(tag & 7);
            var payloadStart = pos;
            var payloadLength = 0;
            switch (wire)
            {
                case 0:
                    ReadVarint(data, ref pos);
                    break;
                case 1:
                    pos += 8;
                    break;
                case 2:
                    payloadLength = (int)ReadVarint(data, ref pos);
                    payloadStart = pos;
                    pos += payloadLength;
                    break;
                case 5:
                    pos += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported wire type {wire}.");
            }

            list.Add(((int)(tag >> 3), wire, data[start..pos], wire == 2 ? data[payloadStart..(payloadStart + payloadLength)] : []));
        }

        return list;
    }

    private static ulong ReadVarint(byte[] data, ref int pos)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private static void WriteLengthDelimited(Stream s, int field, byte[] payload)
    {
        WriteVarint(s, ((ulong)field << 3) | 2);
        WriteVarint(s, (ulong)payload.Length);
        s.Write(payload);
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        s.WriteByte((byte)value);
    }
}
