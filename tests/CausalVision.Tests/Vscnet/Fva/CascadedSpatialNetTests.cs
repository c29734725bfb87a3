using CausalVision.Vscnet.Fva;
using TorchSharp.Modules;

namespace CausalVision.Tests.Vscnet.Fva;

public sealed class CascadedSpatialNetTests
{
    // A 4x4 map whose centre 2x2 is 1 and border 0. The centred half-size crop theta = [[.5,0,0],[0,.5,0]]
    // (align_corners = false) samples pixel coordinates 0.75, 1.25, 1.75, 2.25 along each axis; bilinear
    // interpolation of the profile (0, 1, 1, 0) there gives (0.75, 1, 1, 0.75), so the sampled map is the outer
    // product of that profile with itself and its mean is 0.875^2 = 0.765625 (the whole map's mean is 0.25).
    private static readonly float[] CentreProfile = [0.75f, 1f, 1f, 0.75f];

    private static Tensor CentreMap(int channels = 1)
    {
        var data = new float[channels * 16];
        for (var c = 0; c < channels; c++)
        {
            foreach (var (r, col) in new[] { (1, 1), (1, 2), (2, 1), (2, 2) })
            {
                data[(c * 16) + (r * 4) + col] = 1f;
            }
        }

        return tensor(data, new long[] { 1, channels, 4, 4 });
    }

