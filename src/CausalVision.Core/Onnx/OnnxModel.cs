// ONNX ModelProto (onnx/onnx.proto3), read with the hand-written wire-format reader: no protobuf
// runtime dependency and one clear InvalidDataException naming the file for any malformation.
namespace CausalVision.Onnx;

/// <summary>A parsed ONNX model: IR version, operator-set versions, producer and the main graph.</summary>
/// <remarks>Load one with <see cref="Load"/>; build a TorchSharp module from it with OnnxImporter.</remarks>
public sealed class OnnxModel
{
    private OnnxModel(string source, long irVersion, string producerName, string producerVersion, IReadOnlyDictionary<string, long> opsets, OnnxGraph graph)
    {
        Source = source;
        IrVersion = irVersion;
        ProducerName = producerName;
        ProducerVersion = producerVersion;
        Opsets = opsets;
        Graph = graph;
    }

    /// <summary>Gets the file (or source name) the model was read from.</summary>
    public string Source { get; }

    /// <summary>Gets the ONNX IR version.</summary>
    public long IrVersion { get; }

    /// <summary>Gets the producing tool's name (e.g. "CNTK").</summary>
    public string ProducerName { get; }

    /// <summary>Gets the producing tool's version.</summary>
    public string ProducerVersion { get; }

    /// <summary>Gets the imported operator-set versions by domain ("" is the standard ai.onnx domain).</summary>
    public IReadOnlyDictionary<string, long> Opsets { get; }

    /// <summary>Gets the standard-domain operator-set version (1 when the file declares none, as IR version 1-2 files may).</summary>
    public long OpsetVersion => Opsets.TryGetValue(string.Empty, out var v) ? v : Opsets.TryGetValue("ai.onnx", out v) ? v : 1;

    /// <summary>Gets the main graph.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>Reads an ONNX model file.</summary>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <returns>The model.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or not an ONNX model (the message names it).</exception>
    public static OnnxModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        }

        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses an ONNX model from memory.</summary>
    /// <param name="bytes">The serialized <c>ModelProto</c>.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">The bytes are corrupt, truncated or not an ONNX model.</exception>
    public static OnnxModel Parse(ReadOnlySpan<byte> bytes, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        var reader = new ProtoReader(bytes, sourceName);
        if (bytes.IsEmpty)
        {
            throw reader.Corrupt("the file is empty");
        }

        long ir = 0;
        string producer = string.Empty, version = string.Empty;
        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        OnnxGraph? graph = null;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    reader.Expect(wire, 0, "ModelProto.ir_version");
                    ir = reader.ReadInt64();
                    break;
                case 2:
                    reader.Expect(wire, 2, "ModelProto.producer_name");
                    producer = reader.ReadString();
                    break;
                case 3:
                    reader.Expect(wire, 2, "ModelProto.producer_version");
                    version = reader.ReadString();
                    break;
                case 7:
                    reader.Expect(wire, 2, "ModelProto.graph");
                    if (graph is not null)
                    {
                        throw reader.Corrupt("the model has two graphs");
                    }

                    graph = OnnxGraph.Parse(reader.ReadBytes(), sourceName);
                    break;
                case 8:
                    reader.Expect(wire, 2, "ModelProto.opset_import");
                    var (domain, v) = ParseOpset(reader.ReadBytes(), sourceName);
                    opsets[domain] = v;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        if (ir <= 0 || ir > 100)
        {
            throw reader.Corrupt($"ir_version is {ir}; an ONNX model has a positive IR version");
        }

        if (graph is null || graph.Nodes.Count == 0)
        {
            throw reader.Corrupt("the model has no graph or an empty graph");
        }

        return new OnnxModel(sourceName, ir, producer, version, opsets, graph);
    }

    private static (string Domain, long Version) ParseOpset(ReadOnlySpan<byte> bytes, string source)
    {
        var reader = new ProtoReader(bytes, source);
        var domain = string.Empty;
        long version = 0;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 2)
            {
                domain = reader.ReadString();
            }
            else if (field == 2 && wire == 0)
            {
                version = reader.ReadInt64();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return (domain, version);
    }
}
