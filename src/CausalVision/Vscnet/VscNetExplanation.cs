// Per-image explanation of a VSCNet prediction (Meng et al., AAAI 2025, Figures 5 and 7): the located regions
// (theta, eq. 2), tag predictions before and after refinement (eq. 7), matched prototypes (eq. 6), causal node/edge
// mask weights (eq. 10) and the class probabilities (eq. 14). Plain managed data: no tensors to dispose.
using static TorchSharp.torch;

namespace CausalVision.Vscnet;

/// <summary>A tag with its probability.</summary>
/// <param name="Id">The tag id.</param>
/// <param name="Name">The tag name.</param>
/// <param name="Probability">The probability.</param>
public sealed record TagScore(int Id, string Name, double Probability);

/// <summary>One located region: its affine matrix and tags.</summary>
/// <param name="Theta">The 2 x 3 affine matrix, row-major <c>[t11, t12, t13, t21, t22, t23]</c>, in normalised coordinates.</param>
/// <param name="TagsBefore">The most probable tags of the CSNet's prediction (softmax of the logits).</param>
/// <param name="TagsAfter">The most probable refined tags t_f (empty before stage 2 or without +K).</param>
/// <param name="Prototype">The matched prototype id, or -1.</param>
/// <param name="PrototypeSimilarity">The similarity to the matched prototype (0 when none).</param>
/// <param name="PrototypeClass">The matched prototype's class label, or -1.</param>
public sealed record RegionExplanation(float[] Theta, IReadOnlyList<TagScore> TagsBefore, IReadOnlyList<TagScore> TagsAfter, long Prototype, double PrototypeSimilarity, long PrototypeClass);

/// <summary>The explanation of one image's prediction.</summary>
public sealed class VscNetExplanation
{
    /// <summary>Gets the located regions (empty without +L).</summary>
    public required IReadOnlyList<RegionExplanation> Regions { get; init; }

    /// <summary>Gets the final class probabilities (S).</summary>
    public required double[] ClassProbabilities { get; init; }

    /// <summary>Gets the predicted class id (argmax of <see cref="ClassProbabilities"/>).</summary>
    public int PredictedClass => Array.IndexOf(ClassProbabilities, ClassProbabilities.Max());

    /// <summary>Gets the hierarchy's class vote P_k, or <see langword="null"/> without +K.</summary>
    public double[]? KnowledgeVote { get; init; }

    /// <summary>Gets the vocabulary id of each graph tag node, or <see langword="null"/> without +G.</summary>
    public long[]? GraphTagIds { get; init; }

    /// <summary>Gets the causal weight (M_X column 1) of each graph node (regions, then tags, then prototypes, padding
    /// included), or <see langword="null"/> without +C.</summary>
    public double[]? NodeMask { get; init; }

    /// <summary>Gets the causal weight (M_A column 1) of each node pair, <c>[N, N]</c>, or <see langword="null"/> without +C.</summary>
    public double[,]? EdgeMask { get; init; }

    /// <summary>Gets the graph's adjacency weights, <c>[N, N]</c>, or <see langword="null"/> without +G.</summary>
    public double[,]? Adjacency { get; init; }

    internal static IReadOnlyList<VscNetExplanation> Create(VscNet model, Tensor images, int topTags)
    {
        if (topTags < 1)
        {
            throw new ArgumentException($"topTags must be at least 1 but is {topTags}.", nameof(topTags));
        }

        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var output = model.call(images);
            var batch = (int)images.shape[0];
            var probs = Host2(output.Probabilities);
            var vote = output.KnowledgeVote is null ? null : Host2(output.KnowledgeVote);
            var result = new VscNetExplanation[batch];
            for (var b = 0; b < batch; b++)
            {
                var regions = new List<RegionExplanation>();
                if (output.Fva is { } fva)
                {
                    var thetas = fva.Thetas[b].reshape(-1, 6).to(ScalarType.Float32).cpu().data<float>().ToArray();
                    var before = fva.TagLogits[b].softmax(-1);
                    var after = output.TagProbabilities?[b];
                    var matched = output.MatchedPrototypes?[b].cpu().data<long>().ToArray();
                    var sims = output.MatchSimilarity?[b].to(ScalarType.Float32).cpu().data<float>().ToArray();
                    for (var j = 0; j < model.Regions; j++)
                    {
                        var proto = matched?[j] ?? -1;
                        var protoClass = proto >= 0 && model.Hierarchy is { } h ? h.PrototypeClasses[(int)proto] : -1;
                        regions.Add(new RegionExplanation(
                            thetas.AsSpan(j * 6, 6).ToArray(),
                            Top(model, before[j], topTags),
                            after is null ? Array.Empty<TagScore>() : Top(model, after[j], topTags),
                            proto,
                            sims?[j] ?? 0,
                            protoClass));
                    }
                }

                result[b] = new VscNetExplanation
                {
                    Regions = regions,
                    ClassProbabilities = Row(probs, b),
                    KnowledgeVote = vote is null ? null : Row(vote, b),
                    GraphTagIds = output.GraphTagIds?[b].cpu().data<long>().ToArray(),
                    NodeMask = output.NodeMask is null ? null : output.NodeMask[b, .., 1].to(ScalarType.Float64).cpu().data<double>().ToArray(),
                    EdgeMask = output.EdgeMask is null ? null : Square(output.EdgeMask[b, .., .., 1]),
                    Adjacency = output.Adjacency is null ? null : Square(output.Adjacency[b]),
                };
            }

            return result;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private static IReadOnlyList<TagScore> Top(VscNet model, Tensor probs, int k)
    {
        k = Math.Min(k, (int)probs.shape[0]);
        var (values, ids) = probs.topk(k);
        var v = values.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var i = ids.cpu().data<long>().ToArray();
        return Enumerable.Range(0, k).Select(n => new TagScore((int)i[n], model.TagNames[(int)i[n]], v[n])).ToArray();
    }

    private static double[,] Host2(Tensor t)
    {
        var rows = (int)t.shape[0];
        var cols = (int)t.shape[1];
        var data = t.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var result = new double[rows, cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                result[r, c] = data[(r * cols) + c];
            }
        }

        return result;
    }

    private static double[,] Square(Tensor t) => Host2(t);

    private static double[] Row(double[,] m, int r)
    {
        var row = new double[m.GetLength(1)];
        for (var c = 0; c < row.Length; c++)
        {
            row[c] = m[r, c];
        }

        return row;
    }
}
