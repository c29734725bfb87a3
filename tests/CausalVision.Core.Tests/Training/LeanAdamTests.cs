using CausalVision.Testing;
using CausalVision.Training;
using TorchSharp.Modules;

namespace CausalVision.Tests.Training;

public sealed class LeanAdamTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-leanadam-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // A small net with a frozen parameter (the last layer's bias: requires_grad false, so its grad stays null) so that
    // the skip path, and that it does not count a step, is compared with the stock optimiser too.
    private static Sequential Net(long seed)
    {
        manual_seed(seed);
        var net = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3));
        net.parameters().Last().requires_grad = false;
        return net;
    }

    private static void Step(Sequential net, optim.Optimizer opt, int i)
    {
        using var scope = NewDisposeScope();
        manual_seed(100 + i);
        var x = randn(4, 5);
        opt.zero_grad();
        net.call(x).pow(2).mean().backward();
        opt.step();
    }

    private static void AssertSameParameters(Sequential a, Sequential b)
    {
        foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
        {
            Assert.True(pa.equal(pb).all().item<bool>(), $"parameter {name} differs");
        }
    }

    [Theory]
    [InlineData(0.0, false, false)]
    [InlineData(0.01, false, false)]
    [InlineData(0.0, true, false)]
    [InlineData(0.01, true, true)]
    public void Step_ManySteps_BitIdenticalToTorchSharpAdam(double weightDecay, bool amsgrad, bool maximize)
    {
        using var a = Net(1);
        using var b = Net(1);
        using var reference = optim.Adam(a.parameters(), 0.01, weight_decay: weightDecay, amsgrad: amsgrad, maximize: maximize);
        using var lean = new LeanAdam(b.parameters(), 0.01, weight_decay: weightDecay, amsgrad: amsgrad, maximize: maximize);
        for (var i = 0; i < 6; i++)
        {
            Step(a, reference, i);
            Step(b, lean, i);
        }

        AssertSameParameters(a, b);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.05, false)]
    [InlineData(0.05, true)]
    public void Step_ManySteps_BitIdenticalToTorchSharpAdamW(double weightDecay, bool amsgrad)
    {
        using var a = Net(2);
        using var b = Net(2);
        using var reference = optim.AdamW(a.parameters(), 0.01, weight_decay: weightDecay, amsgrad: amsgrad);
        using var lean = new LeanAdamW(b.parameters(), 0.01, weight_decay: weightDecay, amsgrad: amsgrad);
        for (var i = 0; i < 6; i++)
        {
            Step(a, reference, i);
            Step(b, lean, i);
        }

        AssertSameParameters(a, b);
    }

    [Fact]
    public void Step_OneParameter_MatchesHandComputedAdam()
    {
        // p = 1, g = 2 (loss 2p), lr 0.1: m = 0.2, v = 0.004, m^ = 2, v^ = 4 -> p = 1 - 0.1 * 2 / (2 + 1e-8).
        using var p = new Parameter(tensor(new[] { 1.0 }, float64));
        using var opt = new LeanAdam([p], 0.1);
        opt.zero_grad();
        using (var loss = (p * 2).sum())
        {
            loss.backward();
        }

        opt.step();
        Assert.Equal(1 - (0.1 * 2 / (2 + 1e-8)), p.item<double>(), 12);
    }

    [Fact]
    public void Step_ParameterWithoutGradient_IsLeftAlone()
    {
        using var used = new Parameter(ones(3));
        using var unused = new Parameter(ones(3));
        using var opt = new LeanAdam([used, unused], 0.1);
        using (var loss = used.sum())
        {
            loss.backward();
        }

        opt.step();
        TensorAssert.Values([1f, 1f, 1f], unused);
        Assert.True(used.lt(1).all().item<bool>());
    }

    [Fact]
    public void Step_DoesNotLeakTensors()
    {
        using var net = Net(3);
        using var opt = new LeanAdam(net.parameters(), 0.01, amsgrad: true);
        using var optW = new LeanAdamW(net.parameters(), 0.01, weight_decay: 0.1);
        Step(net, opt, 0);
        Step(net, optW, 0);
        TensorLeaks.AssertNone(() =>
        {
            Step(net, opt, 1);
            Step(net, optW, 1);
        });
    }

    [Fact]
    public void Checkpoint_LeanStateLoadsIntoTorchSharpAdam_AndBothContinueIdentically()
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "lean.ckpt");
        using var a = Net(4);
        using var lean = new LeanAdam(a.parameters(), 0.01, weight_decay: 0.01);
        for (var i = 0; i < 3; i++)
        {
            Step(a, lean, i);
        }

        Checkpoint.Save(path, a, lean, new TrainingState(1, 1, 3, 0, new Dictionary<string, double>()));

        using var b = Net(5);
        using var reference = optim.Adam(b.parameters(), 0.01, weight_decay: 0.01);
        _ = Checkpoint.Load(path, b, reference);
        for (var i = 3; i < 6; i++)
        {
            Step(a, lean, i);
            Step(b, reference, i);
        }

        AssertSameParameters(a, b);
    }

    [Fact]
    public void LearningRateScheduler_DrivesLeanAdam()
    {
        using var p = new Parameter(tensor(new[] { 1.0 }, float64));
        using var opt = new LeanAdam([p], 0.1);
        var scheduler = optim.lr_scheduler.StepLR(opt, step_size: 1, gamma: 0.5);
        scheduler.step();
        opt.zero_grad();
        using (var loss = (p * 2).sum())
        {
            loss.backward();
        }

        opt.step();
        // First step moves p by lr * m^/(sqrt(v^) + eps) ~= lr: the halved lr is used.
        Assert.Equal(1 - (0.05 * 2 / (2 + 1e-8)), p.item<double>(), 12);
    }

    [Fact]
    public void Checkpoint_AdamStateLoadsIntoLeanAdam()
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "adam.ckpt");
        using var a = Net(6);
        using var reference = optim.Adam(a.parameters(), 0.01);
        Step(a, reference, 0);
        Checkpoint.Save(path, a, reference, new TrainingState(1, 1, 1, 0, new Dictionary<string, double>()));
        using var b = Net(7);
        using var lean = new LeanAdam(b.parameters(), 0.01);
        _ = Checkpoint.Load(path, b, lean);
        Step(a, reference, 1);
        Step(b, lean, 1);
        AssertSameParameters(a, b);
    }

    [Fact]
    public void Checkpoint_AdamWStateIntoLeanAdam_StillRejected()
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "adamw.ckpt");
        using var a = Net(8);
        using var adamw = optim.AdamW(a.parameters(), 0.01);
        Checkpoint.Save(path, a, adamw, new TrainingState(1, 1, 0, 0, new Dictionary<string, double>()));
        using var lean = new LeanAdam(a.parameters(), 0.01);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, a, lean));
    }

    [Fact]
    public void Apply_FreesEachParameterTemporariesBeforeReturning()
    {
        // The claim that makes LeanAdam fast: nothing from one parameter's update outlives it, not even in the caller's
        // scope (TorchSharp's stock step leaves sqrt(v), the quotient and the grad handle there until the step ends).
        using var p = new Parameter(ones(4));
        using (var loss = (p * p).sum())
        {
            loss.backward();
        }

        using var m = zeros(4);
        using var v = zeros(4);
        Tensor? max = zeros(4);
        long step = 0;
        using (no_grad())
        using (var outer = NewDisposeScope())
        {
            LeanAdamUpdate.Apply(p, m, v, ref max, ref step, 0.1, 0.9, 0.999, 1e-8, l2: 0.01, decoupled: 0, amsgrad: true, maximize: true, conjugate: true);
            Assert.Equal(0, outer.DisposablesCount);
        }

        Assert.Equal(1, step);
        Assert.False(max!.IsInvalid);
        max.Dispose();
    }

    [Fact]
    public void Step_ParameterGroups_BitIdenticalToTorchSharpAdam()
    {
        using var a = Net(9);
        using var b = Net(9);
        static Adam.ParamGroup[] Groups(Sequential net) =>
        [
            new(net.parameters().Take(2), new Adam.Options { LearningRate = 0.02, weight_decay = 0.01, amsgrad = true }),
            new(net.parameters().Skip(2), new Adam.Options { LearningRate = 0.005 }),
        ];
        using var reference = optim.Adam(Groups(a), 0.01);
        using var lean = new LeanAdam(Groups(b), 0.01);
        for (var i = 0; i < 5; i++)
        {
            Step(a, reference, i);
            Step(b, lean, i);
        }

        AssertSameParameters(a, b);
    }

    [Fact]
    public void Step_AdamWMaximize_BitIdenticalToTorchSharpAdamW()
    {
        using var a = Net(10);
        using var b = Net(10);
        using var reference = optim.AdamW(a.parameters(), 0.01, weight_decay: 0.02, maximize: true);
        using var lean = new LeanAdamW(b.parameters(), 0.01, weight_decay: 0.02, maximize: true);
        for (var i = 0; i < 4; i++)
        {
            Step(a, reference, i);
            Step(b, lean, i);
        }

        AssertSameParameters(a, b);
    }

    [Fact]
    public void Checkpoint_AdamWAmsgradStateLoadsIntoLeanAdamW_AndContinuesIdentically()
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "adamw-ams.ckpt");
        using var a = Net(11);
        using var reference = optim.AdamW(a.parameters(), 0.01, weight_decay: 0.05, amsgrad: true);
        for (var i = 0; i < 3; i++)
        {
            Step(a, reference, i);
        }

        Checkpoint.Save(path, a, reference, new TrainingState(1, 1, 3, 0, new Dictionary<string, double>()));
        using var b = Net(12);
        using var lean = new LeanAdamW(b.parameters(), 0.01, weight_decay: 0.05, amsgrad: true);
        _ = Checkpoint.Load(path, b, lean);
        for (var i = 3; i < 6; i++)
        {
            Step(a, reference, i);
            Step(b, lean, i);
        }

        AssertSameParameters(a, b);
    }

    [Theory]
    [InlineData(-0.1, 0.9, 0.0)]
    [InlineData(0.1, 1.0, 0.0)]
    [InlineData(0.1, 0.9, -1.0)]
    public void Ctor_InvalidHyperParameters_Throw(double lr, double beta1, double weightDecay)
    {
        using var p = new Parameter(ones(2));
        Assert.Throws<ArgumentException>(() => new LeanAdam([p], lr, beta1, weight_decay: weightDecay));
        Assert.Throws<ArgumentException>(() => new LeanAdamW([p], lr, beta1, weight_decay: weightDecay));
    }
}
