// Procedural renderer of the synthetic benchmark: background textures and signed-distance shapes
// drawn into a managed CHW float buffer. No RNG here: everything random is in SyntheticSampleInfo,
// so rendering is a pure function of the metadata (thread-safe, identical on every thread).
namespace CausalVision.Synthetic;

/// <summary>Renders one <see cref="SyntheticSampleInfo"/> into a <c>[3, S, S]</c> float buffer with values in [0, 1].</summary>
internal static class SyntheticRenderer
{
    // Muted two-tone background palettes (low saturation, mid brightness) so that the saturated
    // object colours stand out on every context: (A.r, A.g, A.b, B.r, B.g, B.b).
    private static readonly float[][] Palettes =
    [
        [0.62f, 0.60f, 0.56f, 0.36f, 0.35f, 0.33f], // warm greys
        [0.50f, 0.56f, 0.62f, 0.28f, 0.32f, 0.38f], // slate
        [0.64f, 0.56f, 0.46f, 0.40f, 0.32f, 0.24f], // sand / brown
        [0.52f, 0.60f, 0.50f, 0.30f, 0.36f, 0.28f], // sage
        [0.60f, 0.52f, 0.58f, 0.36f, 0.28f, 0.34f], // mauve
        [0.70f, 0.70f, 0.70f, 0.22f, 0.22f, 0.22f], // high-contrast grey
        [0.48f, 0.58f, 0.58f, 0.26f, 0.34f, 0.34f], // teal grey
        [0.66f, 0.62f, 0.50f, 0.44f, 0.42f, 0.30f], // olive
        [0.56f, 0.50f, 0.46f, 0.24f, 0.20f, 0.18f], // umber
        [0.58f, 0.58f, 0.66f, 0.34f, 0.34f, 0.44f], // lavender grey
    ];

    /// <summary>Gets the palette index of a context.</summary>
    /// <param name="context">The context.</param>
    /// <returns>The palette index.</returns>
    public static int PaletteOf(SyntheticContext context) => ((context.Id * 7) + context.Variant) % Palettes.Length;

    /// <summary>Renders the sample into <paramref name="chw"/>.</summary>
    /// <param name="info">The sample.</param>
    /// <param name="context">Its background context.</param>
    /// <param name="vocabulary">The object vocabulary.</param>
    /// <param name="size">The image side.</param>
    /// <param name="antiAlias">Whether shape edges are anti-aliased.</param>
    /// <param name="chw">The output, length 3 * size * size.</param>
    public static void Render(SyntheticSampleInfo info, SyntheticContext context, IReadOnlyList<SyntheticObjectKind> vocabulary, int size, bool antiAlias, Span<float> chw)
    {
        DrawBackground(info, context, size, chw);
        foreach (var obj in info.Objects)
        {
            DrawObject(obj, vocabulary[obj.ObjectId], size, antiAlias, chw);
        }
    }

    private static void DrawBackground(SyntheticSampleInfo info, SyntheticContext context, int size, Span<float> chw)
    {
        var pal = Palettes[PaletteOf(context)];
        var gain = info.TextureBrightness;
        float ar = pal[0] * gain, ag = pal[1] * gain, ab = pal[2] * gain;
        float br = pal[3] * gain, bg = pal[4] * gain, bb = pal[5] * gain;
        var scale = size / 64f;

        // The variant sets the base period and angle, so that contexts sharing a family still differ.
        var period = (6f + (3f * (context.Variant % 4))) * scale * info.TexturePeriodScale;
        var angle = (context.Variant * 0.6f) + (context.Family == TextureFamily.Stripes ? 0.785f : 0f) + info.TextureAngleJitter;
        float cos = MathF.Cos(angle), sin = MathF.Sin(angle);
        var half = size / 2f;
        var plane = size * size;
        var phase = info.TexturePhase;
        var phase2 = info.TexturePhase2;

        for (var y = 0; y < size; y++)
        {
            var py = y + 0.5f - half;
            for (var x = 0; x < size; x++)
            {
                var px = x + 0.5f - half;
                var u = (px * cos) + (py * sin);
                var v = (-px * sin) + (py * cos);
                float m;
                switch (context.Family)
                {
                    case TextureFamily.Stripes:
                        m = Frac((u / period) + phase) < 0.5f ? 0f : 1f;
                        break;
                    case TextureFamily.Checks:
                        m = (((int)MathF.Floor((u / period) + phase) + (int)MathF.Floor((v / period) + phase2)) & 1) == 0 ? 0f : 1f;
                        break;
                    case TextureFamily.Dots:
                        {
                            var fu = Frac((u / period) + phase) - 0.5f;
                            var fv = Frac((v / period) + phase2) - 0.5f;
                            m = (fu * fu) + (fv * fv) < 0.09f ? 0f : 1f;
                            break;
                        }

                    case TextureFamily.Noise:
                        m = ValueNoise(info.NoiseSeed, (px / (period * 1.5f)) + (phase * 16f), (py / (period * 1.5f)) + (phase2 * 16f));
                        break;
                    case TextureFamily.Gradient:
                        m = Math.Clamp((u / (size * 1.2f)) + 0.5f + ((phase - 0.5f) * 0.3f), 0f, 1f);
                        break;
                    default: // Waves
                        m = 0.5f + (0.5f * MathF.Sin(MathF.Tau * ((v / period) + (0.35f * MathF.Sin(MathF.Tau * u / (period * 3f))) + phase)));
                        break;
                }

                var i = (y * size) + x;
                chw[i] = ar + ((br - ar) * m);
                chw[plane + i] = ag + ((bg - ag) * m);
                chw[(2 * plane) + i] = ab + ((bb - ab) * m);
            }
        }
    }

