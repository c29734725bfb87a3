using CausalVision.CausalLabels;

namespace CausalVision.Tests.CausalLabels;

public sealed class LabelQueryDecoderTests
{
    [Theory]
    [InlineData(NormPlacement.Post)]
    [InlineData(NormPlacement.Pre)]
    public void Forward_Tokens_GivesLabelFeatures(NormPlacement norm)
    {
        manual_seed(0);
        using var decoder = new LabelQueryDecoder(5, 12, 16, 4, 2, 32, 0.1, norm);
        using var tokens = CausalLabelTestData.Tokens();
        using var x = decoder.call(tokens);
        TensorAssert.Shape(x, 2, 5, 16);
        TensorAssert.Finite(x);
        Assert.Equal(new long[] { 5, 16 }, decoder.Queries.shape);
    }

    [Fact]
    public void Forward_TokenOrderPermuted_SameFeatures()
    {
        // No positional encoding: the decoder is a set function of the tokens.
        manual_seed(0);
        using var decoder = new LabelQueryDecoder(5, 12, 16, 4);
        decoder.eval();
        using var tokens = CausalLabelTestData.Tokens();
        using var perm = tensor(new long[] { 6, 2, 0, 5, 1, 4, 3 });
        using var shuffled = tokens.index_select(1, perm);
        using var a = decoder.call(tokens);
        using var b = decoder.call(shuffled);
        TensorAssert.Close(a, b, atol: 1e-5);
    }

    [Fact]
    public void StateDict_Keys_FollowQuery2LabelNames()
    {
        using var decoder = new LabelQueryDecoder(5, 12, 16, 4, layers: 2);
        var keys = decoder.state_dict().Keys.ToArray();
        Assert.Contains("input_proj.weight", keys);
        Assert.Contains("query_embed.weight", keys);
        Assert.Contains("layers.1.cross_attn.q_proj.weight", keys);
        Assert.Contains("norm.bias", keys);
    }

    [Fact]
    public void Forward_WrongTokenDim_Throws()
    {
        using var decoder = new LabelQueryDecoder(5, 12, 16, 4);
        using var tokens = zeros(2, 7, 10);
        var ex = Assert.Throws<ArgumentException>(() => decoder.call(tokens));
        Assert.Contains("[B, N, 12]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ctor_EmptyLabelSet_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LabelQueryDecoder(0, 12, 16, 4));
    }
}
