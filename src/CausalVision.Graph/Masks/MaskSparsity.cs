// Sparsity of CIM's causal node mask M_X (VSCNet, Meng et al., AAAI 2025, eq. 10-11): how much of each graph the causal
// graph G_c keeps. A metric of the evaluation protocol for the causal path.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Graph.Masks;

/// <summary>Summary of a node mask over the real nodes of a batch.</summary>
/// <param name="Mean">Mean causal share M_X over real nodes (1 = G_c keeps everything).</param>
/// <param name="FractionBelowHalf">Fraction of real nodes whose causal share is below 0.5 (dropped more than kept).</param>
/// <param name="Nodes">Number of real nodes counted.</param>
public sealed record MaskSparsityResult(double Mean, double FractionBelowHalf, long Nodes);

/// <summary>Node-mask sparsity of <see cref="NodeMask"/> outputs.</summary>
/// <remarks>Shapes: node mask <c>[B, N, 2]</c> (column 1 = causal share; both columns zero on padding).</remarks>
public static class MaskSparsity
{
    /// <summary>Computes the mean causal share and the fraction of dropped nodes over the real nodes.</summary>
    /// <param name="nodeMask">[B, N, 2].</param>
    /// <returns>The summary (NaN means when there is no real node).</returns>
    /// <exception cref="ArgumentException">Wrong shape.</exception>
    public static MaskSparsityResult Compute(Tensor nodeMask)
    {
        ArgumentNullException.ThrowIfNull(nodeMask);
        if (nodeMask.Dimensions != 3 || nodeMask.shape[2] != 2)
        {
            throw new ArgumentException($"nodeMask must have shape [B, N, 2], got [{string.Join(", ", nodeMask.shape)}].", nameof(nodeMask));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var real = nodeMask.sum(-1).gt(0.5);
        var kept = nodeMask[.., .., 1].masked_select(real).to(ScalarType.Float64);
        var n = kept.shape[0];
        if (n == 0)
        {
            return new MaskSparsityResult(double.NaN, double.NaN, 0);
        }

        return new MaskSparsityResult(kept.mean().item<double>(), kept.lt(0.5).to(ScalarType.Float64).mean().item<double>(), n);
    }
}
