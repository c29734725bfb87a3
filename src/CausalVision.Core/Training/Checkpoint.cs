// Atomic, resumable checkpoints: weights, optimiser state, RNG state and run state in one file.
using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;

namespace CausalVision.Training;

/// <summary>
/// Saves and restores a training run. One file holds the module's state dict, the optimiser's
/// state, TorchSharp's CPU RNG state and the <see cref="TrainingState"/>, so a resumed run
/// continues exactly where the saved one stopped.
/// </summary>
/// <remarks>
/// Writes are atomic: the checkpoint is written to a temporary file in the same folder, flushed
/// to disk, then renamed over the target, so a crash mid-write never leaves a truncated
/// checkpoint behind. Layout: magic <c>CVCKPT01</c>, then four length-prefixed sections
/// (state JSON, module, optimiser, RNG state); an empty section means "absent". Optimiser state
/// saved by <see cref="LeanAdam"/> loads into TorchSharp's <c>Adam</c> and back (likewise AdamW).
/// </remarks>
public static class Checkpoint
{
    private static readonly byte[] Magic = "CVCKPT01"u8.ToArray();

    /// <summary>Writes a checkpoint atomically.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="module">The model.</param>
    /// <param name="optimizer">The optimiser, or null.</param>
    /// <param name="state">The run state.</param>
    public static void Save(string path, torch.nn.Module module, torch.optim.Optimizer? optimizer, TrainingState state)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(state);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            using (var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                WriteSection(writer, JsonSerializer.SerializeToUtf8Bytes(new StateDto(state)));
                WriteSection(writer, Serialize(w => module.save(w)));
                WriteSection(writer, optimizer is null ? [] : Serialize(w => AsHelper(optimizer).save_state_dict(w)));
                using var rng = torch.get_rng_state();
                WriteSection(writer, rng.bytes.ToArray());
                writer.Flush();
                file.Flush(flushToDisk: true);
            }

            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }

    /// <summary>Restores a checkpoint into <paramref name="module"/> (and the optimiser and RNG).</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="module">The model, built with the same architecture.</param>
    /// <param name="optimizer">The optimiser over the module's parameters, or null to skip its state.</param>
    /// <param name="restoreRng">Whether to restore TorchSharp's CPU RNG state (needed for an exact resume).</param>
    /// <returns>The saved run state.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a CausalVision checkpoint or is truncated.</exception>
    public static TrainingState Load(string path, torch.nn.Module module, torch.optim.Optimizer? optimizer = null, bool restoreRng = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(module);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        }

        using var file = File.OpenRead(path);
        using var reader = new BinaryReader(file, Encoding.UTF8);
        try
        {
            var magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException($"'{path}' is not a CausalVision checkpoint (bad magic).");
            }

            var stateBytes = ReadSection(reader, path);
            var moduleBytes = ReadSection(reader, path);
            var optimizerBytes = ReadSection(reader, path);
            var rngBytes = ReadSection(reader, path);
            var dto = JsonSerializer.Deserialize<StateDto>(stateBytes) ?? throw new InvalidDataException($"'{path}': empty run state.");
            using (var ms = new MemoryStream(moduleBytes))
            {
                module.load(ms);
            }

            if (optimizer is not null && optimizerBytes.Length > 0)
            {
                using var ms = new MemoryStream(SameFamilyOptimizerState(optimizerBytes, optimizer.GetType().Name));
                using var r = new BinaryReader(ms);
                AsHelper(optimizer).load_state_dict(r);
            }

            if (restoreRng && rngBytes.Length > 0)
            {
                using var rng = torch.tensor(rngBytes, dtype: torch.uint8);
                torch.set_rng_state(rng);
            }

            return dto.ToState();
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is truncated.", ex);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Checkpoint '{path}' has a corrupt run state.", ex);
        }
    }

    /// <summary>Reads only the run state (no weights), e.g. to decide whether to resume.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>The saved run state.</returns>
    public static TrainingState ReadState(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var file = File.OpenRead(path);
        using var reader = new BinaryReader(file, Encoding.UTF8);
        var magic = reader.ReadBytes(Magic.Length);
        if (!magic.AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a CausalVision checkpoint (bad magic).");
        }

        var dto = JsonSerializer.Deserialize<StateDto>(ReadSection(reader, path)) ?? throw new InvalidDataException($"'{path}': empty run state.");
        return dto.ToState();
    }

    // TorchSharp's optimiser state starts with the optimiser's type name and refuses any other on load. LeanAdam(W) is
    // TorchSharp's Adam(W) with the same state, so a checkpoint written by one resumes into the other: swap the name.
    private static byte[] SameFamilyOptimizerState(byte[] bytes, string target)
    {
        using var ms = new MemoryStream(bytes);
        using var r = new BinaryReader(ms, Encoding.UTF8);
        var saved = r.ReadString();
        static string? Family(string name) => name switch
        {
            nameof(Adam) or nameof(LeanAdam) => nameof(Adam),
            nameof(AdamW) or nameof(LeanAdamW) => nameof(AdamW),
            _ => null,
        };
        if (saved == target || Family(saved) is null || Family(saved) != Family(target))
        {
            return bytes; // identical, or a real mismatch that TorchSharp reports
        }

        using var output = new MemoryStream(bytes.Length + 8);
        using (var w = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(target);
            w.Write(bytes, (int)ms.Position, bytes.Length - (int)ms.Position);
        }

        return output.ToArray();
    }

    private static OptimizerHelper AsHelper(torch.optim.Optimizer optimizer) =>
        optimizer as OptimizerHelper ?? throw new ArgumentException($"Optimizer {optimizer.GetType().Name} cannot save its state (not a TorchSharp OptimizerHelper).", nameof(optimizer));

    private static byte[] Serialize(Action<BinaryWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            write(w);
            w.Flush();
        }

        return ms.ToArray();
    }

    private static void WriteSection(BinaryWriter writer, byte[] bytes)
    {
        writer.Write((long)bytes.Length);
        writer.Write(bytes);
    }

    private static byte[] ReadSection(BinaryReader reader, string path)
    {
        var length = reader.ReadInt64();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is truncated or corrupt (section of {length} bytes).");
        }

        return reader.ReadBytes((int)length);
    }

    private sealed class StateDto
    {
        public StateDto()
        {
        }

        public StateDto(TrainingState s)
        {
            Stage = s.Stage;
            Epoch = s.Epoch;
            GlobalStep = s.GlobalStep;
            Seed = s.Seed;
            Metrics = new Dictionary<string, double>(s.Metrics);
        }

        public int Stage { get; set; }

        public int Epoch { get; set; }

        public long GlobalStep { get; set; }

        public long Seed { get; set; }

        public Dictionary<string, double> Metrics { get; set; } = [];

        public TrainingState ToState() => new(Stage, Epoch, GlobalStep, Seed, Metrics);
    }
}
