// Group-wise linear classifier of Query2Label (SlongLiu/query2labels, GroupWiseLinear): one weight
// vector and bias per label, applied to that label's own feature.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// logits_{b,j} = &lt;W_j, X_{b,j}&gt; + b_j. Weights and biases start uniform in
/// [-1/sqrt(d), 1/sqrt(d)] (as Query2Label).
/// </summary>
/// <remarks>Shapes: X [B, L, d] -&gt; [B, L]. Keys: <c>W</c> [1, L, d], <c>b</c> [1, L] (Query2Label's names and shapes).</remarks>
public sealed class GroupWiseLinear : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "W")]
    private readonly Parameter weight;

    [ComponentName(Name = "b")]
    private readonly Parameter bias;

    /// <summary>Initializes a new instance of the <see cref="GroupWiseLinear"/> class.</summary>
    /// <param name="numLabels">Labels L.</param>
    /// <param name="dim">Feature dimension d.</param>
    /// <exception cref="ArgumentOutOfRangeException">Non-positive sizes.</exception>
    public GroupWiseLinear(int numLabels, int dim)
        : base(nameof(GroupWiseLinear))
    {
        if (numLabels < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "The label set is empty: at least one label is needed.");
        }

        if (dim < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), dim, "The feature dimension must be at least 1.");
        }

        NumLabels = numLabels;
        Dim = dim;
        weight = new Parameter(torch.empty(1, numLabels, dim));
        bias = new Parameter(torch.empty(1, numLabels));
        reset_parameters();
        RegisterComponents();
    }

    /// <summary>Gets the number of labels L.</summary>
    public int NumLabels { get; }

    /// <summary>Gets the feature dimension d.</summary>
    public int Dim { get; }

    /// <summary>Re-draws W and b uniformly in [-1/sqrt(d), 1/sqrt(d)].</summary>
    public void reset_parameters()
    {
        var bound = 1.0 / Math.Sqrt(Dim);
        using var noGrad = torch.no_grad();
        nn.init.uniform_(weight, -bound, bound);
        nn.init.uniform_(bias, -bound, bound);
    }

    /// <summary>Scores each label from its own feature.</summary>
    /// <param name="features">X [B, L, d].</param>
    /// <returns>Logits [B, L].</returns>
    /// <exception cref="ArgumentException">Wrong shape.</exception>
    public override Tensor forward(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.dim() != 3 || features.shape[1] != NumLabels || features.shape[2] != Dim)
        {
            throw new ArgumentException($"Expected label features [B, {NumLabels}, {Dim}]; got [{string.Join(", ", features.shape)}].", nameof(features));
        }

        using var scope = NewDisposeScope();
        return ScalarSafe.Add((features * weight).sum(-1), bias).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            weight.Dispose();
            bias.Dispose();
        }

        base.Dispose(disposing);
    }
}
