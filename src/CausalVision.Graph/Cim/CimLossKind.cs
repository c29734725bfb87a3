// An option of VSCNet's CIM module (Meng et al., AAAI 2025, eq. 10-13) where the paper and its
// ancestor CAL (Sui et al., KDD 2022; yongduosui/CAL) differ or the paper is silent.
namespace CausalVision.Graph.Cim;

/// <summary>The supervised loss of the causal and intervened terms of eq. 13.</summary>
public enum CimLossKind
{
    /// <summary>The paper's L2: <c>‖softmax(z) − y‖²</c> summed over classes, mean over the batch (y one-hot, or the normalised multi-hot distribution).</summary>
    L2 = 0,

    /// <summary>CAL's cross-entropy (NLL of log-softmax), mean over the batch; binary cross-entropy with logits for multi-hot targets.</summary>
    CrossEntropy = 1,
}
