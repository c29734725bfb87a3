// The reader of the checkpoint layouts written before checkpoints moved to safetensors: CVCKPT02 (four sections, each
// an int64 length, its SHA-256 and the bytes: run state JSON, Module.save bytes, the optimiser's save_state_dict bytes,
// the RNG state) and CVCKPT01 (the same sections without hashes). Read only; Checkpoint writes the safetensors layout.
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace CausalVision.Training;

/// <summary>Reads <c>CVCKPT02</c> and <c>CVCKPT01</c> checkpoints with the checks they always had.</summary>
internal static class LegacyCheckpoint
{
    private static readonly byte[] Magic = "CVCKPT02"u8.ToArray();
    private static readonly byte[] MagicUnhashed = "CVCKPT01"u8.ToArray();
    private static readonly string[] SectionNames = ["run state", "weights", "optimiser state", "RNG state"];
    private const int HashLength = 32;

    /// <summary>Returns whether the file starts with a legacy magic.</summary>
    public static bool IsLegacy(string path)
    {
        Span<byte> head = stackalloc byte[8];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && (head.SequenceEqual(Magic) || head.SequenceEqual(MagicUnhashed));
    }

    /// <summary>Restores a legacy checkpoint (see <see cref="Checkpoint.Load"/>).</summary>
    public static TrainingState Load(string path, torch.nn.Module module, torch.optim.Optimizer? optimizer, bool restoreRng)
    {
        var sections = ReadSections(path);
        var dto = ParseState(sections[0], path);
        var moduleBytes = sections[1];
        var optimizerBytes = sections[2];
        var rngBytes = sections[3];
        if (restoreRng && rngBytes.Length > 0)
        {
            Checkpoint.ValidateRngState(rngBytes, path);
        }

        if (optimizer is not null && optimizerBytes.Length > 0)
        {
            Checkpoint.ValidateOptimizerHeader(optimizerBytes, optimizer, path);
            TorchSharpStateFormat.ValidateOptimizer(optimizerBytes, optimizer, path);
        }

        TorchSharpStateFormat.ValidateModule(moduleBytes, path);

        try
        {
            using var ms = new MemoryStream(moduleBytes);
            module.load(ms);
        }
        catch (Exception ex) when (ex is ExternalException or ArgumentException or EndOfStreamException or IOException or InvalidOperationException or OverflowException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the weights do not load into {module.GetType().Name} ({Checkpoint.FirstLine(ex)}); is it another architecture or a corrupt file?", ex);
        }

        if (TrainingLoop.FirstNonFinite(module) is { } name)
        {
            throw new InvalidDataException($"Checkpoint '{path}': '{name}' holds NaN or infinite values.");
        }

        if (optimizer is not null && optimizerBytes.Length > 0)
        {
            Checkpoint.LoadOptimizer(optimizerBytes, optimizer, path);
        }

        if (restoreRng && rngBytes.Length > 0)
        {
            using var rng = torch.tensor(rngBytes, dtype: torch.uint8);
            torch.set_rng_state(rng);
        }

        return dto.ToState();
    }

    /// <summary>Reads only the run state.</summary>
    public static TrainingState ReadState(string path) => ParseState(ReadSections(path)[0], path).ToState();

    /// <summary>The SHA-256 of the weights, optimiser and RNG sections.</summary>
    public static (string Module, string Optimizer, string Rng) ContentDigests(string path)
    {
        var sections = ReadSections(path);
        static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
        return (Hex(sections[1]), Hex(sections[2]), Hex(sections[3]));
    }

    // Reads and verifies every section before anything is parsed or applied.
    private static byte[][] ReadSections(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var reader = new BinaryReader(file, Encoding.UTF8);
            var magic = reader.ReadBytes(Magic.Length);
            var unhashed = magic.AsSpan().SequenceEqual(MagicUnhashed);
            if (!unhashed && !magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException($"'{path}' is not a CausalVision checkpoint (bad magic).");
            }

            var sections = new byte[4][];
            for (var i = 0; i < sections.Length; i++)
            {
                sections[i] = ReadSection(reader, path, hashed: !unhashed, SectionNames[i]);
            }

            if (file.Position != file.Length)
            {
                throw new InvalidDataException($"Checkpoint '{path}' has {file.Length - file.Position} unexpected bytes after its last section.");
            }

            return sections;
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is truncated.", ex);
        }
    }

    private static byte[] ReadSection(BinaryReader reader, string path, bool hashed, string name)
    {
        var length = reader.ReadInt64();
        var remaining = reader.BaseStream.Length - reader.BaseStream.Position - (hashed ? HashLength : 0);
        if (length < 0 || length > remaining || length > Array.MaxLength)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is truncated or corrupt ({name}: section of {length} bytes).");
        }

        var hash = hashed ? reader.ReadBytes(HashLength) : null;
        var bytes = reader.ReadBytes((int)length);
        if (bytes.Length != length)
        {
            throw new EndOfStreamException();
        }

        if (hash is not null && !SHA256.HashData(bytes).AsSpan().SequenceEqual(hash))
        {
            throw new InvalidDataException($"Checkpoint '{path}' is corrupt: the {name} section does not match its SHA-256.");
        }

        return bytes;
    }

    private static Checkpoint.StateDto ParseState(byte[] bytes, string path)
    {
        try
        {
            var dto = JsonSerializer.Deserialize<Checkpoint.StateDto>(bytes, Checkpoint.JsonOptions) ?? throw new InvalidDataException($"Checkpoint '{path}': empty run state.");
            if (dto.Epoch < 0 || dto.GlobalStep < 0 || dto.Stage < 0 || dto.Metrics is null)
            {
                throw new InvalidDataException($"Checkpoint '{path}' has an invalid run state (stage {dto.Stage}, epoch {dto.Epoch}, step {dto.GlobalStep}).");
            }

            return dto;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Checkpoint '{path}' has a corrupt run state ({ex.Message}).", ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or DecoderFallbackException)
        {
            throw new InvalidDataException($"Checkpoint '{path}' has a corrupt run state ({ex.Message}).", ex);
        }
    }
}
