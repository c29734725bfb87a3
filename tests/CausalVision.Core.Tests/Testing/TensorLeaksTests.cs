using Xunit.Sdk;

namespace CausalVision.Tests.Testing;

/// <summary>The leak guard itself must be able to fail, or every leak test is hollow.</summary>
public sealed class TensorLeaksTests
{
    [Fact]
    public void AssertNone_ScopedBlock_Passes()
    {
        TensorLeaks.AssertNone(() =>
        {
            using var scope = NewDisposeScope();
            var a = ones(3, 3);
            _ = (a * 2).sum();
        });
    }

    [Fact]
    public void AssertNone_LeakingBlock_Fails()
    {
        Tensor? leaked = null;
        try
        {
            var ex = Assert.Throws<TrueException>(() => TensorLeaks.AssertNone(() => leaked = ones(2)));
            Assert.Contains("1 tensor(s) leaked", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            leaked?.Dispose();
        }
    }

    [Fact]
    public void AssertSteadyState_TrainingStep_NoGrowth()
    {
        using var linear = nn.Linear(4, 2);
        using var optimizer = optim.SGD(linear.parameters(), 0.1);
        manual_seed(1);
        using var x = randn(8, 4);
        TensorLeaks.AssertSteadyState(() =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = linear.call(x).pow(2).mean();
            loss.backward();
            optimizer.step();
        });
    }
}
