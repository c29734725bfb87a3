using CausalVision.Graph.Cim;
using CausalVision.Graph.Hetero;

namespace CausalVision.Graph.Tests.Cim;

public sealed class CimModuleTests
{
    private static CimOptions Small(Action<CimOptions>? configure = null)
    {
        var o = new CimOptions { InFeatures = 4, Classes = 3, HiddenFeatures = 8, Seed = 11 };
        configure?.Invoke(o);
        return o;
    }

    [Fact]
    public void Forward_Shapes_AddAndConcat()
    {
        manual_seed(0);
        using var g = TestGraphs.RandomBatch(features: 4, seed: 1);
        using (var cim = new CimModule(Small()))
        using (var o = cim.call(g))
        {
            TensorAssert.Shape(o.CausalFeatures, 3, 8);
            TensorAssert.Shape(o.TrivialFeatures, 3, 8);
            TensorAssert.Shape(o.InterventionFeatures, 3, 8);
            TensorAssert.Shape(o.CausalLogits, 3, 3);
            TensorAssert.Shape(o.TrivialLogits, 3, 3);
            TensorAssert.Shape(o.InterventionLogits, 3, 3);
            TensorAssert.Shape(o.NodeMask, 3, 7, 2);
            TensorAssert.Shape(o.EdgeMask, 3, 7, 7, 2);
            TensorAssert.Shape(o.Permutation!, 3);
            Assert.Equal(CimConfounders.RandomPermutation, o.Confounders);
            Assert.Equal(8, cim.MaskFeatures);
        }

        using (var cim = new CimModule(Small(o => { o.InterventionMode = CimInterventionMode.Concat; o.Head = CimHeadKind.Mlp; o.MaskEncoderLayers = 0; })))
        using (var o = cim.call(g))
        {
            TensorAssert.Shape(o.InterventionFeatures, 3, 16);
            TensorAssert.Shape(o.InterventionLogits, 3, 3);
            Assert.Equal(4, cim.MaskFeatures);
        }
    }

    [Fact]
    public void Forward_Masks_AreComplementary_AndRebuildTheGraph()
    {
        manual_seed(1);
        using var cim = new CimModule(Small());
        using var g = TestGraphs.RandomBatch(features: 4, seed: 2);
        using var o = cim.call(g);
        using var real = g.Mask.to(ScalarType.Float32);
        using var nodeSum = o.NodeMask.sum(2);
        TensorAssert.Close(real, nodeSum, 1e-6);
        using var pairs = real.unsqueeze(2) * real.unsqueeze(1);
        using var edgeSum = o.EdgeMask.sum(3);
        TensorAssert.Close(pairs, edgeSum, 1e-6);

        // G_c + G_n == G_h (eq. 10-11) with the masks the module reports.
        using var gcX = g.X * o.NodeMask[.., .., 1].unsqueeze(2);
        using var gnX = g.X * o.NodeMask[.., .., 0].unsqueeze(2);
        using var gcA = g.Adjacency * o.EdgeMask[.., .., .., 1];
        using var gnA = g.Adjacency * o.EdgeMask[.., .., .., 0];
        using var sumX = gcX + gnX;
        using var sumA = gcA + gnA;
        TensorAssert.Close(g.X, sumX, 1e-6);
        TensorAssert.Close(g.Adjacency, sumA, 1e-6);
    }

    [Fact]
    public void Forward_MaskFeatures_AloneDecideTheMasks()
    {
        manual_seed(9);
        using var cim = new CimModule(Small());
        using var g1 = TestGraphs.RandomBatch(features: 4, seed: 1);
        // (An affine rescaling of X would not do: the mask encoder's BatchNorm removes it.)
        using var x2 = g1.X.flip(2);
        using var real = g1.Mask.unsqueeze(2).to(ScalarType.Float32);
        using var g2 = new HeteroGraphBatch(x2 * real, g1.NodeTypes.alias(), g1.Adjacency.alias(), g1.Mask.alias());
        using var h = randn(3, 7, cim.MaskFeatures);
        using var a = cim.call(g1, h);
        using var b = cim.call(g2, h);
        TensorAssert.Close(a.NodeMask, b.NodeMask, 0, 0);
        TensorAssert.Close(a.EdgeMask, b.EdgeMask, 0, 0);
        using var own1 = cim.call(g1);
        using var own2 = cim.call(g2);
        using var diff = (own1.NodeMask - own2.NodeMask).abs().max();
        Assert.True(diff.item<float>() > 1e-4, "without maskFeatures the masks read the graph (through the mask encoder)");
    }

