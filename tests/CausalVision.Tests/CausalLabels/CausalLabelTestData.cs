using CausalVision.CausalLabels;

namespace CausalVision.Tests.CausalLabels;

/// <summary>Tiny shared configurations for the causal-label tests.</summary>
internal static class CausalLabelTestData
{
    public const int Labels = 5;
    public const int InputDim = 12;
    public const int Dim = 16;
    public const int Heads = 4;
    public const int K = 3;

    public static CausalLabelOptions Options(CausalFusion fusion = CausalFusion.SumLogits, InterventionQuery query = InterventionQuery.LabelEmbedding, int? confounderDim = null) => new()
    {
        NumLabels = Labels,
        InputDim = InputDim,
        ModelDim = Dim,
        Heads = Heads,
        DecoderLayers = 2,
        FeedForwardDim = 32,
        Dropout = 0.1,
        NumConfounders = K,
        ConfounderDim = confounderDim,
        Fusion = fusion,
        Query = query,
    };

    /// <summary>Random centres [K, dim] and a non-uniform prior (0.5, 0.3, 0.2).</summary>
    public static (Tensor Centres, Tensor Prior) Dictionary(int dim, long seed = 7)
    {
        using var g = new Generator((ulong)seed);
        return (randn(K, dim, generator: g), tensor(new float[] { 0.5f, 0.3f, 0.2f }));
    }

    public static Tensor Tokens(long seed = 3, int batch = 2, int tokens = 7)
    {
        using var g = new Generator((ulong)seed);
        return randn(batch, tokens, InputDim, generator: g);
    }
}
