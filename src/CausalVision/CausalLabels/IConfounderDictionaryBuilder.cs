// Stage 2 of paper B's training: turn spatial features of the trained, frozen backbone into a
// confounder dictionary. The interface keeps Core's trainer independent of the Clustering package
// (which implements the K-means default: CausalVision.CausalLabels.Confounders.KMeansConfounderDictionaryBuilder).
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// Builds a <see cref="ConfounderDictionary"/> from a stream of spatial-feature batches (slides'
/// Table 6: K-means, Random, Label).
/// </summary>
/// <remarks>
/// The stream may be enumerated more than once (a streaming K-means makes several passes); each
/// enumeration yields the same batches in the same order. The stream owns the tensors of a batch
/// and may dispose them when the enumeration moves on: builders copy what they keep.
/// </remarks>
public interface IConfounderDictionaryBuilder
{
    /// <summary>Gets a short name for logs and tables ("kmeans", "random", "label").</summary>
    string Name { get; }

    /// <summary>Builds the dictionary.</summary>
    /// <param name="batches">Spatial-feature batches; at least one.</param>
    /// <returns>The dictionary (the caller disposes it).</returns>
    /// <exception cref="ArgumentException">No batches, inconsistent dimensions, or too few features for K.</exception>
    ConfounderDictionary Build(IEnumerable<ConfounderFeatureBatch> batches);
}

/// <summary>One batch of backbone features for dictionary building.</summary>
/// <param name="Tokens">Spatial features [B, N, D] (a frozen backbone's tokens: one row per feature-map cell).</param>
/// <param name="Targets">Multi-hot labels [B, L] of the same images (used by the class-mean "Label" builder), or null.</param>
public sealed record ConfounderFeatureBatch(Tensor Tokens, Tensor? Targets)
{
    /// <summary>Throws unless <see cref="Tokens"/> is a finite [B, N, D] tensor with B, N, D &gt;= 1 and <see cref="Targets"/> (when present) is [B, L].</summary>
    /// <exception cref="ArgumentException">The batch is malformed; the message names the problem.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tokens, nameof(Tokens));
        if (Tokens.dim() != 3 || Tokens.shape[0] < 1 || Tokens.shape[1] < 1 || Tokens.shape[2] < 1)
        {
            throw new ArgumentException($"Spatial features must be [B, N, D] with B, N, D >= 1; got [{string.Join(", ", Tokens.shape)}].", nameof(Tokens));
        }

        if (Targets is not null && (Targets.dim() != 2 || Targets.shape[0] != Tokens.shape[0]))
        {
            throw new ArgumentException($"Targets must be [B, L] with B = {Tokens.shape[0]}; got [{string.Join(", ", Targets.shape)}].", nameof(Targets));
        }
    }
}
