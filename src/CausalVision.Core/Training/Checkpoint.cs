// Atomic, resumable, self-checking checkpoints: weights, optimiser state, RNG state and run state in one file.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
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
/// checkpoint behind. Layout: magic <c>CVCKPT02</c>, then four sections (state JSON, module,
/// optimiser, RNG state), each an int64 length, the SHA-256 of its bytes and the bytes; an empty
/// section means "absent". Optimiser state saved by <see cref="LeanAdam"/> loads into TorchSharp's
/// <c>Adam</c> and back (likewise AdamW).
/// <para>Load checks before it applies anything: every section's hash, the run state's JSON
/// (duplicate keys rejected), the RNG state's size and Mersenne-Twister fields (libtorch aborts the
/// process on a bad one instead of throwing) and the optimiser state's header. Errors libtorch
/// reports while the weights or the optimiser state load, and weights that are NaN or infinite,
/// become <see cref="InvalidDataException"/>. Files of the first format (<c>CVCKPT01</c>, no hashes)
/// still load, with the same structural checks but no integrity check.</para>
/// <para>The state can carry the run's <see cref="TrainingState.Configuration"/> (compare it with
/// <see cref="ConfigurationDifferences"/> before resuming) and its per-epoch
/// <see cref="TrainingState.History"/>.</para>
/// </remarks>
public static class Checkpoint
{
    private static readonly byte[] Magic = "CVCKPT02"u8.ToArray();
    private static readonly byte[] LegacyMagic = "CVCKPT01"u8.ToArray();
    private const int HashLength = 32;

    // libtorch's CPU generator state (CPUGeneratorImplState): the_initial_seed u64, left i32, seeded i32, next u64,
    // state u64[624], normal_x/y/rho f64, normal_is_valid i32, next_float_normal_sample f32, its valid flag; 5056 bytes.
    private const int MersenneStateN = 624;
    private const int RngLeftOffset = 8;
    private const int RngSeededOffset = 12;
    private const int RngNextOffset = 16;

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
                WriteSection(writer, JsonSerializer.SerializeToUtf8Bytes(new StateDto(state), JsonOptions));
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
    /// <exception cref="InvalidDataException">The file is not a CausalVision checkpoint, is truncated or corrupt (a
    /// section's hash, the RNG or optimiser state, non-finite weights), or belongs to another architecture. Nothing
    /// is applied when a hash or the state fails its check; an error while the weights or the optimiser state load
    /// can leave the module partly loaded.</exception>
    public static TrainingState Load(string path, torch.nn.Module module, torch.optim.Optimizer? optimizer = null, bool restoreRng = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(module);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        }

        var sections = ReadSections(path);
        var dto = ParseState(sections[0], path);
        var moduleBytes = sections[1];
        var optimizerBytes = sections[2];
        var rngBytes = sections[3];
        if (restoreRng && rngBytes.Length > 0)
        {
            ValidateRngState(rngBytes, path);
        }

        if (optimizer is not null && optimizerBytes.Length > 0)
        {
            ValidateOptimizerHeader(optimizerBytes, optimizer, path);
            TorchSharpStateFormat.ValidateOptimizer(optimizerBytes, optimizer, path);
        }

        TorchSharpStateFormat.ValidateModule(moduleBytes, path);

        try
        {
            using (var ms = new MemoryStream(moduleBytes))
            {
                module.load(ms);
            }
        }
        catch (Exception ex) when (ex is ExternalException or ArgumentException or EndOfStreamException or IOException or InvalidOperationException or OverflowException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the weights do not load into {module.GetType().Name} ({FirstLine(ex)}); is it another architecture or a corrupt file?", ex);
        }

        CheckFinite(module, path);
        if (optimizer is not null && optimizerBytes.Length > 0)
        {
            try
            {
                using var ms = new MemoryStream(SameFamilyOptimizerState(optimizerBytes, optimizer.GetType().Name));
                using var r = new BinaryReader(ms);
                AsHelper(optimizer).load_state_dict(r);
            }
            catch (Exception ex) when (ex is ExternalException or ArgumentException or EndOfStreamException or IOException or InvalidOperationException or OverflowException or IndexOutOfRangeException or InvalidCastException or KeyNotFoundException)
            {
                throw new InvalidDataException($"Checkpoint '{path}': the optimiser state does not load into {optimizer.GetType().Name} ({FirstLine(ex)}).", ex);
            }
        }

        if (restoreRng && rngBytes.Length > 0)
        {
            using var rng = torch.tensor(rngBytes, dtype: torch.uint8);
            torch.set_rng_state(rng);
        }

