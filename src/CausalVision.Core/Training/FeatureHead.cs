// A trained linear head on standardised features.
using CausalVision.Metrics;
using CausalVision.Runtime;
using static TorchSharp.torch;

namespace CausalVision.Training;

/// <summary>
/// A linear classifier on standardised features: <c>logits = W ((x - μ) / σ) + b</c>, with μ and σ
/// the per-dimension mean and standard deviation of the training features.
/// </summary>
public sealed class FeatureHead
{
    internal FeatureHead(float[] weight, float[] bias, float[] mean, float[] std, int dim, int classes, int selectedEpoch, double selectionScore)
    {
        Weight = weight;
        Bias = bias;
        Mean = mean;
        Std = std;
        Dim = dim;
        ClassCount = classes;
        SelectedEpoch = selectedEpoch;
        SelectionScore = selectionScore;
    }

    /// <summary>Gets W, classes x D row-major.</summary>
    public float[] Weight { get; }

    /// <summary>Gets b [classes].</summary>
    public float[] Bias { get; }

    /// <summary>Gets μ [D].</summary>
    public float[] Mean { get; }

    /// <summary>Gets σ [D] (at least 1e-6).</summary>
    public float[] Std { get; }

    /// <summary>Gets D.</summary>
    public int Dim { get; }

    /// <summary>Gets the number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>Gets the epoch (1-based) the head was taken from.</summary>
    public int SelectedEpoch { get; }

    /// <summary>Gets the validation score of that epoch (NaN without validation data or with <see cref="SelectionMetric.LastEpoch"/>).</summary>
    public double SelectionScore { get; }

    /// <summary>Predicts the class of every row (argmax; ties to the lower class).</summary>
    /// <param name="data">Features with D = <see cref="Dim"/>.</param>
    /// <returns>The predicted class per row.</returns>
    /// <exception cref="ArgumentException">The feature dimension differs.</exception>
    public int[] Predict(FeatureSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Dim != Dim)
        {
            throw new ArgumentException($"The head was trained on {Dim}-dimensional features; got {data.Dim}.", nameof(data));
        }

        using var scope = NewDisposeScope();
        var x = Standardise(tensor(data.Features, [data.Count, Dim]));
        var logits = ScalarSafe.Add(x.matmul(tensor(Weight, [ClassCount, Dim]).t()), tensor(Bias));
        return [.. logits.argmax(1).to(ScalarType.Int32).data<int>().ToArray()];
    }

    /// <summary>Predicts and scores with <see cref="GroupMetrics.Compute"/>.</summary>
    /// <param name="data">Features with labels and contexts.</param>
    /// <returns>The group metrics.</returns>
    public GroupMetricsResult Evaluate(FeatureSet data) =>
        GroupMetrics.Compute(Predict(data), data.Labels, data.Contexts, data.TiedContexts);

    internal Tensor Standardise(Tensor x) => (x - tensor(Mean)) / tensor(Std);
}
