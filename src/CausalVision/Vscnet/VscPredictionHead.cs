// What VSCNet predicts from in stage 2: eq. 14's fusion or one of two ablation heads.
namespace CausalVision.Vscnet;

/// <summary>What VSCNet predicts from in stage 2.</summary>
public enum VscPredictionHead
{
    /// <summary>Eq. 14: <c>P_e = phi(W_c F_c + W_v F_v)</c>, blended with the class vote P_k under +F. F_v (the global
    /// feature) and P_k can carry the context shortcut.</summary>
    Fusion,

    /// <summary>
    /// Ours (CAL evaluates its causal branch this way): the causal classifier alone, <c>f_c(F_c)</c>, with F_c the
    /// encoding of the masked graph G_c; no F_v, no P_k. Requires +C. The stage-2 class loss then trains f_c (besides
    /// eq. 13's causal term); the fusion module is kept but unused.
    /// </summary>
    CausalClassifier,

    /// <summary>
    /// Ours, Table 3's "+L using solely the predicted tags" taken literally (a concept bottleneck, Koh et al., ICML 2020):
    /// <c>logits = W_t log(mean_j t_f[j])</c>, a linear classifier (state key <c>tag_classifier</c>) on the log of the regions'
    /// mean tag distribution (refined by eq. 7 with +K); no F_v, no graph, no P_k. Requires +L. The CSNet is frozen in stage 2, so
    /// stage 2 trains this classifier on fixed tag evidence.
    /// </summary>
    Tags,
}
