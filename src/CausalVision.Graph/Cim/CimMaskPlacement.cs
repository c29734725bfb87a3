// Where CIM's node mask M_X acts relative to the branch encoders' normalisation (VSCNet, Meng et al., AAAI 2025,
// eq. 10-11; CAL, Sui et al., KDD 2022, multiplies before its BatchNorm).
namespace CausalVision.Graph.Cim;

/// <summary>Where the node mask M_X multiplies the node features relative to the encoders' normalisation.</summary>
public enum CimMaskPlacement
{
    /// <summary>
    /// Eq. 10-11 read literally (and CAL's order): G_c = X ⊙ M_X, then each branch encoder normalises its input first. A
    /// BatchNorm there cancels a uniform mask scaling and maps a node masked to zero to <c>-mean / std</c>, so the mask
    /// barely changes what the encoder sees.
    /// </summary>
    BeforeNorm,

    /// <summary>
    /// Ours: X is normalised once over the real nodes (the encoders' norm kind), then masked; the branch encoders' first
    /// layer does not normalise again. A node masked to zero then contributes nothing and scaling a node by its mask
    /// scales its contribution.
    /// </summary>
    AfterNorm,
}
