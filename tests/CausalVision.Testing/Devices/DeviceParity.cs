using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Testing.Devices;

/// <summary>
/// Runs one module on a reference device (the CPU) and on a target device with the same weights and inputs, and
/// compares the outputs, the input gradients and every parameter's gradient. The target is CUDA on the GPU machine;
/// a CPU target checks the harness itself.
/// </summary>
/// <remarks>
/// The loss is <c>Σ out ⊙ w</c> for a fixed random <c>w</c>, so every output element reaches the gradients with its
/// own weight (a plain sum would hide permuted outputs). Modules are put in eval mode unless
/// <see cref="ParityCase.Train"/> is set: BatchNorm batch statistics are still compared then, since both devices see
/// the same batch.
/// </remarks>
public static class DeviceParity
{
    /// <summary>Runs one case; returns the report (no exception for a mismatch: see <see cref="ParityReport.Passed"/>).</summary>
    /// <param name="parityCase">The case.</param>
    /// <param name="target">The device to compare with the CPU.</param>
    /// <param name="perturbTarget">Test hook: added to the first parameter on the target, to prove a mismatch is caught.</param>
    /// <returns>The largest differences found and whether they are within the case's tolerances.</returns>
    public static ParityReport Run(ParityCase parityCase, Device target, double perturbTarget = 0.0)
    {
        ArgumentNullException.ThrowIfNull(parityCase);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        manual_seed(parityCase.Seed);
        using var reference = parityCase.CreateModule();
        manual_seed(parityCase.Seed);
        using var moved = parityCase.CreateModule();
        moved.load_state_dict(reference.state_dict());
        moved.to(target);
        if (perturbTarget != 0.0)
        {
            using var noGrad = no_grad();
            moved.parameters().First().add_(perturbTarget);
        }

        if (parityCase.Train)
        {
            reference.train();
            moved.train();
        }
        else
        {
            reference.eval();
            moved.eval();
        }

        manual_seed(parityCase.Seed + 1);
        var inputs = parityCase.CreateInputs();
        var cpuInputs = inputs.Select(t => t.is_floating_point() ? t.detach().requires_grad_(true) : t).ToArray();
        var targetInputs = inputs.Select(t => t.is_floating_point() ? t.detach().to(target).requires_grad_(true) : t.to(target)).ToArray();

        var cpuOut = parityCase.Forward(reference, cpuInputs);
        var targetOut = parityCase.Forward(moved, targetInputs);
        using var gen = new Generator((ulong)parityCase.Seed + 2);
        var weight = rand(cpuOut.shape, generator: gen);
        (cpuOut * weight).sum().backward();
        (targetOut * weight.to(target)).sum().backward();

        var worst = new List<(string Name, double Diff, double Allowed)>
        {
            Compare("output", cpuOut, targetOut, parityCase),
        };
        for (var i = 0; i < cpuInputs.Length; i++)
        {
            if (cpuInputs[i].grad is { } g && targetInputs[i].grad is { } tg)
            {
                worst.Add(Compare($"input[{i}].grad", g, tg, parityCase));
            }
        }

        var targetParams = moved.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in reference.named_parameters())
        {
            if (p.grad is { } g && targetParams[name].grad is { } tg)
            {
                worst.Add(Compare(name + ".grad", g, tg, parityCase));
            }
        }

        var failures = worst.Where(w => w.Diff > w.Allowed).Select(w => $"{w.Name}: max |diff| {w.Diff:g3} > {w.Allowed:g3}").ToList();
        var max = worst.MaxBy(w => w.Diff / Math.Max(w.Allowed, 1e-30));
        return new ParityReport(parityCase.Name, target.ToString(), failures.Count == 0, max.Name, max.Diff, worst.Count, failures);
    }

    private static (string, double, double) Compare(string name, Tensor expected, Tensor actual, ParityCase c)
    {
        using var e = expected.detach().to(float64).cpu();
        using var a = actual.detach().to(float64).cpu();
        if (!e.shape.SequenceEqual(a.shape))
        {
            return (name + " (shape)", double.PositiveInfinity, 0);
        }

        var diff = (e - a).abs().max().item<double>();
        var allowed = c.AbsoluteTolerance + (c.RelativeTolerance * e.abs().max().item<double>());
        return (name, diff, allowed);
    }
}

/// <summary>One module to compare across devices.</summary>
/// <param name="Name">A stable name (the report and the GPU log use it).</param>
/// <param name="CreateModule">Builds the module on the CPU (called twice under the same seed).</param>
/// <param name="CreateInputs">Builds CPU inputs; floating-point ones get gradients.</param>
/// <param name="Forward">Runs the module and returns one tensor to compare and differentiate.</param>
public sealed record ParityCase(string Name, Func<nn.Module> CreateModule, Func<Tensor[]> CreateInputs, Func<nn.Module, Tensor[], Tensor> Forward)
{
    /// <summary>Gets the seed for the weights (inputs use seed + 1).</summary>
    public int Seed { get; init; } = 7;

    /// <summary>Gets a value indicating whether to compare in train mode.</summary>
    public bool Train { get; init; }

    /// <summary>Gets the absolute tolerance (float32 kernels differ between devices: TF32 is off in libtorch by
    /// default for convolutions only on request, and reductions run in another order).</summary>
    public double AbsoluteTolerance { get; init; } = 1e-4;

    /// <summary>Gets the tolerance relative to the largest reference magnitude of each compared tensor.</summary>
    public double RelativeTolerance { get; init; } = 1e-3;
}

/// <summary>The outcome of one <see cref="DeviceParity.Run"/>.</summary>
/// <param name="Case">The case name.</param>
/// <param name="Device">The target device.</param>
/// <param name="Passed">Whether every compared tensor is within tolerance.</param>
/// <param name="WorstTensor">The tensor closest to (or furthest past) its tolerance.</param>
/// <param name="WorstDiff">Its largest absolute difference.</param>
/// <param name="Compared">How many tensors were compared.</param>
/// <param name="Failures">One line per tensor out of tolerance.</param>
public sealed record ParityReport(string Case, string Device, bool Passed, string WorstTensor, double WorstDiff, int Compared, IReadOnlyList<string> Failures)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Case} on {Device}: {(Passed ? "ok" : "MISMATCH")} ({Compared} tensors; worst {WorstTensor} {WorstDiff:g3})" +
        (Passed ? string.Empty : "; " + string.Join("; ", Failures));
}
