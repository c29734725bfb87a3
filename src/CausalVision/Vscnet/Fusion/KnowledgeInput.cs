// How the hierarchy's class vote P_k enters VSCNet's fusion (Meng et al., AAAI 2025, eq. 14).
namespace CausalVision.Vscnet.Fusion;

/// <summary>How the hierarchy's class vote P_k is given to <see cref="MultiViewFusion"/>.</summary>
public enum KnowledgeInput
{
    /// <summary>P_k is already a probability vector per row (our HAR class vote returns rows summing to 1): used as is.</summary>
    Probabilities = 0,

    /// <summary>P_k holds logits: softmax is applied, literally as eq. 14 writes Softmax(P_k).</summary>
    Logits = 1,
}
