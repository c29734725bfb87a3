// Builds VSCNet's fine-grained visual-semantic association graphs (Meng et al., AAAI 2025):
// eq. 8  G_a = {(r, t_f), A_a}: edges between regions and their tags, between tags predicted by
//        the same region, and between regions predicting the same tag;
// eq. 9  G_h = {(r, t_f, p), A_h}: plus prototype nodes, edges region -> best-matching prototype
//        and prototype -> tag.
// Where the paper is silent we chose (and the options expose):
// - "predicted tags" of a region = its RegionTopTags highest refined tags t_f (eq. 7), restricted to
//   the image's K tag nodes; the K tag nodes are the tags with the highest max-over-regions t_f
//   (the authors' code keeps the top 9 tags after refinement).
// - region-tag weight = RegionTagWeight * t_f[j, t] (differentiable in t_f); tag-tag and
//   region-region edges are binary times their weight (the authors' code uses 0.2 for related tags).
// - regions matched to the same prototype share one prototype node (distinct prototypes per image);
//   prototype -> tag edges go to the image's tag nodes with t_r[p, t] > 0, weighted by t_r[p, t].
// - all edges are undirected (A symmetric), no self loops (the GCN adds them).
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Graph.Hetero;

/// <summary>Builds the heterogeneous region/tag/prototype graph batch of VSCNet eq. 8-9.</summary>
/// <remarks>
/// The structure (which edges exist) is decided on the host from the detached probabilities and
/// match ids; the node features and the probability/similarity edge weights are gathered with
/// differentiable tensor ops, so gradients reach region features, tag embeddings, prototype
/// features and t_f. See <see cref="VseGraph"/> for the node layout.
/// </remarks>
public sealed class VseGraphBuilder
{
    private readonly VseGraphOptions options;

    /// <summary>Initializes a new instance of the <see cref="VseGraphBuilder"/> class.</summary>
    /// <param name="options">The options (validated and copied here); null = defaults.</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public VseGraphBuilder(VseGraphOptions? options = null)
    {
        var o = options ?? new VseGraphOptions();
        o.Validate();
        this.options = new VseGraphOptions
        {
            TopTags = o.TopTags,
            RegionTopTags = o.RegionTopTags,
            RegionTagWeight = o.RegionTagWeight,
            WeightRegionTagByProbability = o.WeightRegionTagByProbability,
            TagTagWeight = o.TagTagWeight,
            RegionRegionWeight = o.RegionRegionWeight,
            IncludePrototypes = o.IncludePrototypes,
            RegionPrototypeWeight = o.RegionPrototypeWeight,
            PrototypeTagWeight = o.PrototypeTagWeight,
            WeightPrototypeTagByDistribution = o.WeightPrototypeTagByDistribution,
        };
    }

