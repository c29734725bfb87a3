// The parts of one CausalLabelHead forward pass.
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// Everything one <see cref="CausalLabelHead"/> pass produces. Owns its tensors: dispose it (or
/// let a dispose scope collect them).
/// </summary>
public sealed class CausalLabelOutput : IDisposable
{
    internal CausalLabelOutput(Tensor logits, Tensor baselineLogits, Tensor? causalLogits, Tensor? labelFeatures)
    {
        Logits = logits;
        BaselineLogits = baselineLogits;
        CausalLogits = causalLogits;
        LabelFeatures = labelFeatures;
    }

    /// <summary>Gets the fused logits [B, L] (what <see cref="CausalLabelHead.forward"/> returns).</summary>
    public Tensor Logits { get; }

    /// <summary>Gets the group-wise baseline logits [B, L] ("Decouple" prediction).</summary>
    public Tensor BaselineLogits { get; }

    /// <summary>Gets the intervened logits [B, L] (sigmoid gives P(Y_j | do(X))); null without intervention.</summary>
    public Tensor? CausalLogits { get; }

    /// <summary>Gets the label-specific features X [B, L, d]; null for the <see cref="CausalLabelVariant.Baseline"/> model (no decoder).</summary>
    public Tensor? LabelFeatures { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Logits.Dispose();
        BaselineLogits.Dispose();
        CausalLogits?.Dispose();
        LabelFeatures?.Dispose();
    }
}
