// Structure-aware mutants of safetensors state files: the container stays valid, so the loaders' checks of the
// settings and arrays behind it (types, ranges, dtypes, shapes, finiteness) are what the mutant exercises.
using System.Text;
using CausalVision.Weights;
using static TorchSharp.torch;

namespace CausalVision.Testing;

/// <summary>Mutates the metadata and tensors of a valid safetensors file and writes a valid safetensors file again.</summary>
public static class StateFileMutator
{
    private static readonly string[] Literals =
    [
        "", "-1", "0", "1", "2", "NaN", "Infinity", "-Infinity", "1e308", "-1e-320", "2147483648", "-2147483649",
        "9223372036854775808", "true", "false", "True", "abc", " 1", "1.5", "-0", "0x10", "１", "\0",
    ];

    private static readonly ScalarType[] DTypes =
    [
        ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    ];

    /// <summary>Returns a mutated copy of a safetensors file: one to three changes of metadata values or keys, tensor
    /// bytes (length kept), dtypes, shapes, or tensors removed or added.</summary>
    /// <param name="seed">A valid safetensors file.</param>
    /// <param name="random">The generator.</param>
    /// <param name="rewrite">Optional last step applied to the mutated content (e.g. recomputing a checksum).</param>
    /// <returns>The mutant.</returns>
    public static byte[] Mutate(byte[] seed, Random random, Action<Dictionary<string, Tensor>, Dictionary<string, string>>? rewrite = null)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(random);
        using var scope = NewDisposeScope();
        using var file = SafeTensors.Load(new MemoryStream(seed), "seed");
        var metadata = new Dictionary<string, string>(file.Metadata, StringComparer.Ordinal);
        var tensors = new Dictionary<string, Tensor>(file, StringComparer.Ordinal);
        var changes = 1 + random.Next(3);
        for (var c = 0; c < changes; c++)
        {
            var keys = metadata.Keys.Order(StringComparer.Ordinal).ToArray();
            var names = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
            var op = random.Next(8);
            if (op <= 2 && keys.Length > 0)
            {
                var key = keys[random.Next(keys.Length)];
                metadata[key] = op switch
                {
                    0 => Encoding.UTF8.GetString(Fuzzer.Mutate(Encoding.UTF8.GetBytes(metadata[key]), random)),
                    1 => Literals[random.Next(Literals.Length)],
                    _ => metadata[key] + Literals[random.Next(Literals.Length)],
                };
            }
            else if (op == 3 && keys.Length > 0)
            {
                if (random.Next(2) == 0)
                {
                    metadata.Remove(keys[random.Next(keys.Length)]);
                }
                else
                {
                    metadata["extra"] = Literals[random.Next(Literals.Length)];
                }
            }
            else if (names.Length > 0)
            {
                var name = names[random.Next(names.Length)];
                var t = tensors[name];
                tensors[name] = op switch
                {
                    4 or 5 => Bytes(t, random),
                    6 => t.to(DTypes[random.Next(DTypes.Length)]),
                    _ => Reshape(t, random),
                };
                if (op == 7 && random.Next(4) == 0)
                {
                    if (random.Next(2) == 0)
                    {
                        tensors.Remove(name);
                    }
                    else
                    {
                        tensors["extra"] = zeros(2);
                    }
                }
            }
        }

        rewrite?.Invoke(tensors, metadata);
        using var ms = new MemoryStream();
        SafeTensors.Save(ms, tensors, metadata);
        return ms.ToArray();
    }

    /// <summary>Rewrites a safetensors file after <paramref name="edit"/> changed its tensors or metadata.</summary>
    /// <param name="file">A valid safetensors file.</param>
    /// <param name="edit">Changes the name -&gt; tensor map and the metadata (tensors it creates are disposed after).</param>
    /// <returns>The new file.</returns>
    public static byte[] Edit(byte[] file, Action<Dictionary<string, Tensor>, Dictionary<string, string>> edit)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(edit);
        using var scope = NewDisposeScope();
        using var loaded = SafeTensors.Load(new MemoryStream(file), "edit");
        var metadata = new Dictionary<string, string>(loaded.Metadata, StringComparer.Ordinal);
        var tensors = new Dictionary<string, Tensor>(loaded, StringComparer.Ordinal);
        edit(tensors, metadata);
        using var ms = new MemoryStream();
        SafeTensors.Save(ms, tensors, metadata);
        return ms.ToArray();
    }

    // Same dtype and shape, some bytes changed (bit flips, 0xFF runs that make NaN, zeros, random bytes).
    private static Tensor Bytes(Tensor t, Random random)
    {
        var copy = t.clone();
        var span = copy.bytes;
        if (span.Length == 0)
        {
            return copy;
        }

        var count = 1 + random.Next(4);
        for (var i = 0; i < count; i++)
        {
            var pos = random.Next(span.Length);
            switch (random.Next(4))
            {
                case 0:
                    span[pos] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    span.Slice(pos, Math.Min(8, span.Length - pos)).Fill(0xFF);
                    break;
                case 2:
                    span.Slice(pos, Math.Min(8, span.Length - pos)).Clear();
                    break;
                default:
                    span[pos] = (byte)random.Next(256);
                    break;
            }
        }

        return copy;
    }

    // Another shape: flattened, a dimension added, the first dimension cut or extended, or emptied.
    private static Tensor Reshape(Tensor t, Random random) => random.Next(5) switch
    {
        0 => t.flatten(),
        1 => t.unsqueeze(0),
        2 when t.dim() > 0 && t.shape[0] > 0 => t.narrow(0, 0, t.shape[0] - 1).clone(),
        3 when t.dim() > 0 => cat([t, t.narrow(0, 0, Math.Min(1, t.shape[0]))], 0),
        _ => t.dim() > 0 ? t.narrow(0, 0, 0).clone() : t.reshape(1),
    };
}
