namespace CausalVision.Synthetic;

/// <summary>The three splits of the benchmark.</summary>
public enum SyntheticSplitKind
{
    /// <summary>Training split: the spurious correlation holds with probability p.</summary>
    Train,

    /// <summary>Test split drawn like training (same p): in-distribution accuracy.</summary>
    TestIid,

    /// <summary>Test split with the spurious correlation broken: out-of-distribution accuracy.</summary>
    TestOod,

    /// <summary>
    /// Validation split carved from the training distribution (same p as training, its own
    /// samples): for model selection and early stopping, never for reporting.
    /// </summary>
    Validation,
}