    /// <summary>Builds the graph batch.</summary>
    /// <param name="inputs">Region features, refined tag probabilities, tag embeddings and (for G_h) the prototype match.</param>
    /// <returns>The graph and its node ids (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Shapes disagree, values are NaN/Inf or ids are out of range.</exception>
    public VseGraph Build(VseGraphInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        long b, j, t, d;
        using (NewDisposeScope())
        {
            (b, j, t, d, _) = Check(inputs);
        }

        var o = options;
        var device = inputs.RegionFeatures.device;
        var dtype = inputs.RegionFeatures.dtype;
        var k = Math.Min(o.TopTags, (int)t);
        var r = Math.Min(o.RegionTopTags, (int)t);
        var withPrototypes = o.IncludePrototypes;

        using var scope = NewDisposeScope();
        var tf = inputs.RefinedTagProbabilities;

        // Host copies of the structure-deciding quantities.
        var tagIds = tf.detach().amax(new long[] { 1 }).topk(k, dim: 1).indexes; // [B, K]
        var regionTop = tf.detach().topk(r, dim: 2).indexes;                     // [B, J, R]
        var tagIdsHost = tagIds.cpu().data<long>().ToArray();
        var regionTopHost = regionTop.cpu().data<long>().ToArray();
        long[]? matchHost = withPrototypes ? inputs.MatchedPrototypes!.cpu().data<long>().ToArray() : null;
        float[]? distHost = withPrototypes && inputs.PrototypeTagDistribution is not null
            ? inputs.PrototypeTagDistribution.detach().to(ScalarType.Float32).cpu().data<float>().ToArray()
            : null;

        // Distinct matched prototypes per image, in order of first appearance.
        var protoNodes = new List<long>[b];
        var regionProtoNode = new int[b * j];
        var pMax = 0;
        for (var bi = 0; bi < b; bi++)
        {
            protoNodes[bi] = new List<long>();
            for (var ji = 0; ji < j; ji++)
            {
                regionProtoNode[(bi * j) + ji] = -1;
                if (matchHost is null)
                {
                    continue;
                }

                var id = matchHost[(bi * j) + ji];
                if (id < 0)
                {
                    continue;
                }

                var u = protoNodes[bi].IndexOf(id);
                if (u < 0)
                {
                    u = protoNodes[bi].Count;
                    protoNodes[bi].Add(id);
                }

                regionProtoNode[(bi * j) + ji] = u;
            }

            pMax = Math.Max(pMax, protoNodes[bi].Count);
        }

        long n = j + k + pMax;
        var constant = new float[b * n * n];
        var rtIndex = new List<long>();   // flat [B, N, N] index of each region-tag entry
        var rtSource = new List<long>();  // flat [B, J, T] index of its probability
        var rpIndex = new List<long>();
        var rpSource = new List<long>();  // flat [B, J] index of its similarity
        void Set(long bi, long u, long v, double w)
        {
            constant[(bi * n * n) + (u * n) + v] = (float)w;
            constant[(bi * n * n) + (v * n) + u] = (float)w;
        }

        for (var bi = 0; bi < b; bi++)
        {
            var tagNode = new Dictionary<long, int>();
            for (var ki = 0; ki < k; ki++)
            {
                tagNode[tagIdsHost[(bi * k) + ki]] = ki;
            }

            var predicted = new List<int>[j];
            for (var ji = 0; ji < j; ji++)
            {
                predicted[ji] = new List<int>();
                for (var ri = 0; ri < r; ri++)
                {
                    var tag = regionTopHost[(((bi * j) + ji) * r) + ri];
                    if (!tagNode.TryGetValue(tag, out var ki))
                    {
                        continue;
                    }

                    predicted[ji].Add(ki);
                    long u = ji, v = j + ki;
                    if (o.WeightRegionTagByProbability)
                    {
                        rtIndex.Add((bi * n * n) + (u * n) + v);
                        rtIndex.Add((bi * n * n) + (v * n) + u);
                        var src = (((long)bi * j) + ji) * t + tag;
                        rtSource.Add(src);
                        rtSource.Add(src);
                    }
                    else
                    {
                        Set(bi, u, v, o.RegionTagWeight);
                    }
                }

                // Tags predicted by the same region.
                foreach (var k1 in predicted[ji])
                {
                    foreach (var k2 in predicted[ji])
                    {
                        if (k1 < k2)
                        {
                            Set(bi, j + k1, j + k2, o.TagTagWeight);
                        }
                    }
                }
            }

            // Regions predicting the same tag.
            for (var j1 = 0; j1 < j; j1++)
            {
                for (var j2 = j1 + 1; j2 < j; j2++)
                {
                    if (predicted[j1].Intersect(predicted[j2]).Any())
                    {
                        Set(bi, j1, j2, o.RegionRegionWeight);
                    }
                }
            }

            if (!withPrototypes)
            {
                continue;
            }

            for (var ji = 0; ji < j; ji++)
            {
                var u = regionProtoNode[(bi * j) + ji];
                if (u < 0)
                {
                    continue;
                }

                long pu = j + k + u;
                if (inputs.MatchSimilarity is not null)
                {
                    rpIndex.Add((bi * n * n) + (ji * n) + pu);
                    rpIndex.Add((bi * n * n) + (pu * n) + ji);
                    rpSource.Add((bi * j) + ji);
                    rpSource.Add((bi * j) + ji);
                }
                else
                {
                    Set(bi, ji, pu, o.RegionPrototypeWeight);
                }
            }

            if (distHost is null)
            {
                continue;
            }

            for (var u = 0; u < protoNodes[bi].Count; u++)
            {
                var proto = protoNodes[bi][u];
                for (var ki = 0; ki < k; ki++)
                {
                    var share = distHost[(proto * t) + tagIdsHost[(bi * k) + ki]];
                    if (share > 0)
                    {
                        Set(bi, j + k + u, j + ki, o.PrototypeTagWeight * (o.WeightPrototypeTagByDistribution ? share : 1.0));
                    }
                }
            }
        }

        // Adjacency: constant part plus the differentiable probability / similarity weights. index_add goes through
        // ScalarSafe: an implicit 1.0 -> Scalar temporary can be finalised while libtorch still reads it (native abort).
        var adjFlat = tensor(constant, new long[] { b * n * n }).to(dtype, device);
        if (rtIndex.Count > 0)
        {
            var values = tf.reshape(-1).index_select(0, tensor(rtSource.ToArray()).to(device)).to(dtype) * o.RegionTagWeight;
            adjFlat = ScalarSafe.IndexAdd(adjFlat, 0, tensor(rtIndex.ToArray()).to(device), values, 1.0);
        }

        if (rpIndex.Count > 0)
        {
            var values = inputs.MatchSimilarity!.reshape(-1).index_select(0, tensor(rpSource.ToArray()).to(device)).to(dtype) * o.RegionPrototypeWeight;
            adjFlat = ScalarSafe.IndexAdd(adjFlat, 0, tensor(rpIndex.ToArray()).to(device), values, 1.0);
        }

        var adj = adjFlat.reshape(b, n, n);

        // Node features: regions, tag embeddings of the K tags, the distinct prototypes (zero padding).
        var tagFeatures = inputs.TagEmbeddings.index_select(0, tagIds.reshape(-1)).reshape(b, k, d).to(dtype);
        var parts = new List<Tensor> { inputs.RegionFeatures, tagFeatures };
        var protoIdsHost = new long[b * pMax];
        Array.Fill(protoIdsHost, -1L);
        for (var bi = 0; bi < b; bi++)
        {
            for (var u = 0; u < protoNodes[bi].Count; u++)
            {
                protoIdsHost[(bi * pMax) + u] = protoNodes[bi][u];
            }
        }

        var protoIds = tensor(protoIdsHost, new long[] { b, pMax }).to(device);
        if (pMax > 0)
        {
            var valid = protoIds.ge(0);
            var gathered = inputs.PrototypeFeatures!.index_select(0, protoIds.clamp_min(0).reshape(-1)).reshape(b, pMax, d).to(dtype);
            parts.Add(gathered * valid.unsqueeze(2).to(dtype));
        }

        var x = cat(parts, 1);

        var typesHost = new long[b * n];
        var maskHost = new bool[b * n];
        for (var bi = 0; bi < b; bi++)
        {
            for (var u = 0; u < n; u++)
            {
                var kind = u < j ? NodeType.Region : u < j + k ? NodeType.Tag : NodeType.Prototype;
                typesHost[(bi * n) + u] = (long)kind;
                maskHost[(bi * n) + u] = u < j + k || u - j - k < protoNodes[bi].Count;
            }
        }

        var types = tensor(typesHost, new long[] { b, n }).to(device);
        var mask = tensor(maskHost, new long[] { b, n }).to(device);
        var graph = new HeteroGraphBatch(x.MoveToOuterDisposeScope(), types.MoveToOuterDisposeScope(), adj.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope(), requireSymmetric: true, validate: false);
        return new VseGraph(graph, tagIds.MoveToOuterDisposeScope(), protoIds.MoveToOuterDisposeScope(), j);
    }

