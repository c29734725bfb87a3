// Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words", Eq. 1-4),
// laid out like timm's VisionTransformer (class-token pooling) so that its state dicts load 1:1.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// ViT with 16x16 patches: z0 = [x_cls; x_p E] + E_pos (Eq. 1), L pre-norm blocks (Eq. 2-3),
/// y = LN(z_L^0) (Eq. 4). Tiny / Small / Base: D = 192 / 384 / 768, 12 blocks, 3 / 6 / 12 heads.
/// </summary>
/// <remarks>
/// <para>Keys are timm's: <c>cls_token</c>, <c>pos_embed</c>, <c>patch_embed.proj.{weight,bias}</c>,
/// <c>blocks.N.norm1</c>, <c>blocks.N.attn.qkv</c>, <c>blocks.N.attn.proj</c>, <c>blocks.N.norm2</c>,
/// <c>blocks.N.mlp.fc1</c>, <c>blocks.N.mlp.fc2</c>, <c>norm</c>, <c>head</c> (when NumClasses &gt; 0).
/// Initialisation follows timm's default: truncated normal (std 0.02) for pos_embed and linears,
/// normal (std 1e-6) for cls_token, zero biases.</para>
/// <para>The position embedding is built for <see cref="BackboneOptions.ImageSize"/> (grid
/// ImageSize/16). An input whose grid differs gets it resampled on the fly, bicubic with
/// antialiasing and align_corners = false, the class-token entry kept (timm's
/// resample_abs_pos_embed); <see cref="AdaptStateDict"/> does the same to imported weights.</para>
/// <para>Outputs: pooled = the class token after the final norm; tokens = the patch tokens after the
/// final norm [B, h*w, D]; map = tokens on their grid [B, D, h, w].</para>
/// <para>Shapes: images [B, C, H, W] with H, W multiples of 16; pooled [B, D]; map [B, D, H/16, W/16].</para>
/// </remarks>
public sealed class VisionTransformer : Backbone
{
    /// <summary>The patch size P.</summary>
    public const int PatchSize = 16;

    private readonly VitPatchEmbed patch_embed;
    private readonly Parameter cls_token;
    private readonly Parameter pos_embed;
    private readonly ModuleList<VitBlock> blocks;
    private readonly LayerNorm norm;
    private readonly Linear? head;
    private readonly double dropRate;

    private VisionTransformer(string name, long dim, int depth, long heads, BackboneOptions options)
        : base(name, dim, options.InChannels, options.NumClasses)
    {
        if (options.ImageSize % PatchSize != 0)
        {
            throw new ArgumentException($"{name}: ImageSize {options.ImageSize} must be a multiple of the patch size {PatchSize}.", nameof(options));
        }

        GridSize = options.ImageSize / PatchSize;
        Depth = depth;
        Heads = heads;
        dropRate = options.DropRate;
        patch_embed = new VitPatchEmbed(options.InChannels, dim, PatchSize);
        cls_token = new Parameter(torch.zeros(1, 1, dim));
        pos_embed = new Parameter(torch.zeros(1, 1 + (GridSize * GridSize), dim));
        var list = new VitBlock[depth];
        for (var i = 0; i < depth; i++)
        {
            // timm: drop-path rate rises linearly from 0 to DropPathRate over the depth.
            var dpr = depth == 1 ? options.DropPathRate : options.DropPathRate * i / (depth - 1);
            list[i] = new VitBlock(dim, heads, 4.0, options.DropRate, options.AttentionDropRate, dpr);
        }

        blocks = nn.ModuleList(list);
        norm = nn.LayerNorm(dim, eps: 1e-6);
        if (options.NumClasses > 0)
        {
            head = UninitializedLinear(dim, options.NumClasses);
        }

        RegisterComponents();
        ResetParameters();
    }

    /// <inheritdoc/>
    public override int FeatureStride => PatchSize;

    /// <inheritdoc/>
    public override string? HeadPrefix => "head";

