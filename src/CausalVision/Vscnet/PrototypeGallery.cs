// Prototype galleries: what each HAR prototype stands for, shown by the image regions that match it best.
// The hierarchy keeps each prototype's feature vector, tag and class distributions (eq. 4-6), not the training
// regions it clustered, so a gallery is collected from reference images (e.g. the training set): every located
// region of every image is matched to its nearest prototype (phi_K, eq. 6), and each prototype keeps the
// regions of highest similarity. A region's crop is the sampling of its affine box theta_j (eq. 2) with
// affine_grid/grid_sample (align_corners = false), the same crop the FVA feeds to its encoder.
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CausalVision.Validation;
using Microsoft.Extensions.Options;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Vscnet;

/// <summary>One region of a reference image that matched a prototype.</summary>
/// <param name="ImageIndex">The reference image's index, in the order given to <see cref="PrototypeGallery.Collect"/>.</param>
/// <param name="Region">The region j (0-based).</param>
/// <param name="Theta">The region's affine box <c>[t11, t12, t13, t21, t22, t23]</c>.</param>
/// <param name="Similarity">Its similarity to the prototype (the matching score of eq. 6).</param>
/// <param name="Crop">The region sampled from the image: RGB bytes, <c>CropSize x CropSize x 3</c>, row-major.</param>
public sealed record GalleryExample(int ImageIndex, int Region, float[] Theta, double Similarity, byte[] Crop);

/// <summary>Options of <see cref="PrototypeGallery"/>.</summary>
public sealed class PrototypeGalleryOptions
{
    /// <summary>Gets or sets the regions kept per prototype (highest similarity first).</summary>
    /// <value>Default 6.</value>
    [Range(1, 64)]
    public int PerPrototype { get; set; } = 6;

    /// <summary>Gets or sets the side of each stored crop in pixels.</summary>
    /// <value>Default 32.</value>
    [Range(4, 512)]
    public int CropSize { get; set; } = 32;

    /// <summary>Gets or sets the side of each crop in the rendered PNG (nearest-neighbour upscaling).</summary>
    /// <value>Default 96.</value>
    [Range(8, 1024)]
    public int CellSize { get; set; } = 96;

    /// <summary>Gets or sets the images explained per forward pass while collecting.</summary>
    /// <value>Default 32.</value>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Throws one <see cref="ArgumentException"/> listing every setting out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new PrototypeGalleryOptionsValidator(), this);
}

/// <summary>The source-generated validator of <see cref="PrototypeGalleryOptions"/>.</summary>
[OptionsValidator]
public sealed partial class PrototypeGalleryOptionsValidator : IValidateOptions<PrototypeGalleryOptions>
{
}

/// <summary>
/// The best-matching regions of reference images for each prototype of a VSCNet's exemplar hierarchy, and their
/// rendering as a PNG grid (one row per prototype: its tag and class, then its regions).
/// </summary>
/// <remarks>Shapes: <see cref="Collect"/> takes images <c>[N, C, H, W]</c> as <see cref="VscNet.Explain"/> does.</remarks>
public sealed class PrototypeGallery
{
    private readonly Dictionary<long, List<GalleryExample>> examples;

    private PrototypeGallery(Dictionary<long, List<GalleryExample>> examples, IReadOnlyList<long> prototypeTags, IReadOnlyList<long> prototypeClasses, IReadOnlyList<string> tagNames, IReadOnlyList<string> classNames, PrototypeGalleryOptions options)
    {
        this.examples = examples;
        PrototypeTags = prototypeTags;
        PrototypeClasses = prototypeClasses;
        TagNames = tagNames;
        ClassNames = classNames;
        Options = options;
    }

    /// <summary>Gets the tag of each prototype.</summary>
    public IReadOnlyList<long> PrototypeTags { get; }

    /// <summary>Gets the majority class of each prototype.</summary>
    public IReadOnlyList<long> PrototypeClasses { get; }

    /// <summary>Gets the model's tag names.</summary>
    public IReadOnlyList<string> TagNames { get; }

    /// <summary>Gets the model's class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Gets the options the gallery was collected with.</summary>
    public PrototypeGalleryOptions Options { get; }

    /// <summary>Gets the prototypes that matched at least one region, in ascending order.</summary>
    public IReadOnlyList<long> Prototypes => [.. examples.Keys.Order()];

