// A managed walk over TorchSharp's own state formats (module state dict, Adam/AdamW optimiser state),
// so that corrupt bytes are refused before TorchSharp hands a made-up dtype or shape to libtorch
// (which can abort the process instead of throwing).
using System.Text;
using TorchSharp;
using TorchSharp.Modules;

namespace CausalVision.Training;

/// <summary>Validates the layout of TorchSharp-serialised module and optimiser state.</summary>
internal static class TorchSharpStateFormat
{
    private const int MaxRank = 16;

    /// <summary>Checks <c>Module.save</c> bytes: count, then (name, tensor record) pairs, nothing after.</summary>
    public static void ValidateModule(byte[] bytes, string path)
    {
        Walk(bytes, path, "weights", r =>
        {
            var count = Decode(r);
            if (count < 0 || count > bytes.Length)
            {
                throw new InvalidDataException($"{count} entries");
            }

            for (long i = 0; i < count; i++)
            {
                _ = r.ReadString();
                Tensor(r);
            }
        });
    }

    /// <summary>Checks Adam/AdamW (and LeanAdam/LeanAdamW) optimiser state against <paramref name="optimizer"/>; other optimisers are not checked.</summary>
    public static void ValidateOptimizer(byte[] bytes, torch.optim.Optimizer optimizer, string path)
    {
        if (optimizer is not (Adam or AdamW))
        {
            return;
        }

        var groups = optimizer.ParamGroups.Count();
        var states = optimizer.parameters().Count();
        Walk(bytes, path, "optimiser state", r =>
        {
            _ = r.ReadString();
            var options = Decode(r);
            var stateCount = Decode(r);
            if (options != groups || stateCount != states)
            {
                throw new InvalidDataException($"{options} parameter groups and {stateCount} states, the optimiser has {groups} and {states}");
            }

            for (var i = 0; i < options; i++)
            {
                for (var d = 0; d < 6; d++)
                {
                    var v = r.ReadDouble();
                    if (!double.IsFinite(v))
                    {
                        throw new InvalidDataException($"group {i} has a non-finite hyper-parameter");
                    }
                }

                Bool(r);
                Bool(r);
            }

            for (var i = 0; i < stateCount; i++)
            {
                if (r.ReadInt64() < 0)
                {
                    throw new InvalidDataException($"state {i} has a negative step");
                }

                var a = Tensor(r);
                var b = Tensor(r);
                if (!a.SequenceEqual(b))
                {
                    throw new InvalidDataException($"state {i}: the two moment tensors differ in shape");
                }

                if (Bool(r) && !Tensor(r).SequenceEqual(a))
                {
                    throw new InvalidDataException($"state {i}: the max moment differs in shape");
                }
            }
        });
    }

    private static void Walk(byte[] bytes, string path, string section, Action<BinaryReader> walk)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        using var r = new BinaryReader(ms, new UTF8Encoding(false, true));
        try
        {
            walk(r);
            if (ms.Position != ms.Length)
            {
                throw new InvalidDataException($"{ms.Length - ms.Position} unexpected trailing bytes");
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or DecoderFallbackException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the {section} section is corrupt ({ex.Message}).", ex);
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith("Checkpoint", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Checkpoint '{path}': the {section} section is corrupt ({ex.Message}).", ex);
        }
    }

    private static bool Bool(BinaryReader r) => r.ReadByte() switch
    {
        0 => false,
        1 => true,
        var b => throw new InvalidDataException($"a flag byte is {b}, not 0 or 1"),
    };

    // One tensor record: dtype, rank, dims (LEB128), then numel * element size bytes. Returns the shape.
    private static long[] Tensor(BinaryReader r)
    {
        var code = Decode(r);
        var size = code switch
        {
            (long)torch.ScalarType.Byte or (long)torch.ScalarType.Int8 or (long)torch.ScalarType.Bool => 1,
            (long)torch.ScalarType.Int16 or (long)torch.ScalarType.Float16 or (long)torch.ScalarType.BFloat16 => 2,
            (long)torch.ScalarType.Int32 or (long)torch.ScalarType.Float32 => 4,
            (long)torch.ScalarType.Int64 or (long)torch.ScalarType.Float64 => 8,
            _ => throw new InvalidDataException($"unsupported tensor dtype code {code}"),
        };
        var rank = Decode(r);
        if (rank < 0 || rank > MaxRank)
        {
            throw new InvalidDataException($"tensor rank {rank}");
        }

        var shape = new long[rank];
        long numel = 1;
        for (var i = 0; i < rank; i++)
        {
            shape[i] = Decode(r);
            if (shape[i] < 0)
            {
                throw new InvalidDataException($"negative dimension {shape[i]}");
            }

            numel = checked(numel * shape[i]);
        }

        var bytes = checked(numel * size);
        var remaining = r.BaseStream.Length - r.BaseStream.Position;
        if (bytes > remaining)
        {
            throw new InvalidDataException($"a tensor of {bytes} bytes with {remaining} left");
        }

        r.BaseStream.Seek(bytes, SeekOrigin.Current);
        return shape;
    }

    // TorchSharp's LEB128 length encoding, limited to 9 bytes (63 bits).
    private static long Decode(BinaryReader r)
    {
        long result = 0;
        for (var i = 0; i < 9; i++)
        {
            long b = r.ReadByte();
            result |= (b & 0x7f) << (i * 7);
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new InvalidDataException("a length field is longer than 9 bytes");
    }
}
