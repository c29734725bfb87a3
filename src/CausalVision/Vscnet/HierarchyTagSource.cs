// Which tag a training region is clustered under when VSCNet's exemplar hierarchy is built (eq. 5).
namespace CausalVision.Vscnet;

/// <summary>Which tag a training region is clustered under when the hierarchy is built (eq. 5).</summary>
public enum HierarchyTagSource
{
    /// <summary>The region's ground-truth step target (the j-th present tag; the authors' code). Steps without a
    /// target are skipped.</summary>
    GroundTruth,

    /// <summary>The region's predicted tag (eq. 5 reads <c>Cluster(r, t^, y)</c>).</summary>
    Predicted,
}
