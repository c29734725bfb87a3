// An option of VSCNet's CIM module (Meng et al., AAAI 2025, eq. 10-13) where the paper and its
// ancestor CAL (Sui et al., KDD 2022; yongduosui/CAL) differ or the paper is silent.
namespace CausalVision.Graph.Cim;

/// <summary>Direction of the KL term that pushes <c>f_n(F_n)</c> towards the uniform distribution U.</summary>
public enum CimKlDirection
{
    /// <summary><c>KL(p ‖ U) = Σ p log p + log C</c>, p = softmax(f_n(F_n)) (the reading of eq. 13 "L_KL(f_n(F_n), U)").</summary>
    PredictionToUniform = 0,

    /// <summary><c>KL(U ‖ p) = −log C − (1/C) Σ log p</c>: CAL's <c>F.kl_div(log p, U, reduction="batchmean")</c>.</summary>
    UniformToPrediction = 1,
}
