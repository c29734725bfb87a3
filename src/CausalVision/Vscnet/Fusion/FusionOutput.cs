// Output of VSCNet's multi-view fusion (Meng et al., AAAI 2025, eq. 14).
using static TorchSharp.torch;

namespace CausalVision.Vscnet.Fusion;

/// <summary>F_e, P_e and P_f of eq. 14; owns its tensors.</summary>
/// <remarks>Shapes: F_e [B, W]; P_e, P_f [B, C].</remarks>
public sealed class FusionOutput : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="FusionOutput"/> class and takes ownership.</summary>
    /// <param name="features">F_e.</param>
    /// <param name="logits">P_e.</param>
    /// <param name="probabilities">P_f.</param>
    public FusionOutput(Tensor features, Tensor logits, Tensor probabilities)
    {
        Features = features ?? throw new ArgumentNullException(nameof(features));
        Logits = logits ?? throw new ArgumentNullException(nameof(logits));
        Probabilities = probabilities ?? throw new ArgumentNullException(nameof(probabilities));
    }

    /// <summary>Gets the enhanced causal visual representation F_e = s_c·Lin(F_c) + s_v·Lin(F_v) [B, W].</summary>
    public Tensor Features { get; }

    /// <summary>Gets P_e = φ(F_e) [B, C] (logits; train it with L_cls, eq. 16).</summary>
    public Tensor Logits { get; }

    /// <summary>Gets the fused prediction P_f = w_e·softmax(P_e) + w_k·K(P_k) [B, C] (rows sum to w_e + w_k; w_e without P_k).</summary>
    public Tensor Probabilities { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Features.Dispose();
        Logits.Dispose();
        Probabilities.Dispose();
    }
}
