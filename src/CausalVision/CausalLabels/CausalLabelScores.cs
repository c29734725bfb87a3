namespace CausalVision.CausalLabels;

/// <summary>Which logits of a <see cref="CausalLabelModel"/> an evaluation scores.</summary>
public enum CausalLabelScores
{
    /// <summary>The final logits (the fusion of <see cref="CausalLabelOptions.Fusion"/>; the group-wise logits without intervention).</summary>
    Fused,

    /// <summary>The causal branch alone, sum_c P(c) fc2(...) or fc2(CA(q, Z, Z)).</summary>
    CausalOnly,

    /// <summary>The group-wise (Decouple) logits, without running the intervention.</summary>
    Baseline,
}