    private (long B, long J, long T, long D, long P) Check(VseGraphInputs inputs)
    {
        var rf = inputs.RegionFeatures;
        Guard.Rank(rf, 3, "RegionFeatures", "[B, J, D]");
        Guard.Floating(rf, "RegionFeatures");
        Guard.Finite(rf, "RegionFeatures");
        long b = rf.shape[0], j = rf.shape[1], d = rf.shape[2];
        if (b == 0 || j == 0 || d == 0)
        {
            throw new ArgumentException($"RegionFeatures is empty ([{b}, {j}, {d}]); need at least one image, one region and one feature.", "RegionFeatures");
        }

        var tf = inputs.RefinedTagProbabilities;
        Guard.Rank(tf, 3, "RefinedTagProbabilities", "[B, J, T]");
        Guard.Floating(tf, "RefinedTagProbabilities");
        if (tf.shape[0] != b || tf.shape[1] != j || tf.shape[2] == 0)
        {
            throw new ArgumentException($"RefinedTagProbabilities must have shape [{b}, {j}, T>0] to match RegionFeatures, got [{string.Join(", ", tf.shape)}].", "RefinedTagProbabilities");
        }

        Guard.Finite(tf, "RefinedTagProbabilities");
        using (var negative = tf.lt(0).any())
        {
            if (negative.item<bool>())
            {
                throw new ArgumentException("RefinedTagProbabilities has negative values; expected probabilities (eq. 7).", "RefinedTagProbabilities");
            }
        }

        long t = tf.shape[2];
        var te = inputs.TagEmbeddings;
        Guard.Rank(te, 2, "TagEmbeddings", "[T, D]");
        if (te.shape[0] != t || te.shape[1] != d)
        {
            throw new ArgumentException($"TagEmbeddings must have shape [{t}, {d}] (vocabulary T from the probabilities, width D from the regions), got [{string.Join(", ", te.shape)}].", "TagEmbeddings");
        }

        Guard.Floating(te, "TagEmbeddings");
        Guard.Finite(te, "TagEmbeddings");
        CheckDevice(te, rf, "TagEmbeddings");
        CheckDevice(tf, rf, "RefinedTagProbabilities");
        if (!options.IncludePrototypes)
        {
            return (b, j, t, d, 0);
        }

        var pf = inputs.PrototypeFeatures ?? throw new ArgumentException("PrototypeFeatures is required when IncludePrototypes is true (G_h, eq. 9); set IncludePrototypes = false for G_a (eq. 8).", "PrototypeFeatures");
        Guard.Rank(pf, 2, "PrototypeFeatures", "[P, D]");
        if (pf.shape[1] != d)
        {
            throw new ArgumentException($"PrototypeFeatures must have width {d} like the regions, got [{string.Join(", ", pf.shape)}].", "PrototypeFeatures");
        }

        Guard.Floating(pf, "PrototypeFeatures");
        Guard.Finite(pf, "PrototypeFeatures");
        CheckDevice(pf, rf, "PrototypeFeatures");
        long p = pf.shape[0];
        var match = inputs.MatchedPrototypes ?? throw new ArgumentException("MatchedPrototypes is required when IncludePrototypes is true.", "MatchedPrototypes");
        Guard.Rank(match, 2, "MatchedPrototypes", "[B, J]");
        if (match.shape[0] != b || match.shape[1] != j || match.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"MatchedPrototypes must be int64 [{b}, {j}], got {match.dtype} [{string.Join(", ", match.shape)}].", "MatchedPrototypes");
        }

