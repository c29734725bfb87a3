// Atomic, resumable, self-checking checkpoints: weights, optimiser state, RNG state and run state in one safetensors file.
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CausalVision.Weights;
using TorchSharp;
using TorchSharp.Modules;

namespace CausalVision.Training;

/// <summary>
/// Saves and restores a training run. One file holds the module's state dict, the optimiser's
/// state, TorchSharp's CPU RNG state and the <see cref="TrainingState"/>, so a resumed run
/// continues exactly where the saved one stopped.
/// </summary>
/// <remarks>
/// <para>Writes are atomic: the checkpoint is written to a temporary file in the same folder, flushed
/// to disk, then renamed over the target, so a crash mid-write never leaves a truncated
/// checkpoint behind.</para>
/// <para>Layout: a safetensors file. Tensors: <c>module.NAME</c> for every entry of the module's state dict (its own
/// dtype and shape), <c>optimizer.state</c> (U8, the optimiser's TorchSharp <c>save_state_dict</c> bytes; absent
/// without an optimiser) and <c>rng.cpu</c> (U8, libtorch's CPU generator state). <c>__metadata__</c>:
/// <c>format</c> = <see cref="Format"/>, <c>format_version</c> = <see cref="FormatVersion"/>, the run state
/// (<c>stage</c>, <c>epoch</c>, <c>global_step</c>, <c>seed</c>; <c>metrics</c>, <c>configuration</c> and
/// <c>history</c> as JSON) and four SHA-256 digests: <c>sha256.module</c>, <c>sha256.optimizer</c> and
/// <c>sha256.rng</c> over each tensor group (name, dtype, shape and bytes of each tensor in name order) and
/// <c>sha256.state</c> over every other metadata entry. Optimiser state saved by <see cref="LeanAdam"/> loads into
/// TorchSharp's <c>Adam</c> and back (likewise AdamW).</para>
/// <para>Load checks before it applies anything: every digest, the run state (duplicate JSON keys rejected), the
/// RNG state's size and Mersenne-Twister fields (libtorch aborts the process on a bad one instead of throwing),
/// the optimiser state's layout, and that the weights match the module's state dict name for name, in shape and
/// dtype, and are finite. Errors libtorch reports while the optimiser state loads become
/// <see cref="InvalidDataException"/>. Files of the earlier layouts (<c>CVCKPT02</c>, hashed sections, and
/// <c>CVCKPT01</c>, no hashes) still load with their own checks; new files are always safetensors.</para>
/// <para>The state can carry the run's <see cref="TrainingState.Configuration"/> (compare it with
/// <see cref="ConfigurationDifferences"/> before resuming) and its per-epoch
/// <see cref="TrainingState.History"/>.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The <c>format</c> metadata tag of a checkpoint.</summary>
    public const string Format = "causalvision.checkpoint";

    /// <summary>The <c>format_version</c> written and read.</summary>
    public const int FormatVersion = 1;

    private const string What = "Checkpoint";
    private const string ModulePrefix = "module.";
    private const string OptimizerTensor = "optimizer.state";
    private const string RngTensor = "rng.cpu";
    private const string DigestPrefix = "sha256.";

    // libtorch's CPU generator state (CPUGeneratorImplState): the_initial_seed u64, left i32, seeded i32, next u64,
    // state u64[624], normal_x/y/rho f64, normal_is_valid i32, next_float_normal_sample f32, its valid flag; 5056 bytes.
    private const int MersenneStateN = 624;
    private const int RngLeftOffset = 8;
    private const int RngSeededOffset = 12;
    private const int RngNextOffset = 16;

    private static readonly string[] Groups = ["module", "optimizer", "rng"];

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
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in module.state_dict())
        {
            tensors[ModulePrefix + name] = t.detach().cpu().contiguous();
        }

        if (optimizer is not null)
        {
            var bytes = Serialize(w => AsHelper(optimizer).save_state_dict(w));
            tensors[OptimizerTensor] = torch.tensor(bytes, new long[] { bytes.Length }, torch.ScalarType.Byte);
        }

        tensors[RngTensor] = torch.get_rng_state();
        var metadata = StateMetadata(state);
        Rehash(tensors, metadata);
        using var writer = new StateFileWriter(Format, FormatVersion);
        foreach (var (key, value) in metadata)
        {
            if (key is not StateFileReader.FormatKey and not StateFileReader.VersionKey)
            {
                writer.Set(key, value);
            }
        }

        foreach (var (name, t) in tensors)
        {
            writer.Add(name, t);
        }

        writer.Save(path);
    }

    /// <summary>Restores a checkpoint into <paramref name="module"/> (and the optimiser and RNG).</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="module">The model, built with the same architecture.</param>
    /// <param name="optimizer">The optimiser over the module's parameters, or null to skip its state.</param>
    /// <param name="restoreRng">Whether to restore TorchSharp's CPU RNG state (needed for an exact resume).</param>
    /// <returns>The saved run state.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a CausalVision checkpoint, is truncated or corrupt (a
    /// digest, the run state, the RNG or optimiser state, non-finite weights), or belongs to another architecture
    /// (weights missing, extra, or of another shape or dtype). The message names the file and the field or tensor.
    /// Nothing is applied when any of these checks fails; an error libtorch raises while the optimiser state loads
    /// leaves the weights loaded.</exception>
    public static TrainingState Load(string path, torch.nn.Module module, torch.optim.Optimizer? optimizer = null, bool restoreRng = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(module);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        }

        if (LegacyCheckpoint.IsLegacy(path))
        {
            return LegacyCheckpoint.Load(path, module, optimizer, restoreRng);
        }

        using var scope = torch.NewDisposeScope();
        using var r = StateFileReader.Open(path, Format, FormatVersion, What);
        var state = ReadVerified(r);
        var rngBytes = r.HasTensor(RngTensor) ? r.GetBytes(RngTensor) : null;
        var optimizerBytes = r.HasTensor(OptimizerTensor) ? r.GetBytes(OptimizerTensor) : null;
        if (restoreRng && rngBytes is not null)
        {
            ValidateRngState(rngBytes, path);
        }

        if (optimizer is not null && optimizerBytes is not null)
        {
            ValidateOptimizerHeader(optimizerBytes, optimizer, path);
            TorchSharpStateFormat.ValidateOptimizer(optimizerBytes, optimizer, path);
        }

        var targets = module.state_dict();
        var sources = new List<(torch.Tensor Target, torch.Tensor Source)>();
        foreach (var (name, target) in targets.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var key = ModulePrefix + name;
            if (!r.HasTensor(key))
            {
                throw r.Error($"tensor '{key}'", $"missing: {module.GetType().Name} has '{name}' but the checkpoint does not (another architecture?).");
            }

            var source = r.GetTensor(key, [target.dtype], target.shape);
            if (source.is_floating_point() && !source.isfinite().all().item<bool>())
            {
                throw new InvalidDataException($"Checkpoint '{path}': '{name}' holds NaN or infinite values.");
            }

            sources.Add((target, source));
        }

        foreach (var name in r.TensorNames.Order(StringComparer.Ordinal))
        {
            if (name.StartsWith(ModulePrefix, StringComparison.Ordinal) && !targets.ContainsKey(name[ModulePrefix.Length..]))
            {
                throw r.Error($"tensor '{name}'", $"{module.GetType().Name} has no '{name[ModulePrefix.Length..]}' (another architecture?).");
            }
        }

        using (torch.no_grad())
        {
            foreach (var (target, source) in sources)
            {
                target.copy_(source);
            }
        }

        if (optimizer is not null && optimizerBytes is not null)
        {
            LoadOptimizer(optimizerBytes, optimizer, path);
        }

        if (restoreRng && rngBytes is not null)
        {
            using var rng = torch.tensor(rngBytes, dtype: torch.uint8);
            torch.set_rng_state(rng);
        }

        return state;
    }

    /// <summary>Reads only the run state (no weights), e.g. to decide whether to resume; the state's digest is checked.</summary>
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

        if (LegacyCheckpoint.IsLegacy(path))
        {
            return LegacyCheckpoint.ReadState(path);
        }

        using var r = StateFileReader.OpenMetadata(path, Format, FormatVersion, What);
        VerifyDigest(r, "state", StateDigest(r.Metadata));
        foreach (var group in Groups)
        {
            _ = r.GetString(DigestPrefix + group);
        }

        var state = ParseState(r);
        r.RejectUnread();
        return state;
    }

    /// <summary>
    /// SHA-256 digests of a checkpoint's training content: the weights, the optimiser state and the RNG state (each
    /// verified first). Two runs that trained identically have equal digests even though their run states differ in
    /// wall-clock seconds (<see cref="EpochSummary.Elapsed"/> in the history), which makes the file bytes differ.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>Lower-case hex digests of the module, optimiser and RNG tensor groups (for a legacy file: of its
    /// sections; the digest of nothing when absent).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a CausalVision checkpoint, or is truncated or corrupt.</exception>
    public static (string Module, string Optimizer, string Rng) ContentDigests(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        }

        if (LegacyCheckpoint.IsLegacy(path))
        {
            return LegacyCheckpoint.ContentDigests(path);
        }

        using var scope = torch.NewDisposeScope();
        using var r = StateFileReader.Open(path, Format, FormatVersion, What);
        _ = ReadVerified(r);
        return (r.Metadata[DigestPrefix + "module"], r.Metadata[DigestPrefix + "optimizer"], r.Metadata[DigestPrefix + "rng"]);
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

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        AllowDuplicateProperties = false,

        // Explicit, so that applications with reflection-based JSON off by default (file-based apps, trimmed or
        // native AOT builds) still read and write checkpoints.
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    internal static string FirstLine(Exception ex) => (ex.Message ?? string.Empty).Split('\n', 2)[0].Trim();

    /// <summary>Recomputes the four <c>sha256.*</c> metadata entries of a checkpoint's content.</summary>
    /// <param name="tensors">The tensors (CPU, contiguous).</param>
    /// <param name="metadata">The metadata; its digest entries are replaced.</param>
    internal static void Rehash(IReadOnlyDictionary<string, torch.Tensor> tensors, IDictionary<string, string> metadata)
    {
        foreach (var group in Groups)
        {
            metadata.Remove(DigestPrefix + group);
        }

        metadata.Remove(DigestPrefix + "state");
        metadata[StateFileReader.FormatKey] = metadata.TryGetValue(StateFileReader.FormatKey, out var f) ? f : Format;
        metadata[StateFileReader.VersionKey] = metadata.TryGetValue(StateFileReader.VersionKey, out var v) ? v : FormatVersion.ToString(CultureInfo.InvariantCulture);
        var state = StateDigest(new Dictionary<string, string>(metadata, StringComparer.Ordinal));
        foreach (var group in Groups)
        {
            metadata[DigestPrefix + group] = GroupDigest(tensors, group);
        }

        metadata[DigestPrefix + "state"] = state;
    }

    // Verifies every digest, refuses unknown tensors and metadata, and parses the run state.
    private static TrainingState ReadVerified(StateFileReader r)
    {
        VerifyDigest(r, "state", StateDigest(r.Metadata));
        var tensors = r.TensorNames.ToDictionary(n => n, r.GetTensor, StringComparer.Ordinal);
        foreach (var name in tensors.Keys.Order(StringComparer.Ordinal))
        {
            if (GroupOf(name) is null)
            {
                throw r.Error($"tensor '{name}'", "unexpected in a checkpoint.");
            }
        }

        foreach (var group in Groups)
        {
            VerifyDigest(r, group, GroupDigest(tensors, group));
        }

        var state = ParseState(r);
        r.RejectUnread();
        return state;
    }

    private static string? GroupOf(string name) => name switch
    {
        OptimizerTensor => "optimizer",
        RngTensor => "rng",
        _ when name.StartsWith(ModulePrefix, StringComparison.Ordinal) && name.Length > ModulePrefix.Length => "module",
        _ => null,
    };

    private static void VerifyDigest(StateFileReader r, string group, string actual)
    {
        var key = DigestPrefix + group;
        var stored = r.GetString(key);
        if (!string.Equals(stored, actual, StringComparison.Ordinal))
        {
            var what = group switch
            {
                "state" => "the run state",
                "module" => "the weights",
                "optimizer" => "the optimiser state",
                _ => "the RNG state",
            };
            throw r.Error($"metadata '{key}'", $"corrupt: {what} does not match its SHA-256.");
        }
    }

    // SHA-256 over the metadata entries other than the digests, in ordinal key order (length-prefixed UTF-8).
    private static string StateDigest(IReadOnlyDictionary<string, string> metadata)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (key, value) in metadata.Where(p => !p.Key.StartsWith(DigestPrefix, StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            AppendText(hash, key);
            AppendText(hash, value);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // SHA-256 over one tensor group: each tensor's name, dtype, shape and bytes, in ordinal name order.
    private static string GroupDigest(IReadOnlyDictionary<string, torch.Tensor> tensors, string group)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        foreach (var (name, t) in tensors.Where(p => GroupOf(p.Key) == group).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            AppendText(hash, name);
            AppendText(hash, t.dtype.ToString());
            BinaryPrimitives.WriteInt64LittleEndian(number, t.dim());
            hash.AppendData(number);
            foreach (var d in t.shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(number, d);
                hash.AppendData(number);
            }

            if (t.numel() > 0)
            {
                using var c = t.cpu().contiguous();
                hash.AppendData(c.bytes);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendText(IncrementalHash hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }

    private static Dictionary<string, string> StateMetadata(TrainingState s)
    {
        var m = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["stage"] = s.Stage.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = s.Epoch.ToString(CultureInfo.InvariantCulture),
            ["global_step"] = s.GlobalStep.ToString(CultureInfo.InvariantCulture),
            ["seed"] = s.Seed.ToString(CultureInfo.InvariantCulture),
            ["metrics"] = JsonSerializer.Serialize(new Dictionary<string, double>(s.Metrics), JsonOptions),
        };
        if (s.Configuration is not null)
        {
            m["configuration"] = JsonSerializer.Serialize(new Dictionary<string, string>(s.Configuration), JsonOptions);
        }

        if (s.History is not null)
        {
            m["history"] = JsonSerializer.Serialize(s.History.Select(e => new EpochDto(e)).ToList(), JsonOptions);
        }

        return m;
    }

    private static TrainingState ParseState(StateFileReader r)
    {
        var stage = r.GetInt32("stage");
        var epoch = r.GetInt32("epoch");
        var step = r.GetInt64("global_step");
        var seed = r.GetInt64("seed");
        if (stage < 0 || epoch < 0 || step < 0)
        {
            throw r.Error("metadata", $"invalid run state (stage {stage}, epoch {epoch}, step {step}).");
        }

        var metrics = Json<Dictionary<string, double>>(r, "metrics", r.GetString("metrics"));
        var configuration = r.GetOptionalString("configuration") is { } c ? Json<Dictionary<string, string>>(r, "configuration", c) : null;
        var history = r.GetOptionalString("history") is { } h ? Json<List<EpochDto>>(r, "history", h) : null;
        if (history is not null && history.Any(e => e is null))
        {
            throw r.Error("metadata 'history'", "holds a null epoch.");
        }

        return new TrainingState(stage, epoch, step, seed, metrics)
        {
            Configuration = configuration,
            History = history?.Select(e => e.ToSummary()).ToList(),
        };
    }

    private static T Json<T>(StateFileReader r, string key, string json)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, JsonOptions) ?? throw r.Error($"metadata '{key}'", "is null.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or DecoderFallbackException)
        {
            throw r.Error($"metadata '{key}'", $"corrupt JSON ({FirstLine(ex)}).", ex);
        }
    }

    internal static void LoadOptimizer(byte[] bytes, torch.optim.Optimizer optimizer, string path)
    {
        try
        {
            using var ms = new MemoryStream(SameFamilyOptimizerState(bytes, optimizer.GetType().Name));
            using var r = new BinaryReader(ms);
            AsHelper(optimizer).load_state_dict(r);
        }
        catch (Exception ex) when (ex is ExternalException or ArgumentException or EndOfStreamException or IOException or InvalidOperationException or OverflowException or IndexOutOfRangeException or InvalidCastException or KeyNotFoundException)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the optimiser state does not load into {optimizer.GetType().Name} ({FirstLine(ex)}).", ex);
        }
    }

    // libtorch's set_rng_state aborts the process (an exception through a noexcept boundary) on a state of another
    // size or with an invalid Mersenne-Twister position, so both are checked here first.
    internal static void ValidateRngState(byte[] bytes, string path)
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

    internal static void ValidateOptimizerHeader(byte[] bytes, torch.optim.Optimizer optimizer, string path)
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

    internal sealed class StateDto
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

    internal sealed class EpochDto
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
