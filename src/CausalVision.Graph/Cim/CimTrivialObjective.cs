// What CIM asks of the non-causal branch f_n(F_n): VSCNet's KL-to-uniform (Meng et al., AAAI 2025, eq. 13; CAL, Sui et
// al., KDD 2022) or DisC's biased branch (Fan et al., "Debiasing Graph Neural Networks via Learning Disentangled Causal
// Substructure", NeurIPS 2022: generalized cross-entropy on the bias branch, relative-difficulty weights on the causal one).
namespace CausalVision.Graph.Cim;

/// <summary>The objective of the non-causal branch and how it shapes the causal one.</summary>
public enum CimTrivialObjective
{
    /// <summary>
    /// Eq. 13: <c>KL(f_n(F_n) ‖ U)</c>. Note that a linear head f_n can meet it alone (weights to zero) whatever G_n holds,
    /// so it does not by itself push label information out of G_n.
    /// </summary>
    KlToUniform,

    /// <summary>
    /// DisC: f_n is trained to predict y with the generalized cross-entropy <c>GCE = (1 - p_y^q) / q</c> (Zhang &amp;
    /// Sabuncu, 2018), which emphasises easy samples so G_n takes the shortcut; the causal and intervened terms are
    /// weighted per sample by the relative difficulty <c>W = CE_n / (CE_c + CE_n)</c> (detached), which up-weights the
    /// samples the shortcut gets wrong, where only the causal part predicts y. The two branches thus compete for the
    /// nodes, and the node mask separates them.
    /// </summary>
    GeneralizedCrossEntropy,
}
