// A name -> tensor dictionary that owns its tensors.
using static TorchSharp.torch;

namespace CausalVision.Weights;

/// <summary>
/// An ordinal-keyed dictionary of tensors that owns them: <see cref="Dispose"/> disposes every value.
/// Returned by <see cref="SafeTensors.Load(string)"/>; use it with <c>using</c>.
/// </summary>
public sealed class NamedTensors : Dictionary<string, Tensor>, IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="NamedTensors"/> class.</summary>
    public NamedTensors()
        : base(StringComparer.Ordinal)
    {
    }

    /// <summary>Gets the metadata (<c>__metadata__</c> of a safetensors file); empty when none.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Disposes every tensor and empties the dictionary.</summary>
    public void Dispose()
    {
        foreach (var tensor in Values)
        {
            tensor.Dispose();
        }

        Clear();
    }
}
