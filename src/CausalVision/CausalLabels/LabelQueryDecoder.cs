// "Decouple" of paper B: label-specific features from one learnable query per label, as
// Query2Label (Liu et al. 2021, SlongLiu/query2labels): input projection Dv -> d, nn.Embedding(L, d)
// queries, a transformer decoder over the backbone's spatial tokens.
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// Label-query decoder: X = Decoder(Q, W_in F), Q = the label query embedding [L, d] broadcast
/// over the batch, F the spatial tokens. Gives the label-specific features X of the slides.
/// </summary>
/// <remarks>
/// Choices (the slides show a box "Decouple" only): the decoder starts from the query embedding
/// itself (target = Q, no separate positional query), tokens get no positional encoding (add it in
/// the backbone if wanted; Query2Label adds sine encodings), a final LayerNorm follows the last
/// layer (DETR), and there is no transformer encoder (Query2Label's single encoder layer is left out).
/// Shapes: tokens [B, N, Dv] -&gt; X [B, L, d].
/// Keys: <c>input_proj</c>, <c>query_embed</c>, <c>layers.i.*</c>, <c>norm</c>.
/// </remarks>
public sealed class LabelQueryDecoder : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "input_proj")]
    private readonly Linear inputProj;

    [ComponentName(Name = "query_embed")]
    private readonly Embedding queryEmbed;

    [ComponentName(Name = "layers")]
    private readonly ModuleList<LabelDecoderLayer> layers;

    [ComponentName(Name = "norm")]
    private readonly LayerNorm norm;

    /// <summary>Initializes a new instance of the <see cref="LabelQueryDecoder"/> class.</summary>
    /// <param name="numLabels">Labels L (one query each).</param>
    /// <param name="inputDim">Token dimension Dv.</param>
    /// <param name="dim">Model dimension d; default 256.</param>
    /// <param name="heads">Heads; default 8.</param>
    /// <param name="layers">Decoder layers; default 2.</param>
    /// <param name="feedForwardDim">FFN width; default 1024.</param>
    /// <param name="dropout">Dropout; default 0.1.</param>
    /// <param name="norm">Norm placement; default post-norm.</param>
    /// <exception cref="ArgumentException">Non-positive sizes (an empty label set included).</exception>
    public LabelQueryDecoder(int numLabels, int inputDim, int dim = 256, int heads = 8, int layers = 2, int feedForwardDim = 1024, double dropout = 0.1, NormPlacement norm = NormPlacement.Post)
        : base(nameof(LabelQueryDecoder))
    {
        if (numLabels < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "The label set is empty: at least one label (query) is needed.");
        }

        if (inputDim < 1 || layers < 1)
        {
            throw new ArgumentException($"LabelQueryDecoder needs inputDim >= 1 and layers >= 1; got {inputDim} and {layers}.");
        }

        NumLabels = numLabels;
        InputDim = inputDim;
        Dim = dim;
        inputProj = nn.Linear(inputDim, dim);
        queryEmbed = nn.Embedding(numLabels, dim);
        this.layers = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new LabelDecoderLayer(dim, heads, feedForwardDim, dropout, norm)).ToArray());
        this.norm = nn.LayerNorm(dim);
        RegisterComponents();
    }

    /// <summary>Gets the number of labels L.</summary>
    public int NumLabels { get; }

    /// <summary>Gets the token dimension Dv.</summary>
    public int InputDim { get; }

    /// <summary>Gets the model dimension d.</summary>
    public int Dim { get; }

    /// <summary>Gets the learnable label queries [L, d] (the embedding's weight; a live parameter, not a copy).</summary>
    public Tensor Queries => queryEmbed.weight!;

    /// <summary>Decodes label-specific features.</summary>
    /// <param name="tokens">Spatial tokens [B, N, Dv] (e.g. a ResNet C5 map flattened to N = H W).</param>
    /// <returns>X [B, L, d].</returns>
    /// <exception cref="ArgumentException">Wrong rank or token dimension, empty batch or token set.</exception>
    public override Tensor forward(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.dim() != 3 || tokens.shape[2] != InputDim || tokens.shape[0] < 1 || tokens.shape[1] < 1)
        {
            throw new ArgumentException($"Expected tokens [B, N, {InputDim}] with B, N >= 1; got [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        }

        using var scope = NewDisposeScope();
        var memory = inputProj.call(tokens);
        var t = Queries.unsqueeze(0).expand(tokens.shape[0], NumLabels, Dim);
        foreach (var layer in layers)
        {
            t = layer.call(t, memory);
        }

        return norm.call(t).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inputProj.Dispose();
            queryEmbed.Dispose();
            layers.Dispose();
            norm.Dispose();
        }

        base.Dispose(disposing);
    }
}