    /// <summary>Gets the trained grid side (ImageSize / 16) of the position embedding.</summary>
    public int GridSize { get; }

    /// <summary>Gets the number of transformer blocks.</summary>
    public int Depth { get; }

    /// <summary>Gets the number of attention heads.</summary>
    public long Heads { get; }

    /// <summary>Builds ViT-Tiny/16 (D 192, 3 heads; 5,717,416 parameters at 224 px with a 1000-class head).</summary>
    /// <param name="options">Options (validated); null for defaults.</param>
    /// <returns>The backbone.</returns>
    public static VisionTransformer VitTiny(BackboneOptions? options = null) => Build("vit_tiny_patch16", 192, 3, options);

    /// <summary>Builds ViT-Small/16 (D 384, 6 heads; 22,050,664 parameters at 224 px with a 1000-class head).</summary>
    /// <param name="options">Options (validated); null for defaults.</param>
    /// <returns>The backbone.</returns>
    public static VisionTransformer VitSmall(BackboneOptions? options = null) => Build("vit_small_patch16", 384, 6, options);

    /// <summary>Builds ViT-Base/16 (D 768, 12 heads; 86,567,656 parameters at 224 px with a 1000-class head).</summary>
    /// <param name="options">Options (validated); null for defaults.</param>
    /// <returns>The backbone.</returns>
    public static VisionTransformer VitBase(BackboneOptions? options = null) => Build("vit_base_patch16", 768, 12, options);