        using (var bad = match.lt(-1).logical_or(match.ge(p)).any())
        {
            if (bad.item<bool>())
            {
                throw new ArgumentException($"MatchedPrototypes has ids outside [0, {p}) (or -1 for no match).", "MatchedPrototypes");
            }
        }

        if (inputs.MatchSimilarity is { } sim)
        {
            Guard.Rank(sim, 2, "MatchSimilarity", "[B, J]");
            if (sim.shape[0] != b || sim.shape[1] != j)
            {
                throw new ArgumentException($"MatchSimilarity must have shape [{b}, {j}], got [{string.Join(", ", sim.shape)}].", "MatchSimilarity");
            }

            Guard.Floating(sim, "MatchSimilarity");
            Guard.Finite(sim, "MatchSimilarity");
            CheckDevice(sim, rf, "MatchSimilarity");
            using var negative = sim.lt(0).any();
            if (negative.item<bool>())
            {
                throw new ArgumentException("MatchSimilarity has negative values; edge weights must be >= 0.", "MatchSimilarity");
            }
        }

        if (inputs.PrototypeTagDistribution is { } dist)
        {
            Guard.Rank(dist, 2, "PrototypeTagDistribution", "[P, T]");
            if (dist.shape[0] != p || dist.shape[1] != t)
            {
                throw new ArgumentException($"PrototypeTagDistribution must have shape [{p}, {t}], got [{string.Join(", ", dist.shape)}].", "PrototypeTagDistribution");
            }

            Guard.Floating(dist, "PrototypeTagDistribution");
            Guard.Finite(dist, "PrototypeTagDistribution");
            using var negative = dist.lt(0).any();
            if (negative.item<bool>())
            {
                throw new ArgumentException("PrototypeTagDistribution has negative values.", "PrototypeTagDistribution");
            }
        }

        return (b, j, t, d, p);
    }

    private static void CheckDevice(Tensor t, Tensor reference, string name)
    {
        if (!Guard.SameDevice(t, reference))
        {
            throw new ArgumentException($"{name} is on {t.device} but RegionFeatures is on {reference.device}.", name);
        }
    }
}
