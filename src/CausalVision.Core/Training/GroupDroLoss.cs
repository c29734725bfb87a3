// Group DRO's online objective: Sagawa, Koh, Hashimoto, Liang, "Distributionally Robust Neural
// Networks for Group Shifts", ICLR 2020, Algorithm 1 (public code: kohpangwei/group_DRO, loss.py
// LossComputer.compute_robust_loss, without the optional generalisation adjustment).
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Training;

/// <summary>
/// The online Group DRO loss. For a batch with per-sample losses l_i and group ids g_i:
/// <code>
///   L_g = mean of l_i over the batch samples of group g   (0 for a group absent from the batch)
///   q_g ← q_g · exp(η · L_g),  q ← q / Σ_g q_g             (no gradient through q)
///   loss = Σ_g q_g · L_g
/// </code>
/// q starts uniform (1 / G). Groups that keep a high loss gain weight exponentially, so training
/// minimises (a soft version of) the worst group's loss.
/// </summary>
/// <remarks>
/// Defaults: η (<see cref="StepSize"/>) = 0.01, the public code's <c>--robust_step_size</c>.
/// Shapes: <see cref="Forward"/> takes losses [B] (float) and groups [B] (int64, in [0, G)) and
/// returns a scalar. The weights live on the CPU as float64; the loss is computed on the losses' device.
/// </remarks>
public sealed class GroupDroLoss
{
    private readonly double[] q;

    /// <summary>Initializes a new instance of the <see cref="GroupDroLoss"/> class.</summary>
    /// <param name="groupCount">The number of groups G (at least 1).</param>
    /// <param name="stepSize">η, the exponentiated-gradient step; default 0.01. Must be finite and non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public GroupDroLoss(int groupCount, double stepSize = 0.01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupCount, 1);
        if (!double.IsFinite(stepSize) || stepSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The Group DRO step size must be a finite number >= 0.");
        }

        StepSize = stepSize;
        q = Enumerable.Repeat(1.0 / groupCount, groupCount).ToArray();
    }

    /// <summary>Gets η.</summary>
    public double StepSize { get; }

    /// <summary>Gets the number of groups.</summary>
    public int GroupCount => q.Length;

    /// <summary>Gets a copy of the current group weights q (sum 1).</summary>
    public double[] Weights => (double[])q.Clone();

    /// <summary>Updates q from the batch's group losses and returns the weighted loss Σ q_g L_g.</summary>
    /// <param name="losses">Per-sample losses [B] (with gradient).</param>
    /// <param name="groups">Group id per sample [B], int64 in [0, G).</param>
    /// <returns>A fresh scalar tensor (differentiable through <paramref name="losses"/>).</returns>
    /// <exception cref="ArgumentException">Shapes disagree or a group id is out of range.</exception>
    public Tensor Forward(Tensor losses, Tensor groups)
    {
        ArgumentNullException.ThrowIfNull(losses);
        ArgumentNullException.ThrowIfNull(groups);
        if (losses.dim() != 1 || groups.dim() != 1 || losses.shape[0] != groups.shape[0])
        {
            throw new ArgumentException($"Group DRO needs losses [B] and groups [B]; got [{string.Join(", ", losses.shape)}] and [{string.Join(", ", groups.shape)}].", nameof(groups));
        }

        using var scope = NewDisposeScope();
        var ids = groups.to(ScalarType.Int64, losses.device);
        if (ids.numel() > 0 && (ids.min().item<long>() < 0 || ids.max().item<long>() >= q.Length))
        {
            throw new ArgumentException($"Group ids must lie in [0, {q.Length}).", nameof(groups));
        }

        // group_map [G, B]: one-hot membership, as the public code builds it.
        var map = ids.unsqueeze(0).eq(arange(q.Length, ScalarType.Int64, losses.device).unsqueeze(1)).to(losses.dtype);
        var counts = map.sum(1);
        var denom = ScalarSafe.Add(counts, counts.eq(0).to(losses.dtype));
        var groupLoss = map.matmul(losses) / denom;
        var detached = groupLoss.detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
        var total = 0.0;
        for (var g = 0; g < q.Length; g++)
        {
            q[g] *= Math.Exp(StepSize * detached[g]);
            total += q[g];
        }

        for (var g = 0; g < q.Length; g++)
        {
            q[g] /= total;
        }

        var weights = tensor(q, ScalarType.Float64).to(losses.dtype).to(losses.device);
        return groupLoss.dot(weights).MoveToOuterDisposeScope();
    }
}
