// The output contract shared by every backbone: global feature F_v, spatial map and token grid.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// What a <see cref="Backbone"/> returns: the pooled global feature F_v, the spatial feature map
/// that VSCNet's FVA samples regions from (and the paper-B confounder dictionary clusters), and the
/// same cells as a token sequence for transformer consumers.
/// </summary>
/// <remarks>
/// <para><b>Ownership.</b> The caller owns the three tensors. A backbone's forward moves them to the
/// caller's dispose scope (if one is open), so either dispose this object (<c>using var f =
/// backbone.call(x);</c>) or let the enclosing <see cref="torch.NewDisposeScope"/> collect them;
/// disposing twice is harmless. <see cref="Tokens"/> of a ResNet is a view of <see cref="Map"/>;
/// both stay valid until disposed.</para>
/// <para>Shapes:
/// <see cref="Pooled"/> [B, D];
/// <see cref="Map"/> [B, D, h, w] (ResNet: the last stage; ViT: patch tokens on their grid);
/// <see cref="Tokens"/> [B, h*w, D] in row-major grid order (ViT: the patch tokens after the final
/// norm, the class token excluded; ResNet: the map's cells).</para>
/// </remarks>
public sealed class BackboneFeatures : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="BackboneFeatures"/> class, taking ownership of the tensors.</summary>
    /// <param name="pooled">Global feature [B, D].</param>
    /// <param name="map">Spatial map [B, D, h, w].</param>
    /// <param name="tokens">Tokens [B, h*w, D].</param>
    /// <exception cref="ArgumentException">The shapes do not agree.</exception>
    public BackboneFeatures(Tensor pooled, Tensor map, Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(tokens);
        if (pooled.dim() != 2 || map.dim() != 4 || tokens.dim() != 3)
        {
            throw new ArgumentException($"Backbone features need pooled [B, D], map [B, D, h, w] and tokens [B, N, D]; got [{string.Join(", ", pooled.shape)}], [{string.Join(", ", map.shape)}], [{string.Join(", ", tokens.shape)}].");
        }

        var (b, d) = (pooled.shape[0], pooled.shape[1]);
        if (map.shape[0] != b || map.shape[1] != d || tokens.shape[0] != b || tokens.shape[2] != d || tokens.shape[1] != map.shape[2] * map.shape[3])
        {
            throw new ArgumentException($"Backbone feature shapes disagree: pooled [{string.Join(", ", pooled.shape)}], map [{string.Join(", ", map.shape)}], tokens [{string.Join(", ", tokens.shape)}].");
        }

        Pooled = pooled;
        Map = map;
        Tokens = tokens;
    }

    /// <summary>The features of a convolutional map: the global average pool and the map's cells as tokens
    /// (row-major), taking ownership of <paramref name="map"/>.</summary>
    /// <param name="map">Spatial map [B, D, h, w].</param>
    /// <returns>Pooled [B, D], the map, tokens [B, h*w, D] (in the caller's dispose scope).</returns>
    /// <exception cref="ArgumentException">The map is not 4-D.</exception>
    public static BackboneFeatures FromMap(Tensor map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.dim() != 4)
        {
            throw new ArgumentException($"A feature map must be [B, D, h, w]; got [{string.Join(", ", map.shape)}].", nameof(map));
        }

        return new BackboneFeatures(map.mean([2, 3]), map, map.flatten(2).transpose(1, 2));
    }

    /// <summary>Gets the pooled global feature F_v, shape [B, D].</summary>
    public Tensor Pooled { get; }

    /// <summary>Gets the spatial feature map, shape [B, D, h, w].</summary>
    public Tensor Map { get; }

    /// <summary>Gets the grid cells as tokens, shape [B, h*w, D] (row-major over the grid).</summary>
    public Tensor Tokens { get; }

    /// <summary>Gets the batch size B.</summary>
    public long Batch => Pooled.shape[0];

    /// <summary>Gets the feature dimension D.</summary>
    public long Dim => Pooled.shape[1];

    /// <summary>Gets the grid height h.</summary>
    public long GridHeight => Map.shape[2];

    /// <summary>Gets the grid width w.</summary>
    public long GridWidth => Map.shape[3];

    /// <summary>Moves the three tensors to the enclosing (outer) dispose scope; use at the end of a forward.</summary>
    /// <returns>This instance.</returns>
    public BackboneFeatures MoveToOuterDisposeScope()
    {
        Pooled.MoveToOuterDisposeScope();
        Map.MoveToOuterDisposeScope();
        Tokens.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Detaches the three tensors from every dispose scope; the caller must then dispose this object.</summary>
    /// <returns>This instance.</returns>
    public BackboneFeatures DetachFromDisposeScope()
    {
        Pooled.DetachFromDisposeScope();
        Map.DetachFromDisposeScope();
        Tokens.DetachFromDisposeScope();
        return this;
    }

    /// <summary>Disposes the three tensors (safe to call more than once).</summary>
    public void Dispose()
    {
        Tokens.Dispose();
        Map.Dispose();
        Pooled.Dispose();
    }
}