    [Fact]
    public void SampleRegions_IdentityTheta_ReproducesMap()
    {
        manual_seed(1);
        using var map = randn(2, 3, 5, 7);
        using var theta = tensor(new float[] { 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0 }, new long[] { 2, 2, 3 });
        using var sampled = CascadedSpatialNet.SampleRegions(map, theta);
        TensorAssert.Close(map, sampled, atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void SampleRegions_HalfSizeCrop_MatchesHandComputedBilinearValues()
    {
        using var map = CentreMap();
        using var theta = tensor(new float[] { 0.5f, 0, 0, 0, 0.5f, 0 }, new long[] { 1, 2, 3 });
        using var sampled = CascadedSpatialNet.SampleRegions(map, theta);
        var expected = CentreProfile.SelectMany(a => CentreProfile.Select(b => a * b)).ToArray();
        TensorAssert.Values(expected, sampled, atol: 1e-6);
        using var mean = sampled.mean();
        Assert.Equal(0.765625, mean.item<float>(), 6);
    }

    [Fact]
    public void Forward_AtInitialisation_EveryStepSamplesCentredHalfCrop()
    {
        manual_seed(2);
        using var net = new CascadedSpatialNet(2, 3, new FvaOptions { Steps = 3 });
        using var map = CentreMap(2);
        using var global = randn(1, 2);
        using var output = net.call(global, map);
        TensorAssert.Values([0.5f, 0, 0, 0, 0.5f, 0, 0.5f, 0, 0, 0, 0.5f, 0, 0.5f, 0, 0, 0, 0.5f, 0], output.Thetas, atol: 1e-7);
        TensorAssert.Values([0.765625f, 0.765625f, 0.765625f, 0.765625f, 0.765625f, 0.765625f], output.RegionFeatures, atol: 1e-6);
    }

    [Fact]
    public void Forward_MaxPooling_PoolsMaximumOfRegion()
    {
        using var net = new CascadedSpatialNet(1, 2, new FvaOptions { Steps = 1, RegionPooling = RegionPooling.Max, InitialScale = 1.0 });
        using var map = CentreMap();
        using var global = zeros(1, 1);
        using var output = net.call(global, map);
        TensorAssert.Values([1f], output.RegionFeatures, atol: 1e-6);
    }

    [Fact]
    public void Forward_SmallBatch_ReturnsDocumentedShapes()
    {
        manual_seed(3);
        using var net = new CascadedSpatialNet(4, 6, new FvaOptions { Steps = 3, HiddenSize = 5 });
        using var map = randn(2, 4, 3, 5);
        using var global = randn(2, 4);
        using var output = net.call(global, map);
        TensorAssert.Shape(output.Thetas, 2, 3, 2, 3);
        TensorAssert.Shape(output.RegionFeatures, 2, 3, 4);
        TensorAssert.Shape(output.HiddenStates, 2, 3, 5);
        TensorAssert.Shape(output.TagLogits, 2, 3, 6);
        Assert.Equal(3, output.Steps);
        TensorAssert.Finite(output.TagLogits);
    }

    [Fact]
    public void Forward_TagHeadOnRegion_ReadsRegionFeatures()
    {
        using var net = new CascadedSpatialNet(4, 6, new FvaOptions { Steps = 2, HiddenSize = 3, TagHeadInput = TagHeadInput.Region });
        var weight = net.named_parameters().Single(p => p.name == "word_classifier.weight").parameter;
        Assert.Equal(new long[] { 6, 4 }, weight.shape);
    }

    [Fact]
    public void Ctor_Defaults_HiddenIsFeatureDimAndNoLearnableH0()
    {
        using var net = new CascadedSpatialNet(8, 5);
        Assert.Equal(8, net.HiddenSize);
        Assert.Equal(10, net.Steps);
        var names = net.named_parameters().Select(p => p.name).ToHashSet();
        Assert.DoesNotContain("h0", names);
        Assert.Contains("fc_loc.0.weight", names);
        Assert.Contains("fc_loc.2.bias", names);
        Assert.Contains("gru.weight_ih", names);
        Assert.Contains("word_classifier.weight", names);
        var fcIn = net.named_parameters().Single(p => p.name == "fc_loc.0.weight").parameter;
        Assert.Equal(new long[] { 128, 16 }, fcIn.shape);
        var last = net.named_parameters().Single(p => p.name == "fc_loc.2.weight").parameter;
        using var absSum = last.abs().sum();
        Assert.Equal(0f, absSum.item<float>());
    }

    [Fact]
    public void Backward_AllParametersTrainable_GradientsReachEveryParameter()
    {
        manual_seed(4);
        using var net = new CascadedSpatialNet(4, 6, new FvaOptions { Steps = 3, HiddenSize = 5, LearnableInitialHidden = true, ZeroInitThetaWeight = false, LinearInitStd = 0.1 });
        using var map = randn(2, 4, 3, 5);
        using var global = randn(2, 4);
        using (var output = net.call(global, map))
        using (var loss = output.TagLogits.square().sum() + output.Thetas.square().sum())
        {
            loss.backward();
        }

        var parameters = net.named_parameters().ToList();
        Assert.Equal(11, parameters.Count); // gru (4), fc_loc (4), word_classifier (2), h0 (1)
        foreach (var (name, p) in parameters)
        {
            Assert.True(p.grad is not null, $"{name} has no gradient.");
            using var g = p.grad!.abs().sum();
            Assert.True(g.item<float>() > 0, $"{name} has an all-zero gradient.");
        }
    }

    [Fact]
    public void Backward_DefaultInitAfterOneStep_GradientsReachEveryParameter()
    {
        manual_seed(5);
        using var net = new CascadedSpatialNet(4, 6, new FvaOptions { Steps = 2 });
        using var map = randn(2, 4, 3, 5);
        using var global = randn(2, 4);
        using var optimizer = optim.SGD(net.parameters(), 0.5);
        for (var step = 0; step < 2; step++)
        {
            optimizer.zero_grad();
            using var output = net.call(global, map);
            using var loss = output.TagLogits.square().sum() + output.Thetas.square().sum();
            loss.backward();
            if (step == 0)
            {
                // With the last theta layer at zero (the authors' init) the first theta layer gets no gradient yet.
                var first = net.named_parameters().Single(p => p.name == "fc_loc.0.weight").parameter;
                using var g0 = first.grad!.abs().sum();
                Assert.Equal(0f, g0.item<float>());
                optimizer.step();
            }
        }

        foreach (var (name, p) in net.named_parameters())
        {
            using var g = p.grad!.abs().sum();
            Assert.True(g.item<float>() > 0, $"{name} has an all-zero gradient after one step.");
        }
    }

    [Fact]
    public void StateDict_RoundTripThroughFile_ReproducesOutputs()
    {
        manual_seed(6);
        var options = new FvaOptions { Steps = 2, LearnableInitialHidden = true, ZeroInitThetaWeight = false, LinearInitStd = 0.2 };
        using var source = new CascadedSpatialNet(3, 4, options);
        using (no_grad())
        {
            var h0 = source.named_parameters().Single(p => p.name == "h0").parameter;
            h0.add_(0.3);
        }

        var path = Path.Combine(Path.GetTempPath(), $"csnet-{Guid.NewGuid():N}.bin");
        try
        {
            source.save(path);
            manual_seed(7);
            using var target = new CascadedSpatialNet(3, 4, options);
            target.load(path);
            Assert.Equal(source.state_dict().Keys.Order(), target.state_dict().Keys.Order());
            using var map = randn(2, 3, 4, 4);
            using var global = randn(2, 3);
            using var a = source.call(global, map);
            using var b = target.call(global, map);
            TensorAssert.Close(a.TagLogits, b.TagLogits, atol: 0, rtol: 0);
            TensorAssert.Close(a.Thetas, b.Thetas, atol: 0, rtol: 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ForwardBackward_RepeatedSteps_LeaksNoTensors()
    {
        manual_seed(8);
        using var net = new CascadedSpatialNet(4, 6, new FvaOptions { Steps = 3, LearnableInitialHidden = true, TagHeadDropout = 0.1 });
        using var map = randn(2, 4, 3, 5);
        using var global = randn(2, 4);
        using var targets = FvaLoss.SelectStepTargets([[1, 3], [0, 2, 4, 5]], 3, 6);
        using var labels = tensor(new long[] { 0, 1 });
        using var classLogits = randn(2, 2, requires_grad: true);
        var loss = new FvaLoss();
        TensorLeaks.AssertSteadyState(() =>
        {
            net.zero_grad();
            using var output = net.call(global, map);
            using var terms = loss.Compute(output, classLogits, labels, targets);
            terms.Total.backward();
        });
    }

    [Fact]
    public void Forward_LearnableH0AtInit_EqualsZeroH0()
    {
        // The paper's H_0 = 0 and the code's learnable h0 (initialised at zero) agree until h0 is trained.
        manual_seed(9);
        using var zeroH0 = new CascadedSpatialNet(3, 4, new FvaOptions { Steps = 3, ZeroInitThetaWeight = false });
        using var learnable = new CascadedSpatialNet(3, 4, new FvaOptions { Steps = 3, ZeroInitThetaWeight = false, LearnableInitialHidden = true });
        var source = zeroH0.state_dict();
        using (no_grad())
        {
            foreach (var (name, p) in learnable.named_parameters().Where(p => p.name != "h0"))
            {
                p.copy_(source[name]);
            }
        }

        using var map = randn(2, 3, 4, 4);
        using var global = randn(2, 3);
        using var a = zeroH0.call(global, map);
        using var b = learnable.call(global, map);
        TensorAssert.Close(a.HiddenStates, b.HiddenStates, atol: 1e-6);
        TensorAssert.Close(a.Thetas, b.Thetas, atol: 1e-6);
    }

    [Fact]
    public void Training_FewAdamSteps_ReducesStageOneObjective()
    {
        manual_seed(10);
        using var net = new CascadedSpatialNet(4, 5, new FvaOptions { Steps = 2, HiddenSize = 16 });
        // Image i lights channel i, so the images are separable from their pooled regions.
        using var noise = randn(4, 4, 6, 6) * 0.1;
        using var identity = eye(4).reshape(4, 4, 1, 1);
        using var map = noise + identity;
        using var global = map.mean(new long[] { 2, 3 });
        using var targets = FvaLoss.SelectStepTargets([[0, 3], [1], [2, 4], [3, 4]], 2, 5);
        // The code's locating defaults plus eq. 4's rotation penalty: with the code's rotation weight 0 and this
        // high learning rate the shear entries drift until every region leaves the map (zero features).
        var loss = new FvaLoss(new FvaLossOptions { ClassLossWeight = 0, Locating = { RotationWeight = 1 } });
        using var optimizer = optim.Adam(net.parameters(), 0.05);
        float first = 0, last = 0, firstTotal = 0, lastTotal = 0;
        for (var step = 0; step < 50; step++)
        {
            optimizer.zero_grad();
            using var output = net.call(global, map);
            using var terms = loss.Compute(output, null, null, targets);
            terms.Total.backward();
            optimizer.step();
            last = terms.TagTerm.item<float>();
            if (step == 0)
            {
                first = last;
                firstTotal = terms.Total.item<float>();
            }

            lastTotal = terms.Total.item<float>();
        }

        Assert.True(last < 0.5f * first, $"tag term went from {first} to {last}.");
        Assert.True(lastTotal < firstTotal, $"L_AL went from {firstTotal} to {lastTotal}.");
    }

    [Fact]
    public void Forward_MismatchedBatchSizes_Throws()
    {
        using var net = new CascadedSpatialNet(4, 6, new FvaOptions { Steps = 2 });
        using var map = zeros(2, 4, 3, 3);
        using var global = zeros(3, 4);
        var ex = Assert.Throws<ArgumentException>(() => net.call(global, map));
        Assert.Contains("Batch sizes differ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_WrongMapChannels_Throws()
    {
        using var net = new CascadedSpatialNet(4, 6, new FvaOptions { Steps = 2 });
        using var map = zeros(2, 5, 3, 3);
        using var global = zeros(2, 4);
        var ex = Assert.Throws<ArgumentException>(() => net.call(global, map));
        Assert.Contains("featureMap has 5 channels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_MapWithoutSpatialDimensions_Throws()
    {
        using var net = new CascadedSpatialNet(4, 6, new FvaOptions { Steps = 2 });
        using var map = zeros(2, 4, 9);
        using var global = zeros(2, 4);
        var ex = Assert.Throws<ArgumentException>(() => net.call(global, map));
        Assert.Contains("featureMap must have shape [B, D, h, w]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_NaNInFeature_Throws()
    {
        using var net = new CascadedSpatialNet(2, 3, new FvaOptions { Steps = 1 });
        using var map = zeros(1, 2, 2, 2);
        using var global = tensor(new[] { float.NaN, 0f }, new long[] { 1, 2 });
        var ex = Assert.Throws<ArgumentException>(() => net.call(global, map));
        Assert.Contains("NaN", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleRegions_ThetaBatchMismatch_Throws()
    {
        using var map = zeros(2, 1, 3, 3);
        using var theta = zeros(3, 2, 3);
        Assert.Throws<ArgumentException>(() => CascadedSpatialNet.SampleRegions(map, theta));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(4, 0)]
    public void Ctor_NonPositiveSizes_Throws(int featureDim, int tagCount)
    {
        Assert.Throws<ArgumentException>(() => new CascadedSpatialNet(featureDim, tagCount));
    }
}
