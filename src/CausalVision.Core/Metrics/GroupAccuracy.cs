// One (class, context) group's accuracy.
namespace CausalVision.Metrics;

/// <summary>Accuracy of one (class, context) group.</summary>
/// <param name="Class">The true class of the group's images.</param>
/// <param name="Context">The context (background) of the group's images.</param>
/// <param name="Count">The number of images in the group (at least 1).</param>
/// <param name="Correct">How many of them were predicted correctly.</param>
public sealed record GroupAccuracy(int Class, int Context, int Count, int Correct)
{
    /// <summary>Gets <see cref="Correct"/> / <see cref="Count"/>.</summary>
    public double Accuracy => (double)Correct / Count;
}
