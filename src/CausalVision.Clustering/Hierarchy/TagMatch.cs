// The result of a tag-restricted prototype match (VSCNet eq. 6, phi_K).
using static TorchSharp.torch;

namespace CausalVision.Clustering.Hierarchy;

/// <summary>The result of <see cref="PrototypeSimilarity.BestByTag"/>; owns its tensors.</summary>
/// <param name="Index">Best prototype index per query and candidate tag [..., K] (int64).</param>
/// <param name="Score">The similarity of that prototype [..., K].</param>
/// <param name="FellBack">True where the tag had no prototype and all prototypes were searched [..., K].</param>
public sealed record TagMatch(Tensor Index, Tensor Score, Tensor FellBack) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Index.Dispose();
        Score.Dispose();
        FellBack.Dispose();
    }
}
