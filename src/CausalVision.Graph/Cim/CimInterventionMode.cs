// An option of VSCNet's CIM module (Meng et al., AAAI 2025, eq. 10-13) where the paper and its
// ancestor CAL (Sui et al., KDD 2022; yongduosui/CAL) differ or the paper is silent.
namespace CausalVision.Graph.Cim;

/// <summary>How the causal feature and a confounder (non-causal) feature are combined into F_m.</summary>
public enum CimInterventionMode
{
    /// <summary><c>F_m = F_c + F_n'</c> (CAL's "add", its default).</summary>
    Add = 0,

    /// <summary><c>F_m = [F_c ; F_n']</c> (CAL's "cat"); f_m then reads 2H features.</summary>
    Concat = 1,
}
