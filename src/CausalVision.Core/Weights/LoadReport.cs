// What a state-dict load did: loaded, missing, unexpected and shape-mismatched keys.
using System.Text;

namespace CausalVision.Weights;

/// <summary>A key whose source shape differs from the target's.</summary>
/// <param name="Key">The (remapped) key.</param>
/// <param name="Expected">The module's shape.</param>
/// <param name="Actual">The source shape.</param>
public sealed record ShapeMismatch(string Key, long[] Expected, long[] Actual)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Key}: expected [{string.Join(", ", Expected)}], got [{string.Join(", ", Actual)}]";
}

/// <summary>The outcome of <see cref="StateDictLoader.Load(TorchSharp.torch.nn.Module, IReadOnlyDictionary{string, TorchSharp.torch.Tensor}, StateDictLoadOptions?, string?)"/>.</summary>
public sealed class LoadReport
{
    /// <summary>Initializes a new instance of the <see cref="LoadReport"/> class.</summary>
    /// <param name="loaded">Keys copied into the module.</param>
    /// <param name="missing">Module keys with no source tensor.</param>
    /// <param name="unexpected">Source keys with no module entry.</param>
    /// <param name="mismatched">Keys whose shapes differ.</param>
    public LoadReport(IReadOnlyList<string> loaded, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<ShapeMismatch> mismatched)
    {
        Loaded = loaded;
        Missing = missing;
        Unexpected = unexpected;
        Mismatched = mismatched;
    }

    /// <summary>Gets the keys copied into the module.</summary>
    public IReadOnlyList<string> Loaded { get; }

    /// <summary>Gets the module keys the source lacks (left as they were).</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Gets the source keys the module lacks (ignored).</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Gets the keys present on both sides with different shapes (not copied).</summary>
    public IReadOnlyList<ShapeMismatch> Mismatched { get; }

    /// <summary>Gets a value indicating whether every key matched.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder($"{Loaded.Count} loaded");
        Append(sb, "missing", Missing);
        Append(sb, "unexpected", Unexpected);
        Append(sb, "shape-mismatched", Mismatched.Select(m => m.ToString()).ToList());
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, string what, IReadOnlyList<string> keys)
    {
        if (keys.Count == 0)
        {
            return;
        }

        const int shown = 20;
        sb.Append($"; {keys.Count} {what}: {string.Join(", ", keys.Take(shown))}");
        if (keys.Count > shown)
        {
            sb.Append($", ... ({keys.Count - shown} more)");
        }
    }
}
