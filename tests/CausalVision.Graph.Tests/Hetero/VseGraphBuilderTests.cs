using CausalVision.Graph.Hetero;

namespace CausalVision.Graph.Tests.Hetero;

public sealed class VseGraphBuilderTests
{
    // Two images, J = 2 regions, T = 4 tags, D = 3, P = 3 prototypes. Both images have the refined
    // tag probabilities below; image 0 matches both regions to prototype 2, image 1 to prototypes 0 and 1.
    private static readonly float[] Probabilities = { 0.5f, 0.3f, 0.15f, 0.05f, 0.1f, 0.2f, 0.6f, 0.1f };

    private static VseGraphInputs Inputs(bool similarity = false, bool requiresGrad = false)
    {
        manual_seed(0);
        var tf = tensor(Probabilities.Concat(Probabilities).ToArray(), new long[] { 2, 2, 4 });
        return new VseGraphInputs
        {
            RegionFeatures = randn(2, 2, 3).requires_grad_(requiresGrad),
            RefinedTagProbabilities = tf.requires_grad_(requiresGrad),
            TagEmbeddings = randn(4, 3).requires_grad_(requiresGrad),
            PrototypeFeatures = randn(3, 3).requires_grad_(requiresGrad),
            MatchedPrototypes = tensor(new long[] { 2, 2, 0, 1 }, new long[] { 2, 2 }),
            MatchSimilarity = similarity ? tensor(new float[] { 0.9f, 0.8f, 0.5f, 0.4f }, new long[] { 2, 2 }) : null,
            PrototypeTagDistribution = tensor(new float[] { 1, 0, 0, 0, 0, 0, 0, 1, 0, 0.7f, 0.3f, 0 }, new long[] { 3, 4 }),
        };
    }

    private static readonly VseGraphOptions Small = new() { TopTags = 3, RegionTopTags = 2 };

    private static float[] Symmetric(int n, params (int I, int J, float W)[] edges)
    {
        var a = new float[n * n];
        foreach (var (i, j, w) in edges)
        {
            a[(i * n) + j] = w;
            a[(j * n) + i] = w;
        }

        return a;
    }

    [Fact]
    public void Build_HandExample_GivesExpectedNodesAndEdges()
    {
        using var scope = NewDisposeScope();
        var inputs = Inputs();
        using var g = new VseGraphBuilder(Small).Build(inputs);

        // Tag nodes: the top 3 of max-over-regions t_f = [0.5, 0.3, 0.6, 0.1] -> tags 2, 0, 1 at nodes 2, 3, 4.
        Assert.Equal(new long[] { 2, 0, 1, 2, 0, 1 }, g.TagIds.data<long>().ToArray());
        Assert.Equal(new long[] { 2, -1, 0, 1 }, g.PrototypeIds.data<long>().ToArray());
        Assert.Equal(7, g.Graph.MaxNodes);
        Assert.Equal(new long[] { 0, 0, 1, 1, 1, 2, 2, 0, 0, 1, 1, 1, 2, 2 }, g.Graph.NodeTypes.data<long>().ToArray());
        Assert.Equal(new long[] { 6, 7 }, g.Graph.NodeCounts());

        // Image 0: region 0 predicts tags 0, 1 (nodes 3, 4) with t_f 0.5, 0.3; region 1 predicts tags 2, 1
        // (nodes 2, 4) with 0.6, 0.2; tags of one region are linked (0.2); both regions predict tag 1 (0.2);
        // both regions match prototype 2 (node 5, weight 1), whose t_r links it to tag 1 (0.7) and tag 2 (0.3).
        var image0 = Symmetric(7, (0, 3, 0.5f), (0, 4, 0.3f), (3, 4, 0.2f), (1, 2, 0.6f), (1, 4, 0.2f), (2, 4, 0.2f), (0, 1, 0.2f), (0, 5, 1f), (1, 5, 1f), (5, 4, 0.7f), (5, 2, 0.3f));
        TensorAssert.Values(image0, g.Graph.Adjacency[0], 1e-6);

        // Image 1: prototypes 0 (node 5, t_r -> tag 0 = node 3) and 1 (node 6, its tag 3 is not a node).
        var image1 = Symmetric(7, (0, 3, 0.5f), (0, 4, 0.3f), (3, 4, 0.2f), (1, 2, 0.6f), (1, 4, 0.2f), (2, 4, 0.2f), (0, 1, 0.2f), (0, 5, 1f), (1, 6, 1f), (5, 3, 1f));
        TensorAssert.Values(image1, g.Graph.Adjacency[1], 1e-6);

        // Features: regions, then tag embeddings of tags 2, 0, 1, then prototypes; padding is zero.
        TensorAssert.Close(inputs.RegionFeatures[0], g.Graph.X[0, ..2]);
        TensorAssert.Close(inputs.TagEmbeddings.index_select(0, tensor(new long[] { 2, 0, 1 })), g.Graph.X[1, 2..5]);
        TensorAssert.Close(inputs.PrototypeFeatures![2], g.Graph.X[0, 5]);
        TensorAssert.Values(new float[3], g.Graph.X[0, 6]);
        TensorAssert.Close(inputs.PrototypeFeatures![1], g.Graph.X[1, 6]);

        // The result is a valid undirected graph batch (no edges to padding, zero padded features).
        using var check = new HeteroGraphBatch(g.Graph.X.alias(), g.Graph.NodeTypes.alias(), g.Graph.Adjacency.alias(), g.Graph.Mask.alias(), requireSymmetric: true);
    }

