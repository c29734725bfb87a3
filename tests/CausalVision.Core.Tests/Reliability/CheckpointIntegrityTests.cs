using System.Security.Cryptography;
using System.Text;
using CausalVision.Training;

namespace CausalVision.Tests.Reliability;

/// <summary>Checkpoints check themselves: hashes, RNG and optimiser state, non-finite weights, configuration, history.</summary>
public sealed class CheckpointIntegrityTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-ckint-" + Guid.NewGuid().ToString("N"));

    public CheckpointIntegrityTests() => Directory.CreateDirectory(dir);

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static (nn.Module<Tensor, Tensor> Model, optim.Optimizer Opt) Make(long seed)
    {
        manual_seed(seed);
        var model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2));
        var opt = optim.Adam(model.parameters(), 0.01);
        using var scope = NewDisposeScope();
        opt.zero_grad();
        model.call(randn(5, 3)).pow(2).mean().backward();
        opt.step();
        return (model, opt);
    }

    // The sections of a CVCKPT02 file: (offset of the length field, length, bytes).
    internal static List<byte[]> Sections(byte[] file)
    {
        var list = new List<byte[]>();
        var pos = 8;
        for (var i = 0; i < 4; i++)
        {
            var len = (int)BitConverter.ToInt64(file, pos);
            list.Add(file.AsSpan(pos + 8 + 32, len).ToArray());
            pos += 8 + 32 + len;
        }

        return list;
    }

    internal static byte[] Compose(IReadOnlyList<byte[]> sections, bool legacy = false)
    {
        using var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes(legacy ? "CVCKPT01" : "CVCKPT02"));
        foreach (var s in sections)
        {
            ms.Write(BitConverter.GetBytes((long)s.Length));
            if (!legacy)
            {
                ms.Write(SHA256.HashData(s));
            }

            ms.Write(s);
        }

        return ms.ToArray();
    }

    private string Saved(out nn.Module<Tensor, Tensor> model, TrainingState? state = null)
    {
        var (m, o) = Make(3);
        var path = Path.Combine(dir, "a.ckpt");
        Checkpoint.Save(path, m, o, state ?? new TrainingState(0, 2, 10, 3, new Dictionary<string, double> { ["acc"] = 0.5 }));
        o.Dispose();
        model = m;
        return path;
    }

    private static float[] Weights(nn.Module model) => model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Load_ChangedByteInAnySection_ThrowsBeforeApplyingAnything(int section)
    {
        var path = Saved(out var source);
        source.Dispose();
        var bytes = File.ReadAllBytes(path);
        var offset = 8;
        for (var i = 0; i < section; i++)
        {
            offset += 8 + 32 + (int)BitConverter.ToInt64(bytes, offset);
        }

        bytes[offset + 8 + 32 + 5] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        var (target, opt) = Make(11);
        var before = Weights(target);
        using var rngBefore = get_rng_state();
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, target, opt));
        Assert.Contains("SHA-256", ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Equal(before, Weights(target));
        using var rngAfter = get_rng_state();
        Assert.Equal(rngBefore.data<byte>().ToArray(), rngAfter.data<byte>().ToArray());
    }

    [Theory]
    [InlineData(8, 0)]      // left = 0
    [InlineData(8, 625)]    // left > 624
    [InlineData(12, 0)]     // not seeded
    [InlineData(16, 9999)]  // next > 624
    public void Load_InvalidMt19937StateWithValidHash_ThrowsInsteadOfAborting(int offset, int value)
    {
        var path = Saved(out var m);
        var sections = Sections(File.ReadAllBytes(path));
        BitConverter.GetBytes(value).CopyTo(sections[3], offset);
        File.WriteAllBytes(path, Compose(sections));
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, m));
        Assert.Contains("mt19937", ex.Message);
    }

    [Fact]
    public void Load_RngStateOfWrongSize_Throws()
    {
        var path = Saved(out var m);
        var sections = Sections(File.ReadAllBytes(path));
        sections[3] = sections[3][..100];
        File.WriteAllBytes(path, Compose(sections));
        Assert.Contains("RNG state has 100 bytes", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, m)).Message);
    }

    [Fact]
    public void Load_CorruptOptimizerStateWithValidHash_ThrowsInvalidData()
    {
        var path = Saved(out var m);
        var sections = Sections(File.ReadAllBytes(path));
        var rng = new Random(5);
        var failures = 0;
        for (var trial = 0; trial < 40; trial++)
        {
            var opt = sections[2].ToArray();
            for (var k = 0; k < 2; k++)
            {
                opt[rng.Next(8, opt.Length)] = (byte)rng.Next(256);
            }

            File.WriteAllBytes(path, Compose([sections[0], sections[1], opt, sections[3]]));
            var (target, o) = Make(1);
            try
            {
                Checkpoint.Load(path, target, o);
            }
            catch (InvalidDataException)
            {
                failures++;
            }
        }

        Assert.True(failures > 0, "no corrupted optimiser state was detected");
    }

    [Fact]
    public void Load_NonFiniteWeight_ThrowsInvalidData()
    {
        var (m, o) = Make(2);
        using (no_grad())
        {
            m.parameters().First()[0, 0] = float.PositiveInfinity;
        }

        var path = Path.Combine(dir, "inf.ckpt");
        Checkpoint.Save(path, m, o, TrainingState.Start(2));
        var (target, _) = Make(4);
        Assert.Contains("NaN or infinite", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, target)).Message);
    }

    [Fact]
    public void Load_DuplicateJsonKeyInState_ThrowsInvalidData()
    {
        var path = Saved(out var m);
        var sections = Sections(File.ReadAllBytes(path));
        sections[0] = Encoding.UTF8.GetBytes("{\"Stage\":0,\"Epoch\":1,\"Epoch\":5,\"GlobalStep\":1,\"Seed\":3,\"Metrics\":{}}");
        File.WriteAllBytes(path, Compose(sections));
        Assert.Throws<InvalidDataException>(() => Checkpoint.ReadState(path));
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, m));
    }

    [Fact]
    public void Load_LegacyFormat_StillLoads()
    {
        var path = Saved(out var source);
        var sections = Sections(File.ReadAllBytes(path));
        var legacy = Path.Combine(dir, "old.ckpt");
        File.WriteAllBytes(legacy, Compose(sections, legacy: true));
        var (target, opt) = Make(9);
        var state = Checkpoint.Load(legacy, target, opt);
        Assert.Equal(2, state.Epoch);
        Assert.Equal(Weights(source), Weights(target));
    }

    [Fact]
    public void SaveLoad_ConfigurationAndHistory_RoundTrip()
    {
        var history = new List<EpochSummary> { new(1, 0.9, 0.01, new Dictionary<string, double> { ["acc@1"] = 0.4 }, TimeSpan.FromSeconds(2)) };
        var config = new Dictionary<string, string> { ["BatchSize"] = "8", ["Seed"] = "3" };
        var path = Saved(out _, new TrainingState(0, 1, 4, 3, new Dictionary<string, double>()) { Configuration = config, History = history });
        var state = Checkpoint.ReadState(path);
        Assert.Equal(config, state.Configuration);
        Assert.Single(state.History!);
        Assert.Equal(0.4, state.History![0].Metrics["acc@1"]);
        Assert.Equal(["BatchSize: checkpoint 8, now 16"], Checkpoint.ConfigurationDifferences(config, new Dictionary<string, string> { ["BatchSize"] = "16", ["Seed"] = "3" }));
        Assert.Empty(Checkpoint.ConfigurationDifferences(null, config));
    }
}