    [Fact]
    public void Forward_Float64_Works()
    {
        manual_seed(10);
        using var cim = new CimModule(Small(o => o.Head = CimHeadKind.Mlp), dtype: ScalarType.Float64);
        var (x, adj, mask) = TestGraphs.RandomPadded(features: 4, seed: 3);
        using var g = new HeteroGraphBatch(x.to(ScalarType.Float64), zeros(new long[] { 3, 7 }, ScalarType.Int64), adj.to(ScalarType.Float64), mask);
        x.Dispose();
        adj.Dispose();
        using var o = cim.call(g);
        Assert.Equal(ScalarType.Float64, o.InterventionLogits.dtype);
        using var r = new CimLoss(Small()).Compute(o, tensor(new long[] { 0, 1, 2 }));
        Assert.Equal(ScalarType.Float64, r.Total.dtype);
        TensorAssert.Finite(r.Total);
    }

    [Fact]
    public void Forward_Training_PairsSampleIWithPermI()
    {
        manual_seed(2);
        using var g = TestGraphs.RandomBatch(features: 4, seed: 3);
        using (var cim = new CimModule(Small()))
        using (var o = cim.call(g))
        {
            using var paired = o.TrivialFeatures.index_select(0, o.Permutation!);
            using var expected = o.CausalFeatures + paired;
            TensorAssert.Close(expected, o.InterventionFeatures, 0, 0);
            var perm = o.Permutation!.data<long>().ToArray();
            Assert.Equal(new long[] { 0, 1, 2 }, perm.OrderBy(p => p).ToArray());
            Assert.All(Enumerable.Range(0, 3), i => Assert.NotEqual(i, perm[i]));
        }

        using (var cim = new CimModule(Small(o => o.InterventionMode = CimInterventionMode.Concat)))
        {
            using var perm = tensor(new long[] { 2, 0, 1 });
            using var o = cim.forward(g, null, perm);
            Assert.Equal(new long[] { 2, 0, 1 }, o.Permutation!.data<long>().ToArray());
            using var paired = o.TrivialFeatures.index_select(0, perm);
            using var expected = cat(new[] { o.CausalFeatures, paired }, 1);
            TensorAssert.Close(expected, o.InterventionFeatures, 0, 0);
        }

        using (var cim = new CimModule(Small(o => o.TrainingConfounders = CimConfounders.BatchMean)))
        using (var o = cim.call(g))
        {
            Assert.Null(o.Permutation);
            using var mean = o.TrivialFeatures.mean(new long[] { 0 }, keepdim: true);
            using var expected = o.CausalFeatures + mean;
            TensorAssert.Close(expected, o.InterventionFeatures, 1e-6, 0);
        }
    }