    /// <summary>Collects the gallery of <paramref name="model"/>'s prototypes from reference images.</summary>
    /// <param name="model">A VSCNet with a hierarchy (<see cref="VscNet.Hierarchy"/> set, the HAR module on).</param>
    /// <param name="images">Reference images <c>[N, C, H, W]</c> at the model's input size, on the model's device.</param>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <returns>The gallery.</returns>
    /// <exception cref="ArgumentException">The images are not 4-D or not finite, or options are out of range.</exception>
    /// <exception cref="InvalidOperationException">The model has no hierarchy, or does not match regions to prototypes.</exception>
    public static PrototypeGallery Collect(VscNet model, Tensor images, PrototypeGalleryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        options ??= new PrototypeGalleryOptions();
        options.Validate();
        if (images.dim() != 4)
        {
            throw new ArgumentException($"images must be [N, C, H, W] but have shape [{string.Join(", ", images.shape)}].", nameof(images));
        }

        using (NewDisposeScope())
        {
            if (!torch.isfinite(images).all().item<bool>())
            {
                throw new ArgumentException("images contain NaN or infinite values.", nameof(images));
            }
        }

        var hierarchy = model.Hierarchy ?? throw new InvalidOperationException("The model has no exemplar hierarchy: build it (stage 1) or load a model file that has one.");
        var found = new Dictionary<long, List<GalleryExample>>();
        var n = (int)images.shape[0];
        for (var start = 0; start < n; start += options.BatchSize)
        {
            var count = Math.Min(options.BatchSize, n - start);
            using var scope = NewDisposeScope();
            var batch = images.narrow(0, start, count);
            var why = model.Explain(batch, topTags: 1);
            var crops = Crops(batch, why, options.CropSize);
            for (var b = 0; b < count; b++)
            {
                for (var j = 0; j < why[b].Regions.Count; j++)
                {
                    var region = why[b].Regions[j];
                    if (region.Prototype < 0)
                    {
                        throw new InvalidOperationException("The model does not match regions to prototypes (no HAR module): a gallery needs VSCNet's +H.");
                    }

                    if (!found.TryGetValue(region.Prototype, out var list))
                    {
                        found[region.Prototype] = list = [];
                    }

                    list.Add(new GalleryExample(start + b, j, region.Theta, region.PrototypeSimilarity, crops[b][j]));
                    if (list.Count > options.PerPrototype)
                    {
                        // Keep the best: drop the least similar (ties keep the earlier image).
                        var worst = 0;
                        for (var i = 1; i < list.Count; i++)
                        {
                            if (list[i].Similarity <= list[worst].Similarity)
                            {
                                worst = i;
                            }
                        }

                        list.RemoveAt(worst);
                    }
                }
            }
        }

        foreach (var list in found.Values)
        {
            list.Sort((a, b) => b.Similarity.CompareTo(a.Similarity) is var c && c != 0 ? c : a.ImageIndex.CompareTo(b.ImageIndex));
        }

        return new PrototypeGallery(found, hierarchy.PrototypeTags, hierarchy.PrototypeClasses, model.TagNames, model.ClassNames, options);
    }

    /// <summary>Gets the regions that matched <paramref name="prototype"/>, most similar first (empty when none did).</summary>
    /// <param name="prototype">The prototype index.</param>
    /// <returns>The examples.</returns>
    public IReadOnlyList<GalleryExample> Examples(long prototype) =>
        examples.TryGetValue(prototype, out var list) ? list : [];

