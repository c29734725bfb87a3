using CausalVision.Backbones;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Tests.Backbones;

public sealed class BackboneClassifierTests
{
    [Fact]
    public void Forward_Batch_LogitsEqualHeadOfPooledFeature()
    {
        using var clf = BackboneClassifier.Create("resnet18", 7, new BackboneOptions { SmallInputStem = true, Seed = 1 });
        clf.eval();
        Assert.Equal(7, clf.NumClasses);
        var sd = clf.state_dict();
        ModuleContract.AssertKeys(clf, new Dictionary<string, long[]?>
        {
            ["backbone.conv1.weight"] = [64, 3, 3, 3],
            ["backbone.layer4.1.bn2.running_var"] = [512],
            ["head.weight"] = [7, 512],
            ["head.bias"] = [7],
        });
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = rand(2, 3, 32, 32);
        var logits = clf.call(x);
        TensorAssert.Shape(logits, 2, 7);
        var (logits2, features) = clf.ForwardWithFeatures(x);
        using (features)
        {
            TensorAssert.Close(F.linear(features.Pooled, sd["head.weight"], sd["head.bias"]), logits, atol: 1e-6, rtol: 1e-6);
            TensorAssert.Close(logits, logits2, atol: 0, rtol: 0);
        }
    }

    [Fact]
    public void Backward_CrossEntropy_ReachesBackboneAndHeadWithoutLeaks()
    {
        using var clf = BackboneClassifier.Create("vit_tiny_patch16", 3, new BackboneOptions { ImageSize = 32, Seed = 2 }, dropout: 0.1);
        clf.train();
        manual_seed(3);
        using var x = rand(2, 3, 32, 32);
        using var y = tensor(new long[] { 0, 2 });
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            clf.zero_grad();
            F.cross_entropy(clf.call(x), y).backward();
        });
        ModuleContract.AssertGradientsReachAllParameters(clf);
    }

    [Fact]
    public void Ctor_InvalidArguments_Throw()
    {
        using var backbone = ResNet.ResNet18(new BackboneOptions { SmallInputStem = true });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackboneClassifier(backbone, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackboneClassifier(backbone, 2, dropout: 1.0));
        Assert.Throws<ArgumentException>(() => BackboneClassifier.Create("nope", 2));
    }
}