    [Fact]
    public void Forward_Permutation_IsDeterministicBySeed()
    {
        static CimModule Tiny(long? seed, bool excludeSelf = true) =>
            new(new CimOptions { InFeatures = 4, Classes = 3, HiddenFeatures = 4, Seed = seed, ExcludeSelfPairing = excludeSelf });

        static long[][] Draws(long? seed, bool excludeSelf, int count)
        {
            using var cim = Tiny(seed, excludeSelf);
            manual_seed(99);
            var result = new long[count][];
            for (var i = 0; i < count; i++)
            {
                using var p = cim.SamplePermutation(8, CPU);
                result[i] = p.data<long>().ToArray();
            }

            return result;
        }

        var a = Draws(7, excludeSelf: true, 20);
        Assert.Equal(a, Draws(7, excludeSelf: true, 20));
        Assert.NotEqual(a, Draws(8, excludeSelf: true, 20));
        Assert.NotEqual(a[0], a[1]);
        foreach (var p in a.Concat(Draws(3, excludeSelf: false, 20)))
        {
            Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i).ToArray(), p.OrderBy(v => v).ToArray());
        }

        // Derangement: no graph paired with itself in any draw; a single 8-cycle.
        foreach (var p in a)
        {
            Assert.All(Enumerable.Range(0, 8), i => Assert.NotEqual(i, p[i]));
            long j = 0;
            for (var step = 1; step < 8; step++)
            {
                j = p[j];
                Assert.NotEqual(0, j);
            }

            Assert.Equal(0, p[j]);
        }

        // CAL's plain shuffle does pair some graphs with themselves (20 draws of 8: almost surely; fixed by the seed).
        Assert.Contains(Draws(3, excludeSelf: false, 20), p => Enumerable.Range(0, 8).Any(i => p[i] == i));

        // Seed null: torch's global generator, so manual_seed fixes the draws.
        Assert.Equal(Draws(null, excludeSelf: false, 5), Draws(null, excludeSelf: false, 5));

        // The training forward draws from the same sequence, and Reseed restarts it.
        using var cim = Tiny(7);
        using var g = new HeteroGraphBatch(zeros(8, 3, 4), zeros(new long[] { 8, 3 }, ScalarType.Int64), zeros(8, 3, 3));
        using (var first = cim.call(g))
        using (var second = cim.call(g))
        {
            Assert.Equal(a[0], first.Permutation!.data<long>().ToArray());
            Assert.Equal(a[1], second.Permutation!.data<long>().ToArray());
        }

        cim.Reseed(7);
        using var again = cim.call(g);
        Assert.Equal(a[0], again.Permutation!.data<long>().ToArray());
    }

    [Fact]
    public void Forward_EvaluationWithNone_IgnoresOtherSamples()
    {
        manual_seed(3);
        using var cim = new CimModule(Small(o => o.Head = CimHeadKind.Mlp));
        using var g = TestGraphs.RandomBatch(features: 4, seed: 4);

        // A few training steps so that the BatchNorm running statistics are not the initial ones.
        using (var scope = NewDisposeScope())
        {
            for (var i = 0; i < 3; i++)
            {
                using var t = cim.call(g);
            }
        }

        cim.eval();
        var graph1 = g.Unpad(1);
        using var gx = graph1.X;
        using var gt = graph1.NodeTypes;
        using var ga = graph1.Adjacency;
        using var single = HeteroGraphBatch.Pad(new[] { graph1 });
        using var all = cim.call(g);
        using var one = cim.call(single);
        Assert.Equal(CimConfounders.None, all.Confounders);
        Assert.Equal(new long[] { 0, 1, 2 }, all.Permutation!.data<long>().ToArray());
        foreach (var (a, b) in new[] { (all.CausalLogits, one.CausalLogits), (all.TrivialLogits, one.TrivialLogits), (all.InterventionLogits, one.InterventionLogits), (all.CausalFeatures, one.CausalFeatures) })
        {
            TensorAssert.Close(a[1..2], b, 1e-5, 1e-5);
        }

        using var expected = all.CausalFeatures + all.TrivialFeatures;
        TensorAssert.Close(expected, all.InterventionFeatures, 0, 0);
    }

    [Theory]
    [InlineData(CimHeadKind.Linear, CimInterventionMode.Add, CimLossKind.L2, 1)]
    [InlineData(CimHeadKind.Mlp, CimInterventionMode.Concat, CimLossKind.CrossEntropy, 2)]
    [InlineData(CimHeadKind.Linear, CimInterventionMode.Add, CimLossKind.CrossEntropy, 0)]
    public void Backward_LossGf_ReachesEveryParameter(CimHeadKind head, CimInterventionMode mode, CimLossKind loss, int maskLayers)
    {
        manual_seed(4);
        var options = Small(o => { o.Head = head; o.InterventionMode = mode; o.LossKind = loss; o.MaskEncoderLayers = maskLayers; o.Layers = 2; });
        using var cim = new CimModule(options);
        using var g = TestGraphs.RandomBatch(features: 4, seed: 5);
        using var y = tensor(new long[] { 0, 2, 1 });
        using (var scope = NewDisposeScope())
        {
            using var o = cim.call(g);
            using var r = new CimLoss(options).Compute(o, y);
            r.Total.backward();
        }

        var names = cim.named_parameters().Select(p => p.name).ToArray();
        foreach (var prefix in new[] { "split.node_mask", "split.edge_mask", "causal_encoder", "trivial_encoder", "causal_head", "trivial_head", "intervention_head" })
        {
            Assert.Contains(names, n => n.StartsWith(prefix, StringComparison.Ordinal));
        }

        Assert.Equal(maskLayers > 0, names.Any(n => n.StartsWith("mask_encoder", StringComparison.Ordinal)));
        foreach (var (name, p) in cim.named_parameters())
        {
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"{name} got no gradient");
        }
    }

    [Fact]
    public void StateDict_RoundTrip_GivesIdenticalOutputs()
    {
        manual_seed(6);
        using var source = new CimModule(Small(o => o.Head = CimHeadKind.Mlp));
        manual_seed(7);
        using var target = new CimModule(Small(o => o.Head = CimHeadKind.Mlp));
        target.load(new MemoryStream(TestGraphs.Save(source)));
        source.eval();
        target.eval();
        using var g = TestGraphs.RandomBatch(features: 4, seed: 6);
        using var a = source.call(g);
        using var b = target.call(g);
        TensorAssert.Close(a.CausalLogits, b.CausalLogits, 0, 0);
        TensorAssert.Close(a.TrivialLogits, b.TrivialLogits, 0, 0);
        TensorAssert.Close(a.InterventionLogits, b.InterventionLogits, 0, 0);
        TensorAssert.Close(a.EdgeMask, b.EdgeMask, 0, 0);
        var keys = source.state_dict().Keys.ToArray();
        Assert.Contains("split.node_mask.lin.weight", keys);
        Assert.Contains("causal_head.fc2.weight", keys);
        Assert.Contains("intervention_head.bn1.running_mean", keys);
        Assert.Contains("mask_encoder.convs.0.lin.weight", keys);
    }

    [Fact]
    public void ForwardLossBackward_LeaksNoTensors()
    {
        manual_seed(8);
        var options = Small(o => o.Head = CimHeadKind.Mlp);
        using var cim = new CimModule(options);
        var loss = new CimLoss(options);
        using var g = TestGraphs.RandomBatch(features: 4, seed: 7);
        using var y = tensor(new long[] { 1, 0, 2 });
        TensorLeaks.AssertSteadyState(() =>
        {
            using var o = cim.call(g);
            using var r = loss.Compute(o, y);
            r.Total.backward();
        });
        cim.eval();
        TensorLeaks.AssertNone(() =>
        {
            using var noGrad = no_grad();
            using var o = cim.call(g);
        });
    }

    [Fact]
    public void Forward_BadInput_ThrowsClearMessages()
    {
        using var cim = new CimModule(Small());
        using var wrongWidth = TestGraphs.RandomBatch(features: 5);
        Assert.Contains("expects 4", Assert.Throws<ArgumentException>(() => cim.call(wrongWidth)).Message);

        var x = tensor(new float[] { 1, float.NaN, 0, 0, 1, 1, 1, 1 }, new long[] { 1, 2, 4 });
        using var nan = new HeteroGraphBatch(x, zeros(new long[] { 1, 2 }, ScalarType.Int64), zeros(1, 2, 2), validate: false);
        Assert.Contains("graph.X contains NaN", Assert.Throws<ArgumentException>(() => cim.call(nan)).Message);

        using var g = TestGraphs.RandomBatch(features: 4);
        using var badMask = zeros(2, 7, 8);
        Assert.Contains("match the graph", Assert.Throws<ArgumentException>(() => cim.call(g, badMask)).Message);
        using var duplicate = tensor(new long[] { 0, 0, 1 });
        Assert.Contains("exactly once", Assert.Throws<ArgumentException>(() => cim.forward(g, null, duplicate)).Message);
        using var shortPerm = tensor(new long[] { 0, 1 });
        Assert.Contains("shape [3]", Assert.Throws<ArgumentException>(() => cim.forward(g, null, shortPerm)).Message);
        using var floatPerm = tensor(new float[] { 0, 1, 2 });
        Assert.Contains("integer", Assert.Throws<ArgumentException>(() => cim.forward(g, null, floatPerm)).Message);
        using var empty = new HeteroGraphBatch(zeros(0, 3, 4), zeros(new long[] { 0, 3 }, ScalarType.Int64), zeros(0, 3, 3));
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => cim.call(empty)).Message);

        using var mlp = new CimModule(Small(o => o.Head = CimHeadKind.Mlp));
        using var one = new HeteroGraphBatch(ones(1, 3, 4), zeros(new long[] { 1, 3 }, ScalarType.Int64), ones(1, 3, 3));
        Assert.Contains("at least 2 graphs", Assert.Throws<ArgumentException>(() => mlp.call(one)).Message);
        mlp.eval();
        using var evaluated = mlp.call(one);
        TensorAssert.Shape(evaluated.CausalLogits, 1, 3);
    }
}