    /// <summary>Renders the gallery as a PNG: one row per prototype (its index, tag and class), then its regions.</summary>
    /// <param name="prototypes">The rows, e.g. the prototypes an explained image matched; <see langword="null"/> for every
    /// prototype that matched a region.</param>
    /// <returns>PNG bytes.</returns>
    /// <exception cref="ArgumentException">A prototype index is out of range, or no rows are left.</exception>
    public byte[] RenderPng(IEnumerable<long>? prototypes = null)
    {
        var rows = (prototypes ?? Prototypes).Distinct().ToList();
        if (rows.Count == 0)
        {
            throw new ArgumentException("No prototypes to render.", nameof(prototypes));
        }

        foreach (var p in rows.Where(p => p < 0 || p >= PrototypeTags.Count))
        {
            throw new ArgumentException($"Prototype {p} is out of range [0, {PrototypeTags.Count}).", nameof(prototypes));
        }

        const int LabelWidth = 190, Pad = 6, Caption = 14;
        var cell = Options.CellSize;
        var width = LabelWidth + (Options.PerPrototype * (cell + Pad)) + Pad;
        var height = (rows.Count * (cell + Pad + Caption)) + Pad;
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var font = new SKFont { Size = 13 };
        using var small = new SKFont { Size = 11 };
        for (var r = 0; r < rows.Count; r++)
        {
            var p = rows[r];
            var y = Pad + (r * (cell + Pad + Caption));
            var tag = PrototypeTags[(int)p];
            var cls = PrototypeClasses[(int)p];
            canvas.DrawText($"P{p}", Pad, y + 16, SKTextAlign.Left, font, text);
            canvas.DrawText($"tag: {Name(TagNames, tag)}", Pad, y + 34, SKTextAlign.Left, small, text);
            canvas.DrawText($"class: {Name(ClassNames, cls)}", Pad, y + 50, SKTextAlign.Left, small, text);
            var list = Examples(p);
            if (list.Count == 0)
            {
                canvas.DrawText("(no region matched)", LabelWidth, y + (cell / 2f), SKTextAlign.Left, small, text);
                continue;
            }

            for (var i = 0; i < list.Count; i++)
            {
                var x = LabelWidth + (i * (cell + Pad));
                DrawCrop(canvas, list[i].Crop, Options.CropSize, x, y, cell);
                canvas.DrawText(string.Create(CultureInfo.InvariantCulture, $"#{list[i].ImageIndex} R{list[i].Region + 1} {list[i].Similarity:0.00}"), x, y + cell + Caption - 2, SKTextAlign.Left, small, text);
            }
        }

        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>Writes <see cref="RenderPng"/> to a file (atomically, creating its folder, as the other renderers do).</summary>
    /// <param name="path">The PNG path.</param>
    /// <param name="prototypes">The rows; <see langword="null"/> for every prototype that matched a region.</param>
    public void Save(string path, IEnumerable<long>? prototypes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RegionRenderer.WriteAtomically(path, RenderPng(prototypes));
    }

    private static string Name(IReadOnlyList<string> names, long id) =>
        id >= 0 && id < names.Count ? names[(int)id] : id.ToString(CultureInfo.InvariantCulture);

    // Samples every region of every image: [B*J, C, S, S], scaled to bytes with the image's own range.
    private static byte[][][] Crops(Tensor batch, IReadOnlyList<VscNetExplanation> why, int size)
    {
        var b = (int)batch.shape[0];
        var j = why[0].Regions.Count;
        var c = (int)batch.shape[1];
        var x = batch.to(ScalarType.Float32);
        var lo = x.amin([1, 2, 3], keepdim: true);
        var range = (x.amax([1, 2, 3], keepdim: true) - lo).clamp_min(1e-12);
        x = ((x - lo) / range).expand(b, 3, -1, -1);
        if (c == 3)
        {
            x = x.contiguous();
        }

        var thetas = tensor(why.SelectMany(e => e.Regions.SelectMany(r => r.Theta)).ToArray(), [b * j, 2, 3], device: batch.device);
        var images = x.repeat_interleave(j, dim: 0);
        var grid = nn.functional.affine_grid(thetas, [b * j, 3, size, size], align_corners: false);
        var crops = nn.functional.grid_sample(images, grid, align_corners: false)
            .mul(255).round().clamp(0, 255).to(ScalarType.Byte)
            .permute(0, 2, 3, 1).contiguous().cpu().data<byte>().ToArray();
        var per = size * size * 3;
        var result = new byte[b][][];
        for (var i = 0; i < b; i++)
        {
            result[i] = new byte[j][];
            for (var r = 0; r < j; r++)
            {
                result[i][r] = crops.AsSpan(((i * j) + r) * per, per).ToArray();
            }
        }

        return result;
    }

    private static void DrawCrop(SKCanvas canvas, byte[] rgb, int size, int x, int y, int cell)
    {
        using var crop = new SKBitmap(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (var yy = 0; yy < size; yy++)
        {
            for (var xx = 0; xx < size; xx++)
            {
                var i = ((yy * size) + xx) * 3;
                crop.SetPixel(xx, yy, new SKColor(rgb[i], rgb[i + 1], rgb[i + 2]));
            }
        }

        using var image = SKImage.FromBitmap(crop);
        canvas.DrawImage(image, new SKRect(x, y, x + cell, y + cell), new SKSamplingOptions(SKFilterMode.Nearest));
    }
}