        return dto.ToState();
    }

    /// <summary>Reads only the run state (no weights), e.g. to decide whether to resume; the state's hash is checked.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>The saved run state.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a CausalVision checkpoint, or is truncated or corrupt.</exception>
    public static TrainingState ReadState(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        }

        return ParseState(ReadSections(path)[0], path).ToState();
    }

    /// <summary>
    /// SHA-256 digests of a checkpoint's training content: the weights, the optimiser state and the RNG state (each
    /// section verified first). Two runs that trained identically have equal digests even though their run states
    /// differ in wall-clock seconds (<see cref="EpochSummary.Elapsed"/> in the history), which makes the file bytes differ.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>Lower-case hex digests of the module, optimiser and RNG sections (the hash of an empty section when absent).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a CausalVision checkpoint, or is truncated or corrupt.</exception>
    public static (string Module, string Optimizer, string Rng) ContentDigests(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        }

        var sections = ReadSections(path);
        static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
        return (Hex(sections[1]), Hex(sections[2]), Hex(sections[3]));
    }

    /// <summary>
    /// Lists the settings that differ between a checkpoint's configuration and the current one, as
    /// "name: checkpoint A, now B" lines (empty when they agree or the checkpoint stored none).
    /// </summary>
    /// <param name="saved">The checkpoint's <see cref="TrainingState.Configuration"/>, or null (older checkpoints).</param>
    /// <param name="current">The current run's configuration.</param>
    /// <returns>One line per differing setting, in name order.</returns>
    public static IReadOnlyList<string> ConfigurationDifferences(IReadOnlyDictionary<string, string>? saved, IReadOnlyDictionary<string, string> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (saved is null)
        {
            return [];
        }

        var names = saved.Keys.Union(current.Keys).Order(StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var name in names)
        {
            var a = saved.TryGetValue(name, out var x) ? x : "(absent)";
            var b = current.TryGetValue(name, out var y) ? y : "(absent)";
            if (a != b)
            {
                differences.Add($"{name}: checkpoint {a}, now {b}");
            }
        }

        return differences;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        AllowDuplicateProperties = false,

        // Explicit, so that applications with reflection-based JSON off by default (file-based apps, trimmed or
        // native AOT builds) still read and write checkpoints.
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    private static string FirstLine(Exception ex) => (ex.Message ?? string.Empty).Split('\n', 2)[0].Trim();

    // Reads and verifies every section before anything is parsed or applied.
    private static byte[][] ReadSections(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var reader = new BinaryReader(file, Encoding.UTF8);
            var magic = reader.ReadBytes(Magic.Length);
            var legacy = magic.AsSpan().SequenceEqual(LegacyMagic);
            if (!legacy && !magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException($"'{path}' is not a CausalVision checkpoint (bad magic).");
            }

            var sections = new byte[4][];
            for (var i = 0; i < sections.Length; i++)
            {
                sections[i] = ReadSection(reader, path, hashed: !legacy, SectionNames[i]);
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

    private static readonly string[] SectionNames = ["run state", "weights", "optimiser state", "RNG state"];

    private static StateDto ParseState(byte[] bytes, string path)
    {
        try
        {
            var dto = JsonSerializer.Deserialize<StateDto>(bytes, JsonOptions) ?? throw new InvalidDataException($"Checkpoint '{path}': empty run state.");
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

    // libtorch's set_rng_state aborts the process (an exception through a noexcept boundary) on a state of another
    // size or with an invalid Mersenne-Twister position, so both are checked here first.
    private static void ValidateRngState(byte[] bytes, string path)
    {
        long expected;
        using (var current = torch.get_rng_state())
        {
            expected = current.numel();
        }

        if (bytes.Length != expected)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the RNG state has {bytes.Length} bytes, libtorch's CPU generator expects {expected}.");
        }

        var left = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(RngLeftOffset));
        var seeded = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(RngSeededOffset));
        var next = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(RngNextOffset));
        if (seeded != 1 || left < 1 || left > MersenneStateN || next > MersenneStateN)
        {
            throw new InvalidDataException($"Checkpoint '{path}': invalid mt19937 RNG state (seeded {seeded}, left {left}, next {next}).");
        }
    }

    private static void ValidateOptimizerHeader(byte[] bytes, torch.optim.Optimizer optimizer, string path)
    {
        string saved;
        try
        {
            using var ms = new MemoryStream(bytes);
            using var r = new BinaryReader(ms, new UTF8Encoding(false, true));
            saved = r.ReadString();
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or DecoderFallbackException or FormatException)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the optimiser state is corrupt ({ex.Message}).", ex);
        }

        static string Family(string name) => name switch
        {
            nameof(Adam) or nameof(LeanAdam) => nameof(Adam),
            nameof(AdamW) or nameof(LeanAdamW) => nameof(AdamW),
            _ => name,
        };
        if (Family(saved) != Family(optimizer.GetType().Name))
        {
            throw new InvalidDataException($"Checkpoint '{path}': the optimiser state belongs to '{saved}', not {optimizer.GetType().Name}.");
        }
    }

    private static void CheckFinite(torch.nn.Module module, string path)
    {
        if (TrainingLoop.FirstNonFinite(module) is { } name)
        {
            throw new InvalidDataException($"Checkpoint '{path}': '{name}' holds NaN or infinite values.");
        }
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
        writer.Write(SHA256.HashData(bytes));
        writer.Write(bytes);
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
            Configuration = s.Configuration is null ? null : new Dictionary<string, string>(s.Configuration);
            History = s.History?.Select(e => new EpochDto(e)).ToList();
        }

        public int Stage { get; set; }

        public int Epoch { get; set; }

        public long GlobalStep { get; set; }

        public long Seed { get; set; }

        public Dictionary<string, double> Metrics { get; set; } = [];

        public Dictionary<string, string>? Configuration { get; set; }

        public List<EpochDto>? History { get; set; }

        public TrainingState ToState() => new(Stage, Epoch, GlobalStep, Seed, Metrics)
        {
            Configuration = Configuration,
            History = History?.Select(e => e.ToSummary()).ToList(),
        };
    }

    private sealed class EpochDto
    {
        public EpochDto()
        {
        }

        public EpochDto(EpochSummary e)
        {
            Epoch = e.Epoch;
            TrainLoss = e.TrainLoss;
            LearningRate = e.LearningRate;
            Metrics = new Dictionary<string, double>(e.Metrics);
            Seconds = e.Elapsed.TotalSeconds;
        }

        public int Epoch { get; set; }

        public double TrainLoss { get; set; }

        public double LearningRate { get; set; }

        public Dictionary<string, double> Metrics { get; set; } = [];

        public double Seconds { get; set; }

        public EpochSummary ToSummary() => new(Epoch, TrainLoss, LearningRate, Metrics ?? [], TimeSpan.FromSeconds(double.IsFinite(Seconds) && Seconds >= 0 && Seconds < 1e9 ? Seconds : 0));
    }
}
