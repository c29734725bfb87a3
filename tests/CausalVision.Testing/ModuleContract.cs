// Generic module-contract checks: parameter counts, key lists, gradient reach, state-dict copies.
using CausalVision.Weights;
using TorchSharp;
using Xunit;

namespace CausalVision.Testing;

/// <summary>Checks every module (backbone, head, model) should pass.</summary>
public static class ModuleContract
{
    /// <summary>Counts the elements of every parameter (PyTorch's <c>sum(p.numel() for p in m.parameters())</c>).</summary>
    /// <param name="module">The module.</param>
    /// <returns>The number of scalar parameters.</returns>
    public static long ParameterCount(torch.nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.parameters().Sum(p => p.numel());
    }

    /// <summary>Asserts that the state dict contains each key, with the given shape where one is given.</summary>
    /// <param name="module">The module.</param>
    /// <param name="expected">Key -> expected shape (null: any shape).</param>
    public static void AssertKeys(torch.nn.Module module, IReadOnlyDictionary<string, long[]?> expected)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(expected);
        var sd = module.state_dict();
        var missing = expected.Keys.Where(k => !sd.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, $"State dict lacks {string.Join(", ", missing)}; it has e.g. {string.Join(", ", sd.Keys.Take(12))}.");
        foreach (var (key, shape) in expected)
        {
            if (shape is not null)
            {
                Assert.True(shape.SequenceEqual(sd[key].shape), $"{key}: expected [{string.Join(", ", shape)}], got [{string.Join(", ", sd[key].shape)}].");
            }
        }
    }

    /// <summary>Asserts every trainable parameter received a finite, non-zero gradient (call after backward).</summary>
    /// <param name="module">The module.</param>
    public static void AssertGradientsReachAllParameters(torch.nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var problems = new List<string>();
        foreach (var (name, p) in module.named_parameters())
        {
            if (!p.requires_grad)
            {
                continue;
            }

            using var grad = p.grad;
            if (grad is null)
            {
                problems.Add($"{name}: no gradient");
                continue;
            }

            using var scope = torch.NewDisposeScope();
            if (!torch.isfinite(grad).all().item<bool>())
            {
                problems.Add($"{name}: non-finite gradient");
            }
            else if (grad.abs().sum().to(torch.float64).item<double>() == 0)
            {
                problems.Add($"{name}: zero gradient");
            }
        }

        Assert.True(problems.Count == 0, "Gradient check failed: " + string.Join("; ", problems.Take(20)));
    }

    /// <summary>Copies <paramref name="source"/>'s state into <paramref name="target"/> through an in-memory safetensors file and a strict load.</summary>
    /// <param name="source">The module whose state is written.</param>
    /// <param name="target">A module of the same architecture.</param>
    /// <returns>The load report (exact).</returns>
    public static LoadReport CopyStateViaSafeTensors(torch.nn.Module source, torch.nn.Module target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, source.state_dict());
        stream.Position = 0;
        using var loaded = SafeTensors.Load(stream, "in-memory");
        return StateDictLoader.Load(target, loaded);
    }

    /// <summary>Asserts two modules have the same state-dict keys and bit-identical values.</summary>
    /// <param name="expected">The reference module.</param>
    /// <param name="actual">The module under test.</param>
    public static void AssertStateDictsEqual(torch.nn.Module expected, torch.nn.Module actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var a = expected.state_dict();
        var b = actual.state_dict();
        Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in a)
        {
            Assert.True(value.shape.SequenceEqual(b[key].shape), $"{key}: shapes differ.");
            using var scope = torch.NewDisposeScope();
            Assert.True(value.eq(b[key]).all().item<bool>(), $"{key}: values differ.");
        }
    }
}
