using CausalVision.Graph.Cim;
using CausalVision.Graph.Hetero;

namespace CausalVision.Graph.Tests.Cim;

public sealed class CimTrainingTests
{
    // Toy task: the class is written (one-hot) into node 0's features; nodes 1-3 are noise.
    private static (HeteroGraphBatch Graph, Tensor Labels) Toy(int b, int seed)
    {
        manual_seed(seed);
        using var scope = NewDisposeScope();
        var labels = randint(0, 3, b, dtype: ScalarType.Int64);
        var x = randn(b, 4, 4) * 0.3f;
        x[.., 0, ..3] = nn.functional.one_hot(labels, 3).to(ScalarType.Float32) * 2f;
        var adj = ones(b, 4, 4) - eye(4).unsqueeze(0);
        var g = new HeteroGraphBatch(x, zeros(new long[] { b, 4 }, ScalarType.Int64), adj);
        foreach (var t in new[] { g.X, g.NodeTypes, g.Adjacency, g.Mask })
        {
            t.MoveToOuterDisposeScope();
        }

        return (g, labels.MoveToOuterDisposeScope());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Train_ToyTask_LossFallsAndCausalHeadLearns(bool cal)
    {
        // 100 tiny steps: one intra-op thread avoids thread-pool contention on a shared 2-core machine
        // (about 30x faster here); the setting is restored afterwards.
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            TrainAndEvaluate(cal);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static void TrainAndEvaluate(bool cal)
    {
        var options = cal ? CimOptions.Cal(4, 3) : new CimOptions { InFeatures = 4, Classes = 3 };
        options.HiddenFeatures = 16;
        options.Seed = 0;
        manual_seed(0);
        using var cim = new CimModule(options);
        var loss = new CimLoss(options);
        using var adam = optim.Adam(cim.parameters(), 0.01);
        var (g, y) = Toy(64, seed: 1);
        using var graph = g;
        using var labels = y;
        float first = 0, last = 0;
        for (var step = 0; step < 50; step++)
        {
            using var scope = NewDisposeScope();
            adam.zero_grad();
            using var o = cim.call(graph);
            using var r = loss.Compute(o, labels);
            r.Total.backward();
            adam.step();
            last = r.Total.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }

        Assert.True(last < 0.5f * first, $"L_gf went from {first} to {last}");
        cim.eval();
        var (tg, ty) = Toy(64, seed: 2);
        using var testGraph = tg;
        using var testLabels = ty;
        using var output = cim.call(testGraph);
        using var hits = output.CausalLogits.argmax(1).eq(testLabels).to(ScalarType.Float32).mean();
        Assert.True(hits.item<float>() >= 0.9f, $"f_c accuracy on held-out toy graphs {hits.item<float>()}");
    }
}
