// Choices of VSCNet's CIM module (Meng et al., AAAI 2025, eq. 10-13) where the paper and its
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

/// <summary>Direction of the KL term that pushes <c>f_n(F_n)</c> towards the uniform distribution U.</summary>
public enum CimKlDirection
{
    /// <summary><c>KL(p ‖ U) = Σ p log p + log C</c>, p = softmax(f_n(F_n)) (the reading of eq. 13 "L_KL(f_n(F_n), U)").</summary>
    PredictionToUniform = 0,

    /// <summary><c>KL(U ‖ p) = −log C − (1/C) Σ log p</c>: CAL's <c>F.kl_div(log p, U, reduction="batchmean")</c>.</summary>
    UniformToPrediction = 1,
}

/// <summary>How the causal feature and a confounder (non-causal) feature are combined into F_m.</summary>
public enum CimInterventionMode
{
    /// <summary><c>F_m = F_c + F_n'</c> (CAL's "add", its default).</summary>
    Add = 0,

    /// <summary><c>F_m = [F_c ; F_n']</c> (CAL's "cat"); f_m then reads 2H features.</summary>
    Concat = 1,
}

/// <summary>Which non-causal features F_n' stand in for the confounders n of eq. 12.</summary>
public enum CimConfounders
{
    /// <summary>No intervention: each sample keeps its own F_n (identity pairing); logits of a sample never depend on other samples.</summary>
    None = 0,

    /// <summary>A random permutation of the batch: sample i is paired with <c>F_n[perm[i]]</c> (CAL's shuffle).</summary>
    RandomPermutation = 1,

    /// <summary>Every sample is paired with the batch mean of F_n, an estimate of E_n[F_n] (CAL's batch-mean variant).</summary>
    BatchMean = 2,
}

/// <summary>The classifiers f_c, f_n, f_m.</summary>
public enum CimHeadKind
{
    /// <summary>One Linear layer (the paper: "classifiers").</summary>
    Linear = 0,

    /// <summary>CAL's head BatchNorm → Linear(H→H) → ReLU → BatchNorm → Linear(H→C) (needs B &gt; 1 in training).</summary>
    Mlp = 1,
}
