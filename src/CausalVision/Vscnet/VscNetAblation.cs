// The components of VSCNet (Meng et al., AAAI 2025) that an ablation switches on (Table 3 rows).
namespace CausalVision.Vscnet;

/// <summary>The components of VSCNet that an ablation (Table 3 of the paper) switches on.</summary>
[Flags]
public enum VscNetAblation
{
    /// <summary>Base: the backbone and a linear classifier on F_v only.</summary>
    Base = 0,

    /// <summary>+L: the Cascaded Spatial Net trained with the locating loss (eq. 1-4, 15); classes are predicted from the
    /// predicted tags (pooled tag embeddings) added to F_v.</summary>
    Locating = 1,

    /// <summary>+K: the exemplar hierarchy refines the tags (eq. 5-7). Requires <see cref="Locating"/>.</summary>
    Knowledge = 2,

    /// <summary>+G: the heterogeneous graph (G_a of eq. 8 without +K, G_h of eq. 9 with it) encoded by a GCN.
    /// Requires <see cref="Locating"/>.</summary>
    Graph = 4,

    /// <summary>+C: causal node/edge masks, backdoor intervention and L_gf (eq. 10-13). Requires <see cref="Graph"/>.</summary>
    Causal = 8,

    /// <summary>+F: the final prediction fuses softmax(P_e) with the hierarchy's class vote P_k (eq. 14). Requires
    /// <see cref="Knowledge"/>.</summary>
    Fusion = 16,

    /// <summary>The full model (+L+K+G+C+F).</summary>
    Full = Locating | Knowledge | Graph | Causal | Fusion,
}