    private static void DrawObject(SyntheticObjectInstance obj, SyntheticObjectKind kind, int size, bool antiAlias, Span<float> chw)
    {
        var plane = size * size;
        var r = obj.Radius;
        float cr = Math.Clamp(kind.Red * obj.Brightness, 0f, 1f);
        float cg = Math.Clamp(kind.Green * obj.Brightness, 0f, 1f);
        float cb = Math.Clamp(kind.Blue * obj.Brightness, 0f, 1f);
        float cos = MathF.Cos(obj.Rotation), sin = MathF.Sin(obj.Rotation);
        var x0 = Math.Max(0, (int)MathF.Floor(obj.X0 - 1f));
        var y0 = Math.Max(0, (int)MathF.Floor(obj.Y0 - 1f));
        var x1 = Math.Min(size - 1, (int)MathF.Ceiling(obj.X1 + 1f));
        var y1 = Math.Min(size - 1, (int)MathF.Ceiling(obj.Y1 + 1f));
        for (var y = y0; y <= y1; y++)
        {
            var dy = y + 0.5f - obj.CenterY;
            for (var x = x0; x <= x1; x++)
            {
                var dx = x + 0.5f - obj.CenterX;

                // Rotate the query point by -rotation into the shape's frame.
                var lx = (dx * cos) + (dy * sin);
                var ly = (-dx * sin) + (dy * cos);
                var d = SignedDistance(kind.Shape, lx, ly, r);
                var a = antiAlias ? Math.Clamp(0.5f - d, 0f, 1f) : (d <= 0f ? 1f : 0f);
                if (a <= 0f)
                {
                    continue;
                }

                var i = (y * size) + x;
                if (a >= 1f)
                {
                    // Full coverage writes the colour exactly (no bg + (c - bg) rounding).
                    chw[i] = cr;
                    chw[plane + i] = cg;
                    chw[(2 * plane) + i] = cb;
                    continue;
                }

                chw[i] += (cr - chw[i]) * a;
                chw[plane + i] += (cg - chw[plane + i]) * a;
                chw[(2 * plane) + i] += (cb - chw[(2 * plane) + i]) * a;
            }
        }
    }

    /// <summary>Signed distance (pixels, negative inside) of a shape whose circumradius is <paramref name="r"/>.</summary>
    private static float SignedDistance(SyntheticShape shape, float x, float y, float r)
    {
        switch (shape)
        {
            case SyntheticShape.Circle:
                return MathF.Sqrt((x * x) + (y * y)) - r;
            case SyntheticShape.Square:
                {
                    // Half side 0.7 r: the corners stay inside the circumcircle.
                    var h = 0.7f * r;
                    return MathF.Max(MathF.Abs(x), MathF.Abs(y)) - h;
                }

            case SyntheticShape.Triangle:
                {
                    // Equilateral, apex up (y grows downwards): inradius r / 2, outward edge
                    // normals at -90, 30 and 150 degrees.
                    var d1 = -y;
                    var d2 = (0.8660254f * x) + (0.5f * y);
                    var d3 = (-0.8660254f * x) + (0.5f * y);
                    return MathF.Max(d1, MathF.Max(d2, d3)) - (0.5f * r);
                }

            case SyntheticShape.Cross:
                {
                    var arm = 0.93f * r;
                    var w = 0.33f * r;
                    var ax = MathF.Abs(x);
                    var ay = MathF.Abs(y);
                    var bar1 = MathF.Max(ax - arm, ay - w);
                    var bar2 = MathF.Max(ax - w, ay - arm);
                    return MathF.Min(bar1, bar2);
                }

            case SyntheticShape.Ring:
                return MathF.Abs(MathF.Sqrt((x * x) + (y * y)) - (0.7f * r)) - (0.3f * r);
            default: // Diamond
                return (MathF.Abs(x) + MathF.Abs(y) - r) * 0.70710678f;
        }
    }

    private static float Frac(float t) => t - MathF.Floor(t);

    private static float ValueNoise(ulong seed, float x, float y)
    {
        var fx = MathF.Floor(x);
        var fy = MathF.Floor(y);
        int ix = (int)fx, iy = (int)fy;
        var tx = x - fx;
        var ty = y - fy;
        tx = tx * tx * (3f - (2f * tx));
        ty = ty * ty * (3f - (2f * ty));
        var v00 = SyntheticRandom.Hash01(seed, ix, iy);
        var v10 = SyntheticRandom.Hash01(seed, ix + 1, iy);
        var v01 = SyntheticRandom.Hash01(seed, ix, iy + 1);
        var v11 = SyntheticRandom.Hash01(seed, ix + 1, iy + 1);
        var top = v00 + ((v10 - v00) * tx);
        var bottom = v01 + ((v11 - v01) * tx);
        return top + ((bottom - top) * ty);
    }
}