    /// <summary>
    /// Resamples an absolute position embedding [1, prefix + G*G, D] trained on a square G x G grid to
    /// a <paramref name="gridHeight"/> x <paramref name="gridWidth"/> grid (bicubic, antialiased,
    /// align_corners = false), keeping the prefix (class-token) entries.
    /// </summary>
    /// <param name="posEmbed">The embedding [1, prefix + G*G, D].</param>
    /// <param name="gridHeight">New grid height (&gt;= 1).</param>
    /// <param name="gridWidth">New grid width (&gt;= 1).</param>
    /// <param name="prefixTokens">Leading entries not on the grid.</param>
    /// <returns>A new tensor [1, prefix + gridHeight*gridWidth, D].</returns>
    /// <exception cref="ArgumentException">The embedding is not [1, prefix + G*G, D] for a whole G.</exception>
    public static Tensor ResamplePositionEmbedding(Tensor posEmbed, long gridHeight, long gridWidth, int prefixTokens = 1)
    {
        ArgumentNullException.ThrowIfNull(posEmbed);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridWidth, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(prefixTokens);
        var cells = posEmbed.dim() == 3 ? posEmbed.shape[1] - prefixTokens : -1;
        var side = cells > 0 ? (long)Math.Round(Math.Sqrt(cells)) : -1;
        if (posEmbed.dim() != 3 || posEmbed.shape[0] != 1 || cells <= 0 || side * side != cells)
        {
            throw new ArgumentException($"A position embedding [1, {prefixTokens} + G*G, D] is expected; got [{string.Join(", ", posEmbed.shape)}].", nameof(posEmbed));
        }

        using var scope = NewDisposeScope();
        var d = posEmbed.shape[2];
        var prefix = posEmbed.narrow(1, 0, prefixTokens);
        var grid = posEmbed.narrow(1, prefixTokens, cells).reshape(1, side, side, d).permute(0, 3, 1, 2);
        Tensor resized;
        if (side == gridHeight && side == gridWidth)
        {
            resized = grid;
        }
        else
        {
            var dtype = grid.dtype;
            resized = nn.functional.interpolate(grid.to(torch.float32), [gridHeight, gridWidth], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true).to(dtype);
        }

        var flat = resized.permute(0, 2, 3, 1).reshape(1, gridHeight * gridWidth, d);
        return torch.cat([prefix, flat], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Re-initialises the weights as timm's default (non-JAX) init does.</summary>
    public void ResetParameters()
    {
        using var noGrad = torch.no_grad();
        TruncatedNormal(pos_embed, 0.02);
        nn.init.normal_(cls_token, std: 1e-6);
        foreach (var module in modules())
        {
            if (module is Linear linear)
            {
                TruncatedNormal(linear.weight, 0.02);
                if (linear.bias is not null)
                {
                    nn.init.zeros_(linear.bias);
                }
            }
        }
    }

    /// <summary>A linear layer whose weights are left for <see cref="ResetParameters"/> (one init pass instead of two).</summary>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <returns>The layer (weights uninitialised until <see cref="ResetParameters"/> runs).</returns>
    internal static Linear UninitializedLinear(long inFeatures, long outFeatures)
        => nn.Linear(new Parameter(torch.empty(outFeatures, inFeatures)), new Parameter(torch.zeros(outFeatures)));

    private static void TruncatedNormal(Tensor tensor, double std)
    {
        // timm: trunc_normal_(std=0.02) with ABSOLUTE bounds [-2, 2], i.e. +-100 standard deviations:
        // the truncation never binds, so a normal draw clamped to the bounds has the same law. It is
        // also much cheaper than libtorch's inverse-CDF sampler, which in TorchSharp 0.107 can
        // return +-Inf (PyTorch clamps afterwards, TorchSharp does not).
        nn.init.normal_(tensor, 0.0, std);
        tensor.clamp_(-2.0, 2.0);
    }

    /// <inheritdoc/>
    public override BackboneFeatures forward(Tensor images)
    {
        ValidateImages(images, PatchSize);
        if (images.shape[2] % PatchSize != 0 || images.shape[3] % PatchSize != 0)
        {
            throw new ArgumentException($"{BackboneName} needs image sides that are multiples of {PatchSize}; got {images.shape[2]}x{images.shape[3]}.", nameof(images));
        }

        using var scope = NewDisposeScope();
        var b = images.shape[0];
        var (gh, gw) = (images.shape[2] / PatchSize, images.shape[3] / PatchSize);
        var x = patch_embed.call(images).flatten(2).transpose(1, 2);
        var pos = gh == GridSize && gw == GridSize ? pos_embed : ResamplePositionEmbedding(pos_embed, gh, gw);
        x = ScalarSafe.Add(torch.cat([cls_token.expand(b, -1, -1), x], 1), pos);
        x = nn.functional.dropout(x, dropRate, training);
        foreach (var block in blocks)
        {
            x = block.call(x);
        }

        x = norm.call(x);
        var pooled = x.select(1, 0);
        var tokens = x.narrow(1, 1, gh * gw);
        var map = tokens.transpose(1, 2).reshape(b, FeatureDim, gh, gw);
        return new BackboneFeatures(pooled, map, tokens).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor ForwardHead(Tensor pooled)
    {
        ValidateHeadInput(pooled);
        return head!.call(pooled);
    }

    /// <summary>Replaces an imported <c>pos_embed</c> whose grid differs from this model's by a resampled copy (see <see cref="ResamplePositionEmbedding"/>); the replaced tensor is not disposed.</summary>
    /// <param name="stateDict">The state dict to adapt in place.</param>
    public override void AdaptStateDict(IDictionary<string, Tensor> stateDict)
    {
        base.AdaptStateDict(stateDict);
        if (stateDict.TryGetValue("pos_embed", out var source) && source.dim() == 3 && source.shape[2] == FeatureDim
            && source.shape[1] != pos_embed.shape[1])
        {
            stateDict["pos_embed"] = ResamplePositionEmbedding(source, GridSize, GridSize);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            patch_embed.Dispose();
            cls_token.Dispose();
            pos_embed.Dispose();
            blocks.Dispose();
            norm.Dispose();
            head?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static VisionTransformer Build(string name, long dim, long heads, BackboneOptions? options)
    {
        options ??= new BackboneOptions();
        options.Validate();
        if (options.Seed is { } seed)
        {
            torch.manual_seed(seed);
        }

        return new VisionTransformer(name, dim, 12, heads, options);
    }
}
