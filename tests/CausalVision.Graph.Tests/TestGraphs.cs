using CausalVision.Graph.Hetero;

namespace CausalVision.Graph.Tests;

/// <summary>Small hand-built graphs shared by the tests.</summary>
internal static class TestGraphs
{
    /// <summary>Weighted path 0-1-2-3 with weights 1, 2, 1 (symmetric), as [1, 4, 4].</summary>
    public static Tensor Path4Adjacency() => tensor(new float[]
    {
        0, 1, 0, 0,
        1, 0, 2, 0,
        0, 2, 0, 1,
        0, 0, 1, 0,
    }, new long[] { 1, 4, 4 });

    /// <summary>Node features 1, 2, 3, 4 as [1, 4, 1].</summary>
    public static Tensor Path4Features() => tensor(new float[] { 1, 2, 3, 4 }, new long[] { 1, 4, 1 });

    /// <summary>A random batch with padding: B = 3 graphs of 5, 7 and 3 real nodes padded to 7, symmetric sparse weights.</summary>
    public static (Tensor X, Tensor Adj, Tensor Mask) RandomPadded(long features = 4, int seed = 0, double density = 0.4)
    {
        manual_seed(seed);
        long[] sizes = { 5, 7, 3 };
        const long n = 7;
        using var scope = NewDisposeScope();
        var mask = zeros(new long[] { 3, n }, ScalarType.Bool);
        for (var b = 0; b < 3; b++)
        {
            mask[b, TensorIndex.Slice(0, sizes[b])] = true;
        }

        var real = mask.to(ScalarType.Float32);
        var pairs = real.unsqueeze(2) * real.unsqueeze(1);
        var upper = rand(3, n, n) * rand(3, n, n).lt(density).to(ScalarType.Float32);
        upper = upper.triu(1);
        var adj = (upper + upper.transpose(1, 2)) * pairs;
        var x = randn(3, n, features) * real.unsqueeze(2);
        return (x.MoveToOuterDisposeScope(), adj.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <summary>Serialises a module's state dict with TorchSharp's format (save closes the stream).</summary>
    public static byte[] Save(nn.Module module)
    {
        var stream = new MemoryStream();
        module.save(stream);
        return stream.ToArray();
    }

    /// <summary>Graph batch of <see cref="RandomPadded"/>.</summary>
    public static HeteroGraphBatch RandomBatch(long features = 4, int seed = 0)
    {
        var (x, adj, mask) = RandomPadded(features, seed);
        var types = zeros(new long[] { x.shape[0], x.shape[1] }, ScalarType.Int64);
        return new HeteroGraphBatch(x, types, adj, mask, requireSymmetric: true);
    }
}
