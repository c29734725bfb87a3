// Fixed feature vectors with labels and (class, context) groups: the input of a linear head.
namespace CausalVision.Training;

/// <summary>
/// N feature vectors of dimension D (row-major) with their class, context and group ids, e.g.
/// frozen backbone features cached once and shared by several linear-head rows.
/// </summary>
public sealed class FeatureSet
{
    /// <summary>Initializes a new instance of the <see cref="FeatureSet"/> class.</summary>
    /// <param name="features">N x D values, row-major (finite).</param>
    /// <param name="dim">D.</param>
    /// <param name="labels">Class per row [N].</param>
    /// <param name="contexts">Context per row [N].</param>
    /// <param name="tiedContexts">The context tied to each class (length = classes).</param>
    /// <param name="contextCount">The number of contexts; null: the largest context id seen + 1.</param>
    /// <exception cref="ArgumentException">The lengths disagree or an id is out of range.</exception>
    public FeatureSet(float[] features, int dim, int[] labels, int[] contexts, int[] tiedContexts, int? contextCount = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentNullException.ThrowIfNull(tiedContexts);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (labels.Length == 0 || features.Length != labels.Length * dim || contexts.Length != labels.Length)
        {
            throw new ArgumentException($"A feature set needs N x D features, N labels and N contexts with N >= 1; got {features.Length} values for D = {dim}, {labels.Length} labels, {contexts.Length} contexts.", nameof(features));
        }

        if (tiedContexts.Length == 0 || labels.Any(y => (uint)y >= (uint)tiedContexts.Length))
        {
            throw new ArgumentException($"Labels must lie in [0, {tiedContexts.Length}) (one tied context per class).", nameof(labels));
        }

        ContextCount = contextCount ?? (Math.Max(contexts.Max(), tiedContexts.Max()) + 1);
        if (contexts.Any(c => (uint)c >= (uint)ContextCount) || tiedContexts.Any(c => (uint)c >= (uint)ContextCount))
        {
            throw new ArgumentException($"Context ids must lie in [0, {ContextCount}).", nameof(contexts));
        }

        Features = features;
        Dim = dim;
        Labels = labels;
        Contexts = contexts;
        TiedContexts = tiedContexts;
    }

    /// <summary>Gets the features, N x D row-major.</summary>
    public float[] Features { get; }

    /// <summary>Gets D.</summary>
    public int Dim { get; }

    /// <summary>Gets N.</summary>
    public int Count => Labels.Length;

    /// <summary>Gets the class per row.</summary>
    public int[] Labels { get; }

    /// <summary>Gets the context per row.</summary>
    public int[] Contexts { get; }

    /// <summary>Gets the context tied to each class.</summary>
    public int[] TiedContexts { get; }

    /// <summary>Gets the number of classes (length of <see cref="TiedContexts"/>).</summary>
    public int ClassCount => TiedContexts.Length;

    /// <summary>Gets the number of contexts.</summary>
    public int ContextCount { get; }

    /// <summary>Gets the number of (class, context) groups: classes x contexts.</summary>
    public int GroupCount => ClassCount * ContextCount;

    /// <summary>Gets the group id of row <paramref name="i"/>: <c>label * contexts + context</c>.</summary>
    /// <param name="i">The row.</param>
    /// <returns>The group id in [0, <see cref="GroupCount"/>).</returns>
    public int GroupOf(int i) => (Labels[i] * ContextCount) + Contexts[i];
}
