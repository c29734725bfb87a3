using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CausalVision.Training;
using CausalVision.Weights;

namespace CausalVision.Tests.Reliability;

/// <summary>Checkpoints check themselves: digests, RNG and optimiser state, weights against the module, configuration,
/// history; the legacy CVCKPT02 / CVCKPT01 layouts still load.</summary>
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

    /// <summary>Rewrites a checkpoint after <paramref name="edit"/>; with <paramref name="rehash"/> its digests are recomputed.</summary>
    internal static byte[] Edit(byte[] file, Action<Dictionary<string, Tensor>, Dictionary<string, string>> edit, bool rehash = true)
        => StateFileMutator.Edit(file, (t, m) =>
        {
            edit(t, m);
            if (rehash)
            {
                Checkpoint.Rehash(t, m);
            }
        });

    // The sections of a legacy CVCKPT02 file.
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

    // A legacy file from its sections (CVCKPT02 with a SHA-256 per section, CVCKPT01 without).
    internal static byte[] Compose(IReadOnlyList<byte[]> sections, bool unhashed = false)
    {
        using var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes(unhashed ? "CVCKPT01" : "CVCKPT02"));
        foreach (var s in sections)
        {
            ms.Write(BitConverter.GetBytes((long)s.Length));
            if (!unhashed)
            {
                ms.Write(SHA256.HashData(s));
            }

            ms.Write(s);
        }

        return ms.ToArray();
    }

    // The legacy writer's sections: run state JSON, Module.save bytes, the optimiser's save_state_dict bytes, the RNG state.
    internal static List<byte[]> LegacySections(nn.Module model, optim.Optimizer opt, int epoch)
    {
        static byte[] Bytes(Action<BinaryWriter> write)
        {
            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
            {
                write(w);
            }

            return ms.ToArray();
        }

        using var rng = get_rng_state();
        return
        [
            Encoding.UTF8.GetBytes($"{{\"Stage\":0,\"Epoch\":{epoch},\"GlobalStep\":10,\"Seed\":3,\"Metrics\":{{\"acc\":0.5}}}}"),
            Bytes(w => model.save(w)),
            Bytes(w => ((TorchSharp.Modules.OptimizerHelper)opt).save_state_dict(w)),
            rng.data<byte>().ToArray(),
        ];
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

    private static byte[] Rng()
    {
        using var rng = get_rng_state();
        return rng.data<byte>().ToArray();
    }

    // Loads into a fresh model and optimiser and checks that nothing was applied when it throws.
    private static InvalidDataException FailsBeforeApplying(string path)
    {
        var (target, opt) = Make(11);
        var before = Weights(target);
        var rngBefore = Rng();
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, target, opt));
        Assert.Contains(path, ex.Message);
        Assert.Equal(before, Weights(target));
        Assert.Equal(rngBefore, Rng());
        return ex;
    }

    [Fact]
    public void Save_WritesSafeTensorsWithTensorGroupsAndDigests()
    {
        var path = Saved(out var m);
        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(Checkpoint.Format, header.Metadata["format"]);
        Assert.Equal("1", header.Metadata["format_version"]);
        Assert.Equal(("0", "2", "10", "3"), (header.Metadata["stage"], header.Metadata["epoch"], header.Metadata["global_step"], header.Metadata["seed"]));
        Assert.Equal("{\"acc\":0.5}", header.Metadata["metrics"]);
        Assert.All(new[] { "module", "optimizer", "rng", "state" }, g => Assert.Matches("^[0-9a-f]{64}$", header.Metadata["sha256." + g]));
        string Entry(string name) => header.Entries.Where(e => e.Name == name).Select(e => $"{e.DType} [{string.Join(", ", e.Shape)}]").Single();
        Assert.Equal("F32 [4, 3]", Entry("module.0.weight"));
        Assert.Equal("F32 [2]", Entry("module.2.bias"));
        Assert.Equal("U8 [5056]", Entry("rng.cpu"));
        Assert.StartsWith("U8 [", Entry("optimizer.state"));
        Assert.Equal(6, header.Entries.Count);
        var digests = Checkpoint.ContentDigests(path);
        Assert.Equal((header.Metadata["sha256.module"], header.Metadata["sha256.optimizer"], header.Metadata["sha256.rng"]), digests);
        m.Dispose();
    }

    [Theory]
    [InlineData("module.0.weight")]
    [InlineData("optimizer.state")]
    [InlineData("rng.cpu")]
    [InlineData("epoch")]
    public void Load_ChangedByteInAnyGroup_ThrowsBeforeApplyingAnything(string field)
    {
        var path = Saved(out var source);
        source.Dispose();
        File.WriteAllBytes(path, Edit(File.ReadAllBytes(path), (t, m) =>
        {
            if (t.TryGetValue(field, out var x))
            {
                var copy = x.clone();
                copy.bytes[5] ^= 0x5A;
                t[field] = copy;
            }
            else
            {
                m[field] = "7";
            }
        }, rehash: false));
        var ex = FailsBeforeApplying(path);
        Assert.Contains("SHA-256", ex.Message);
    }

    [Theory]
    [InlineData(8, 0)]      // left = 0
    [InlineData(8, 625)]    // left > 624
    [InlineData(12, 0)]     // not seeded
    [InlineData(16, 9999)]  // next > 624
    public void Load_InvalidMt19937StateWithValidHash_ThrowsInsteadOfAborting(int offset, int value)
    {
        var path = Saved(out var m);
        File.WriteAllBytes(path, Edit(File.ReadAllBytes(path), (t, _) =>
        {
            var rng = t["rng.cpu"].clone();
            BitConverter.GetBytes(value).CopyTo(rng.bytes[offset..]);
            t["rng.cpu"] = rng;
        }));
        Assert.Contains("mt19937", FailsBeforeApplying(path).Message);
        m.Dispose();
    }

    [Fact]
    public void Load_RngStateOfWrongSize_Throws()
    {
        var path = Saved(out var m);
        File.WriteAllBytes(path, Edit(File.ReadAllBytes(path), (t, _) => t["rng.cpu"] = t["rng.cpu"].narrow(0, 0, 100)));
        Assert.Contains("RNG state has 100 bytes", FailsBeforeApplying(path).Message);
        m.Dispose();
    }

    [Fact]
    public void Load_CorruptOptimizerStateWithValidHash_ThrowsInvalidData()
    {
        var path = Saved(out var m);
        var good = File.ReadAllBytes(path);
        var rng = new Random(5);
        var failures = 0;
        for (var trial = 0; trial < 40; trial++)
        {
            File.WriteAllBytes(path, Edit(good, (t, _) =>
            {
                var opt = t["optimizer.state"].clone();
                for (var k = 0; k < 2; k++)
                {
                    opt.bytes[rng.Next(8, (int)opt.numel())] = (byte)rng.Next(256);
                }

                t["optimizer.state"] = opt;
            }));
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
        m.Dispose();
    }

    [Fact]
    public void Load_NonFiniteWeight_ThrowsBeforeApplyingAnything()
    {
        var (m, o) = Make(2);
        using (no_grad())
        {
            m.parameters().First()[0, 0] = float.PositiveInfinity;
        }

        var path = Path.Combine(dir, "inf.ckpt");
        Checkpoint.Save(path, m, o, TrainingState.Start(2));
        Assert.Contains("'0.weight' holds NaN or infinite", FailsBeforeApplying(path).Message);
    }

    [Fact]
    public void Load_WeightsOfAnotherArchitectureOrDtype_ThrowBeforeApplyingAnything()
    {
        var path = Saved(out var m);
        var good = File.ReadAllBytes(path);
        File.WriteAllBytes(path, Edit(good, (t, _) => t["module.0.bias"] = t["module.0.bias"].to(ScalarType.Int64)));
        Assert.Contains("tensor 'module.0.bias': dtype Int64, expected Float32", FailsBeforeApplying(path).Message);
        File.WriteAllBytes(path, Edit(good, (t, _) => t["module.2.weight"] = zeros(3, 4)));
        Assert.Contains("tensor 'module.2.weight': shape [3, 4], expected [2, 4]", FailsBeforeApplying(path).Message);
        File.WriteAllBytes(path, Edit(good, (t, _) => t.Remove("module.2.bias")));
        Assert.Contains("tensor 'module.2.bias': missing", FailsBeforeApplying(path).Message);
        File.WriteAllBytes(path, Edit(good, (t, _) => t["module.3.weight"] = zeros(1)));
        Assert.Contains("tensor 'module.3.weight'", FailsBeforeApplying(path).Message);
        File.WriteAllBytes(path, Edit(good, (t, _) => t["extra"] = zeros(1)));
        Assert.Contains("tensor 'extra': unexpected", FailsBeforeApplying(path).Message);
        m.Dispose();
    }

    [Fact]
    public void Load_DuplicateJsonKeyInState_ThrowsInvalidData()
    {
        var path = Saved(out var m);
        File.WriteAllBytes(path, Edit(File.ReadAllBytes(path), (_, md) => md["metrics"] = "{\"acc\":1,\"acc\":5}"));
        Assert.Contains("metadata 'metrics'", Assert.Throws<InvalidDataException>(() => Checkpoint.ReadState(path)).Message);
        FailsBeforeApplying(path);
        File.WriteAllBytes(path, Edit(File.ReadAllBytes(path), (_, md) => md["epoch"] = "-1"));
        Assert.Contains("invalid run state", Assert.Throws<InvalidDataException>(() => Checkpoint.ReadState(path)).Message);
        m.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_LegacyLayoutWrittenByTheLegacyWriter_StillLoads(bool unhashed)
    {
        var (m, o) = Make(3);
        var legacy = Path.Combine(dir, "old.ckpt");
        File.WriteAllBytes(legacy, Compose(LegacySections(m, o, epoch: 2), unhashed));
        var (target, opt) = Make(9);
        var state = Checkpoint.Load(legacy, target, opt);
        Assert.Equal(2, state.Epoch);
        Assert.Equal(Weights(m), Weights(target));
        Assert.Equal(2, Checkpoint.ReadState(legacy).Epoch);
        _ = Checkpoint.ContentDigests(legacy);

        // Saved again, it is a safetensors checkpoint with the same content.
        var resaved = Path.Combine(dir, "new.ckpt");
        Checkpoint.Save(resaved, target, opt, state);
        Assert.Equal((byte)'{', File.ReadAllBytes(resaved)[8]);
        var (again, againOpt) = Make(10);
        Checkpoint.Load(resaved, again, againOpt);
        Assert.Equal(Weights(m), Weights(again));
    }

    [Fact]
    public void Load_LegacyFixture_SameContent()
    {
        var e = LegacyFixtures.Json("checkpoint.json");
        var fixture = LegacyFixtures.Bytes("checkpoint.cvckpt02");
        foreach (var unhashed in new[] { false, true })
        {
            var path = Path.Combine(dir, unhashed ? "fixture.cvckpt01" : "fixture.cvckpt02");
            File.WriteAllBytes(path, unhashed ? Compose(Sections(fixture), unhashed: true) : fixture);
            var (target, opt) = Make(12);
            var state = Checkpoint.Load(path, target, opt);
            Assert.Equal((1, 2, 7L, 5L), (state.Stage, state.Epoch, state.GlobalStep, state.Seed));
            Assert.Equal(0.25, state.Metrics["acc"]);
            Assert.Equal("5", state.Configuration!["BatchSize"]);
            Assert.Equal(1.5, state.History!.Single().Elapsed.TotalSeconds);
            foreach (var (name, t) in target.state_dict())
            {
                Assert.Equal(LegacyFixtures.Floats(e.GetProperty("Weights").GetProperty(name)), t.data<float>().ToArray());
            }

            using (var ms = new MemoryStream())
            {
                using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
                {
                    ((TorchSharp.Modules.OptimizerHelper)opt).save_state_dict(w);
                }

                Assert.Equal(e.GetProperty("OptimizerSha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(ms.ToArray())));
            }

            Assert.Equal(Convert.FromBase64String(e.GetProperty("Rng").GetString()!), Rng());
        }
    }

    [Fact]
    public void SaveLoad_ConfigurationAndHistory_RoundTrip()
    {
        var history = new List<EpochSummary> { new(1, 0.9, 0.01, new Dictionary<string, double> { ["acc@1"] = 0.4 }, TimeSpan.FromSeconds(2)) };
        var config = new Dictionary<string, string> { ["BatchSize"] = "8", ["Seed"] = "3" };
        var path = Saved(out _, new TrainingState(0, 1, 4, 3, new Dictionary<string, double>()) { Configuration = config, History = history });
        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(config, JsonSerializer.Deserialize<Dictionary<string, string>>(header.Metadata["configuration"]));
        var state = Checkpoint.ReadState(path);
        Assert.Equal(config, state.Configuration);
        Assert.Single(state.History!);
        Assert.Equal(0.4, state.History![0].Metrics["acc@1"]);
        Assert.Equal(["BatchSize: checkpoint 8, now 16"], Checkpoint.ConfigurationDifferences(config, new Dictionary<string, string> { ["BatchSize"] = "16", ["Seed"] = "3" }));
        Assert.Empty(Checkpoint.ConfigurationDifferences(null, config));
    }
}
