// An option of VSCNet's CIM module (Meng et al., AAAI 2025, eq. 10-13) where the paper and its
// ancestor CAL (Sui et al., KDD 2022; yongduosui/CAL) differ or the paper is silent.
namespace CausalVision.Graph.Cim;

/// <summary>The classifiers f_c, f_n, f_m.</summary>
public enum CimHeadKind
{
    /// <summary>One Linear layer (the paper: "classifiers").</summary>
    Linear = 0,

    /// <summary>CAL's head BatchNorm → Linear(H→H) → ReLU → BatchNorm → Linear(H→C) (needs B &gt; 1 in training).</summary>
    Mlp = 1,
}
