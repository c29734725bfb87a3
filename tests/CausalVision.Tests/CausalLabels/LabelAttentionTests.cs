using CausalVision.CausalLabels;

namespace CausalVision.Tests.CausalLabels;

public sealed class LabelAttentionTests
{
    [Fact]
    public void Forward_EvalMode_EqualsExplicitSoftmax()
    {
        manual_seed(1);
        using var attn = new LabelAttention(16, 4, dropout: 0.5);
        attn.eval();
        using var q = randn(3, 5, 16);
        using var kv = randn(3, 7, 16);
        using var fast = attn.call(q, kv, kv);
        using var slow = attn.ForwardExplicit(q, kv, kv);
        TensorAssert.Shape(fast, 3, 5, 16);
        TensorAssert.Close(slow, fast, atol: 1e-5);
    }

    [Fact]
    public void Forward_QueryBatchDividesKeyBatch_RepeatsEachQueryConsecutively()
    {
        manual_seed(2);
        using var attn = new LabelAttention(8, 2);
        attn.eval();
        using var q = randn(2, 3, 8);
        using var kv = randn(4, 5, 8);
        using var broadcast = attn.call(q, kv, kv);
        using var index = tensor(new long[] { 0, 0, 1, 1 });
        using var repeated = q.index_select(0, index);
        using var explicitRows = attn.call(repeated, kv, kv);
        TensorAssert.Close(explicitRows, broadcast, atol: 1e-6);
    }

    [Fact]
    public void Forward_QueryBatchNotDividing_Throws()
    {
        using var attn = new LabelAttention(8, 2);
        using var q = zeros(3, 2, 8);
        using var kv = zeros(4, 5, 8);
        var ex = Assert.Throws<ArgumentException>(() => attn.call(q, kv, kv));
        Assert.Contains("must divide", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ctor_HeadsNotDividingDim_Throws()
    {
        Assert.Throws<ArgumentException>(() => new LabelAttention(10, 4));
    }
}