    [Fact]
    public void Build_WithSimilarity_WeightsRegionPrototypeEdges()
    {
        using var scope = NewDisposeScope();
        using var g = new VseGraphBuilder(Small).Build(Inputs(similarity: true));
        Assert.Equal(0.9f, g.Graph.Adjacency[0, 0, 5].item<float>(), 6);
        Assert.Equal(0.8f, g.Graph.Adjacency[0, 5, 1].item<float>(), 6);
        Assert.Equal(0.4f, g.Graph.Adjacency[1, 1, 6].item<float>(), 6);
    }

    [Fact]
    public void Build_WithoutPrototypes_IsEq8Graph()
    {
        using var scope = NewDisposeScope();
        var inputs = Inputs();
        var options = new VseGraphOptions { TopTags = 3, RegionTopTags = 2, IncludePrototypes = false, TagTagWeight = 0.5, RegionRegionWeight = 0.25 };
        using var g = new VseGraphBuilder(options).Build(new VseGraphInputs { RegionFeatures = inputs.RegionFeatures, RefinedTagProbabilities = inputs.RefinedTagProbabilities, TagEmbeddings = inputs.TagEmbeddings });
        Assert.Equal(5, g.Graph.MaxNodes);
        TensorAssert.Values(Symmetric(5, (0, 3, 0.5f), (0, 4, 0.3f), (3, 4, 0.5f), (1, 2, 0.6f), (1, 4, 0.2f), (2, 4, 0.5f), (0, 1, 0.25f)), g.Graph.Adjacency[0], 1e-6);
    }

