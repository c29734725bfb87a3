using CausalVision.Graph.Hetero;

namespace CausalVision.Graph.Tests.Hetero;

public sealed class HeteroGraphBatchTests
{
    [Fact]
    public void Pad_GraphsOfDifferentSizes_PadsWithZerosAndMask()
    {
        using var x1 = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        using var t1 = tensor(new long[] { 0, 1 });
        using var a1 = tensor(new float[] { 0, 0.5f, 0.5f, 0 }, new long[] { 2, 2 });
        using var x2 = tensor(new float[] { 5, 6, 7, 8, 9, 10 }, new long[] { 3, 2 });
        using var t2 = tensor(new long[] { 0, 1, 2 });
        using var a2 = tensor(new float[] { 0, 1, 0, 1, 0, 2, 0, 2, 0 }, new long[] { 3, 3 });
        using var batch = HeteroGraphBatch.Pad(new[] { new HeteroGraph(x1, t1, a1), new HeteroGraph(x2, t2, a2) }, requireSymmetric: true);
        Assert.Equal(2, batch.BatchSize);
        Assert.Equal(3, batch.MaxNodes);
        Assert.Equal(2, batch.Features);
        Assert.Equal(new long[] { 2, 3 }, batch.NodeCounts());
        TensorAssert.Values(new float[] { 1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 9, 10 }, batch.X);
        TensorAssert.Values(new float[] { 0, 0.5f, 0, 0.5f, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 2, 0, 2, 0 }, batch.Adjacency);
        Assert.Equal(new long[] { 0, 1, 0, 0, 1, 2 }, batch.NodeTypes.data<long>().ToArray());
        Assert.Equal(new[] { true, true, false, true, true, true }, batch.Mask.data<bool>().ToArray());

        // Unpad gives the original graph back.
        var back = batch.Unpad(0);
        using (back.X)
        using (back.NodeTypes)
        using (back.Adjacency)
        {
            TensorAssert.Close(x1, back.X, 0, 0);
            TensorAssert.Close(a1, back.Adjacency, 0, 0);
        }
    }

    [Fact]
    public void Ctor_NullMask_MeansAllReal_AndDisposeReleasesTensors()
    {
        TensorLeaks.AssertNone(() =>
        {
            using var g = new HeteroGraphBatch(zeros(2, 3, 4), zeros(new long[] { 2, 3 }, ScalarType.Int64), zeros(2, 3, 3));
            Assert.Equal(new long[] { 3, 3 }, g.NodeCounts());
        });
        TensorLeaks.AssertNone(() =>
        {
            using var g = TestGraphs.RandomBatch();
        });
    }

    [Fact]
    public void Ctor_BadInput_ThrowsWithClearMessages()
    {
        static string Fail(Func<HeteroGraphBatch> make)
        {
            using var scope = NewDisposeScope();
            return Assert.Throws<ArgumentException>(() => make().Dispose()).Message;
        }

        var types = zeros(new long[] { 1, 3 }, ScalarType.Int64);
        var mask = tensor(new[] { true, true, false }, new long[] { 1, 3 });
        Assert.Contains("[B, N, D]", Fail(() => new HeteroGraphBatch(zeros(3, 4), types, zeros(1, 3, 3))));
        Assert.Contains("nodeTypes must have shape [1, 3]", Fail(() => new HeteroGraphBatch(zeros(1, 3, 4), zeros(new long[] { 1, 2 }, ScalarType.Int64), zeros(1, 3, 3))));
        Assert.Contains("int64", Fail(() => new HeteroGraphBatch(zeros(1, 3, 4), zeros(1, 3), zeros(1, 3, 3))));
        Assert.Contains("adjacency must have shape [1, 3, 3]", Fail(() => new HeteroGraphBatch(zeros(1, 3, 4), types, zeros(1, 3, 2))));
        Assert.Contains("NaN or Inf", Fail(() => new HeteroGraphBatch(full(1, 3, 4, float.NaN), types, zeros(1, 3, 3))));
        Assert.Contains("negative", Fail(() => new HeteroGraphBatch(zeros(1, 3, 4), types, -ones(1, 3, 3))));
        var toPadding = zeros(1, 3, 3);
        toPadding[0, 0, 2] = 1f;
        Assert.Contains("edges to or from padded nodes", Fail(() => new HeteroGraphBatch(zeros(1, 3, 4), types, toPadding, mask)));
        var padFeatures = zeros(1, 3, 4);
        padFeatures[0, 2, 0] = 1f;
        Assert.Contains("padded nodes must be all zero", Fail(() => new HeteroGraphBatch(padFeatures, types, zeros(1, 3, 3), mask)));
        var asym = zeros(1, 3, 3);
        asym[0, 0, 1] = 1f;
        Assert.Contains("symmetric", Fail(() => new HeteroGraphBatch(zeros(1, 3, 4), types, asym, requireSymmetric: true)));
        Assert.Contains("outside NodeType", Fail(() => new HeteroGraphBatch(zeros(1, 3, 4), full(new long[] { 1, 3 }, 7L, ScalarType.Int64), zeros(1, 3, 3))));
        Assert.Contains("bool", Fail(() => new HeteroGraphBatch(zeros(1, 3, 4), types, zeros(1, 3, 3), ones(1, 3))));
        Assert.Contains("graphs is empty", Assert.Throws<ArgumentException>(() => HeteroGraphBatch.Pad(Array.Empty<HeteroGraph>())).Message);
        using var scope2 = NewDisposeScope();
        Assert.Contains("all graphs must match", Assert.Throws<ArgumentException>(() => HeteroGraphBatch.Pad(new[]
        {
            new HeteroGraph(zeros(2, 3), zeros(2, ScalarType.Int64), zeros(2, 2)),
            new HeteroGraph(zeros(2, 4), zeros(2, ScalarType.Int64), zeros(2, 2)),
        })).Message);
    }

    [Fact]
    public void Dispose_Twice_IsSafe_AndUseAfterDisposeThrows()
    {
        var g = TestGraphs.RandomBatch();
        g.Dispose();
        g.Dispose();
        Assert.Throws<ObjectDisposedException>(() => g.NodeCounts());
    }
}
