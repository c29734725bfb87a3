using CausalVision.Training;

namespace CausalVision.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (nn.Module<Tensor, Tensor> Model, optim.Optimizer Opt) Make(long seed)
    {
        manual_seed(seed);
        var model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2));
        return (model, optim.Adam(model.parameters(), 0.01));
    }

    private static float Step(nn.Module<Tensor, Tensor> model, optim.Optimizer opt)
    {
        using var scope = NewDisposeScope();
        var x = randn(5, 3);
        opt.zero_grad();
        var loss = model.call(x).pow(2).mean();
        loss.backward();
        opt.step();
        return loss.item<float>();
    }

    [Fact]
    public void SaveLoad_Resume_ContinuesExactly()
    {
        var path = Path.Combine(dir, "run.ckpt");

        // Reference: 6 uninterrupted steps.
        var (m1, o1) = Make(7);
        var reference = Enumerable.Range(0, 6).Select(_ => Step(m1, o1)).ToArray();

        // Interrupted: 3 steps, checkpoint, fresh objects, resume 3 more.
        var (m2, o2) = Make(7);
        for (var i = 0; i < 3; i++)
        {
            Step(m2, o2);
        }

        Checkpoint.Save(path, m2, o2, new TrainingState(1, 3, 3, 7, new Dictionary<string, double> { ["acc"] = 0.5 }));
        var (m3, o3) = Make(99);
        var state = Checkpoint.Load(path, m3, o3);
        var resumed = Enumerable.Range(0, 3).Select(_ => Step(m3, o3)).ToArray();

        Assert.Equal(3, state.Epoch);
        Assert.Equal(1, state.Stage);
        Assert.Equal(0.5, state.Metrics["acc"]);
        Assert.Equal(reference[3..], resumed);
        Assert.Equal(state, Checkpoint.ReadState(path) with { Metrics = state.Metrics });
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        foreach (var d in new IDisposable[] { m1, o1, m2, o2, m3, o3 })
        {
            d.Dispose();
        }
    }

    [Fact]
    public void Load_Truncated_ThrowsInvalidData()
    {
        var path = Path.Combine(dir, "run.ckpt");
        var (m, o) = Make(1);
        Checkpoint.Save(path, m, o, TrainingState.Start(1));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, m, o));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        m.Dispose();
        o.Dispose();
    }

    [Fact]
    public void Load_NotACheckpoint_ThrowsInvalidData()
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "junk.ckpt");
        File.WriteAllText(path, "hello world, not a checkpoint");
        using var m = nn.Linear(2, 2);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, m));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a safetensors file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Missing_ThrowsFileNotFound()
    {
        using var m = nn.Linear(2, 2);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(Path.Combine(dir, "nope.ckpt"), m));
    }

    [Fact]
    public void Save_DoesNotLeakTensors()
    {
        var path = Path.Combine(dir, "run.ckpt");
        var (m, o) = Make(3);
        Step(m, o);
        TensorLeaks.AssertNone(() => Checkpoint.Save(path, m, o, TrainingState.Start(3)));
        m.Dispose();
        o.Dispose();
    }
}