    [Fact]
    public void Build_Gradients_ReachProbabilitiesAndEveryFeatureSource()
    {
        using var scope = NewDisposeScope();
        var inputs = Inputs(requiresGrad: true);
        using var g = new VseGraphBuilder(Small).Build(inputs);
        (g.Graph.Adjacency.sum() + g.Graph.X.sum()).backward();
        var tfGrad = inputs.RefinedTagProbabilities.grad!;
        Assert.Equal(2f, tfGrad[0, 0, 0].item<float>(), 6); // edge (0, 3) and (3, 0), weight 1 · t_f
        Assert.Equal(0f, tfGrad[0, 0, 2].item<float>());     // tag 2 is not among region 0's top 2
        Assert.True(inputs.RegionFeatures.grad!.abs().sum().item<float>() > 0);
        Assert.True(inputs.TagEmbeddings.grad!.abs().sum().item<float>() > 0);
        Assert.Equal(0f, inputs.TagEmbeddings.grad![3].abs().sum().item<float>()); // tag 3 is no node
        Assert.True(inputs.PrototypeFeatures!.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Build_NoLeaks()
    {
        using var scope = NewDisposeScope();
        var inputs = Inputs(similarity: true);
        var builder = new VseGraphBuilder(Small);
        TensorLeaks.AssertNone(() =>
        {
            using var g = builder.Build(inputs);
        });
    }

    [Fact]
    public void Options_Defaults_ArePinned_AndInvalidOptionsThrow()
    {
        var o = new VseGraphOptions();
        Assert.Equal(9, o.TopTags);
        Assert.Equal(5, o.RegionTopTags);
        Assert.Equal(1.0, o.RegionTagWeight);
        Assert.True(o.WeightRegionTagByProbability);
        Assert.Equal(0.2, o.TagTagWeight);
        Assert.Equal(0.2, o.RegionRegionWeight);
        Assert.True(o.IncludePrototypes);
        Assert.Equal(1.0, o.RegionPrototypeWeight);
        Assert.Equal(1.0, o.PrototypeTagWeight);
        Assert.True(o.WeightPrototypeTagByDistribution);
        Assert.Contains("VseGraphOptions.TopTags", Assert.Throws<ArgumentException>(() => new VseGraphBuilder(new VseGraphOptions { TopTags = 0 })).Message);
        Assert.Contains("VseGraphOptions.TagTagWeight", Assert.Throws<ArgumentException>(() => new VseGraphBuilder(new VseGraphOptions { TagTagWeight = -1 })).Message);
        Assert.Contains("VseGraphOptions.RegionTagWeight", Assert.Throws<ArgumentException>(() => new VseGraphBuilder(new VseGraphOptions { RegionTagWeight = double.PositiveInfinity })).Message);
    }

    [Fact]
    public void Build_BadInput_ThrowsWithClearMessages()
    {
        using var scope = NewDisposeScope();
        var ok = Inputs();
        var builder = new VseGraphBuilder(Small);
        string Fail(VseGraphInputs inputs) => Assert.Throws<ArgumentException>(() => builder.Build(inputs)).Message;

        Assert.Contains("PrototypeFeatures is required", Fail(new VseGraphInputs { RegionFeatures = ok.RegionFeatures, RefinedTagProbabilities = ok.RefinedTagProbabilities, TagEmbeddings = ok.TagEmbeddings }));
        Assert.Contains("outside [0, 3)", Fail(new VseGraphInputs { RegionFeatures = ok.RegionFeatures, RefinedTagProbabilities = ok.RefinedTagProbabilities, TagEmbeddings = ok.TagEmbeddings, PrototypeFeatures = ok.PrototypeFeatures, MatchedPrototypes = tensor(new long[] { 0, 3, 0, 0 }, new long[] { 2, 2 }) }));
        Assert.Contains("TagEmbeddings must have shape [4, 3]", Fail(new VseGraphInputs { RegionFeatures = ok.RegionFeatures, RefinedTagProbabilities = ok.RefinedTagProbabilities, TagEmbeddings = zeros(4, 5) }));
        Assert.Contains("RefinedTagProbabilities must have shape [2, 2, T>0]", Fail(new VseGraphInputs { RegionFeatures = ok.RegionFeatures, RefinedTagProbabilities = zeros(2, 3, 4), TagEmbeddings = ok.TagEmbeddings }));
        Assert.Contains("negative", Fail(new VseGraphInputs { RegionFeatures = ok.RegionFeatures, RefinedTagProbabilities = -ok.RefinedTagProbabilities, TagEmbeddings = ok.TagEmbeddings }));
        Assert.Contains("NaN or Inf", Fail(new VseGraphInputs { RegionFeatures = full(2, 2, 3, float.NaN), RefinedTagProbabilities = ok.RefinedTagProbabilities, TagEmbeddings = ok.TagEmbeddings }));
        Assert.Contains("empty", Fail(new VseGraphInputs { RegionFeatures = zeros(2, 0, 3), RefinedTagProbabilities = zeros(2, 0, 4), TagEmbeddings = ok.TagEmbeddings }));
        Assert.Contains("PrototypeTagDistribution must have shape [3, 4]", Fail(new VseGraphInputs { RegionFeatures = ok.RegionFeatures, RefinedTagProbabilities = ok.RefinedTagProbabilities, TagEmbeddings = ok.TagEmbeddings, PrototypeFeatures = ok.PrototypeFeatures, MatchedPrototypes = ok.MatchedPrototypes, PrototypeTagDistribution = zeros(3, 5) }));
    }
}
