using CausalVision.Graph.Cim;
using CausalVision.Graph.Hetero;
using Xunit.Abstractions;

namespace CausalVision.Graph.Tests.Cim;

/// <summary>
/// The masks must select: in a toy graph with one causal node and one node tied to the class 90 % of the time in training
/// (independent at test), CIM must keep the causal node and drop the shortcut one, and f_c must stay accurate when the
/// shortcut breaks.
/// </summary>
public sealed class CimSeparationTests(ITestOutputHelper output)
{
    private const int Classes = 3;
    private const int Nodes = 4;
    private const int Features = Nodes + Classes;

    /// <summary>
    /// Node features are [position one-hot (4) ; signal (3)]. Node 0 (causal) carries one-hot(y) at amplitude 1 plus noise
    /// 0.5; node 1 (shortcut) carries one-hot(s) at amplitude 3, s = y with probability <paramref name="tie"/> and a
    /// uniformly random class otherwise; nodes 2-3 carry one-hot of a random class at amplitude 3. Fully connected.
    /// </summary>
    internal static (HeteroGraphBatch Graph, Tensor Labels) Toy(int b, double tie, int seed)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)seed);
        var labels = randint(0, Classes, new long[] { b }, dtype: ScalarType.Int64, generator: gen);
        var random = randint(0, Classes, new long[] { b }, dtype: ScalarType.Int64, generator: gen);
        var keep = rand(new long[] { b }, generator: gen).lt(tie);
        var shortcut = where(keep, labels, random);
        var x = zeros(b, Nodes, Features);
        x[.., .., ..Nodes] = eye(Nodes).unsqueeze(0).expand(b, Nodes, Nodes);
        x[.., 0, Nodes..] = nn.functional.one_hot(labels, Classes).to(ScalarType.Float32) + (randn(new long[] { b, Classes }, generator: gen) * 0.5f);
        x[.., 1, Nodes..] = nn.functional.one_hot(shortcut, Classes).to(ScalarType.Float32) * 3f;
        for (var n = 2; n < Nodes; n++)
        {
            var noise = randint(0, Classes, new long[] { b }, dtype: ScalarType.Int64, generator: gen);
            x[.., n, Nodes..] = nn.functional.one_hot(noise, Classes).to(ScalarType.Float32) * 3f;
        }

        var adj = ones(b, Nodes, Nodes) - eye(Nodes).unsqueeze(0);
        var g = new HeteroGraphBatch(x, zeros(new long[] { b, Nodes }, ScalarType.Int64), adj);
        foreach (var t in new[] { g.X, g.NodeTypes, g.Adjacency, g.Mask })
        {
            t.MoveToOuterDisposeScope();
        }

        gen.Dispose();
        return (g, labels.MoveToOuterDisposeScope());
    }

    /// <summary>Trains CIM full-batch and returns (mean causal-node mask, mean shortcut-node mask, f_c OOD accuracy).</summary>
    internal static (double Causal, double Shortcut, double OodAccuracy) TrainToy(CimOptions options, int steps = 200)
    {
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            options.HiddenFeatures = 16;
            options.Seed = 0;
            manual_seed(0);
            using var cim = new CimModule(options);
            var loss = new CimLoss(options);
            using var adam = optim.Adam(cim.parameters(), 0.01);
            var (g, y) = Toy(256, 0.9, seed: 1);
            using var graph = g;
            using var labels = y;
            for (var step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                adam.zero_grad();
                using var o = cim.call(graph);
                using var r = loss.Compute(o, labels);
                r.Total.backward();
                adam.step();
            }

            cim.eval();
            using var noGrad = no_grad();
            var (tg, ty) = Toy(512, 1.0 / Classes, seed: 2);
            using var testGraph = tg;
            using var testLabels = ty;
            using var output = cim.call(testGraph);
            using var s = NewDisposeScope();
            var causal = output.NodeMask[.., 0, 1].mean().item<float>();
            var shortcut = output.NodeMask[.., 1, 1].mean().item<float>();
            var accuracy = output.CausalLogits.argmax(1).eq(testLabels).to(ScalarType.Float32).mean().item<float>();
            return (causal, shortcut, accuracy);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void Selective_ToyShortcut_CausalNodeMaskExceedsShortcutAndFcGeneralises()
    {
        var (causal, shortcut, accuracy) = TrainToy(CimOptions.Selective(Features, Classes));
        output.WriteLine($"Selective: M_X causal {causal:F3}, shortcut {shortcut:F3}, f_c OOD accuracy {accuracy:F3}");
        // Measured: 0.866 vs 0.233, f_c OOD accuracy 0.795 (the paper's literal form: 1.000 vs 1.000, 0.734).
        Assert.True(causal - shortcut >= 0.4, $"causal node mask {causal:F3} does not exceed the shortcut node's {shortcut:F3} by 0.4.");
        Assert.True(accuracy >= 0.65, $"f_c OOD accuracy {accuracy:F3} (chance 0.333).");
    }

    [Fact]
    public void GeneralizedCrossEntropy_ToyShortcut_ShortcutGoesToTheNonCausalGraph()
    {
        // DisC's objective, without a budget: f_n takes the shortcut node, f_c keeps the causal one.
        var options = CimOptions.Selective(Features, Classes);
        options.TrivialObjective = CimTrivialObjective.GeneralizedCrossEntropy;
        options.MaskBudgetWeight = 0;
        var (causal, shortcut, accuracy) = TrainToy(options);
        output.WriteLine($"GCE: M_X causal {causal:F3}, shortcut {shortcut:F3}, f_c OOD accuracy {accuracy:F3}");
        // Measured: 0.980 vs 0.024, f_c OOD accuracy 0.607.
        Assert.True(causal - shortcut >= 0.5, $"causal node mask {causal:F3} vs shortcut {shortcut:F3}.");
        Assert.True(accuracy >= 0.5, $"f_c OOD accuracy {accuracy:F3} (chance 0.333).");
    }
}
