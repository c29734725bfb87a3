// How a trainer draws the rows of an epoch.
namespace CausalVision.Training;

/// <summary>How each epoch visits the training rows.</summary>
public enum DataSampling
{
    /// <summary>A permutation of all rows (every row once per epoch).</summary>
    Shuffle,

    /// <summary>
    /// Group-balanced sampling (the "upweighting" reference of Sagawa et al., ICLR 2020; Idrissi et al., CLeaR 2022):
    /// n draws with replacement, each picking a (class, context) group uniformly among the groups present and then a
    /// row of that group uniformly, so every group contributes the same expected number of rows. Needs group labels.
    /// </summary>
    GroupBalanced,
}
