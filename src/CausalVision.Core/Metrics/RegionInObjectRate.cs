// Region-in-object rate: how often the located regions of VSCNet's Cascaded Spatial Net (eq. 1-2) are centred on an
// object, next to the rate a uniformly random centre would reach. Boxes come from the synthetic benchmark's sample info.
using CausalVision.Synthetic;

namespace CausalVision.Metrics;

/// <summary>An axis-aligned box in normalised image coordinates: 0 = left / top edge, 1 = right / bottom edge.</summary>
/// <param name="X0">Left edge.</param>
/// <param name="Y0">Top edge.</param>
/// <param name="X1">Right edge.</param>
/// <param name="Y1">Bottom edge.</param>
public readonly record struct NormalizedBox(double X0, double Y0, double X1, double Y1)
{
    /// <summary>Gets a value indicating whether the point lies inside the box (edges included).</summary>
    /// <param name="x">x in [0, 1].</param>
    /// <param name="y">y in [0, 1].</param>
    /// <returns><see langword="true"/> when inside.</returns>
    public bool Contains(double x, double y) => x >= X0 && x <= X1 && y >= Y0 && y <= Y1;
}

/// <summary>The region-in-object rate and its chance level.</summary>
/// <param name="Rate">Fraction of region centres that lie inside at least one object box of their image.</param>
/// <param name="ChanceRate">Mean over images of the fraction of the image the union of its boxes covers (clipped to the
/// image): the rate of centres drawn uniformly over the image.</param>
/// <param name="Regions">Number of region centres counted.</param>
/// <param name="Images">Number of images.</param>
public sealed record RegionInObjectResult(double Rate, double ChanceRate, int Regions, int Images)
{
    /// <summary>Gets the rate divided by the chance rate (1 = no better than chance; NaN when the chance rate is 0).</summary>
    public double Lift => ChanceRate > 0 ? Rate / ChanceRate : double.NaN;
}

/// <summary>
/// Fraction of located region centres that fall inside an object box, next to the chance rate.
/// </summary>
/// <remarks>
/// <para>A region's centre is the image of the sampling grid's centre: for <c>theta = [[s_x, r, t_x], [r', s_y, t_y]]</c>
/// (the <c>affine_grid</c> convention, -1..1 spans the sampled map) it is <c>(t_x, t_y)</c>, i.e. the normalised image
/// point <c>((t_x + 1) / 2, (t_y + 1) / 2)</c> when the feature map covers the image evenly (true of the built-in
/// backbones up to the receptive-field border). Centres off the map count as misses.</para>
/// <para>The chance rate is the area of the union of an image's boxes (clipped to the image), estimated on a 128 x 128
/// grid of cell centres, averaged over images: what regions placed uniformly at random would score.</para>
/// </remarks>
public static class RegionInObjectRate
{
    private const int ChanceGrid = 128;

    /// <summary>Computes the rate from region centres and boxes.</summary>
    /// <param name="centres">Per image, the region centres in normalised image coordinates (x, y in [0, 1] on the image).</param>
    /// <param name="boxes">Per image, its object boxes.</param>
    /// <returns>The rate and its chance level.</returns>
    /// <exception cref="ArgumentException">The lists differ in length, are empty, or hold no centre, or a value is not finite.</exception>
    public static RegionInObjectResult Compute(IReadOnlyList<IReadOnlyList<(double X, double Y)>> centres, IReadOnlyList<IReadOnlyList<NormalizedBox>> boxes)
    {
        ArgumentNullException.ThrowIfNull(centres);
        ArgumentNullException.ThrowIfNull(boxes);
        if (centres.Count != boxes.Count)
        {
            throw new ArgumentException($"There are {centres.Count} images of centres but {boxes.Count} images of boxes.", nameof(boxes));
        }

        if (centres.Count == 0)
        {
            throw new ArgumentException("No images.", nameof(centres));
        }

        long hits = 0;
        var regions = 0;
        var chance = 0.0;
        for (var i = 0; i < centres.Count; i++)
        {
            var b = boxes[i] ?? throw new ArgumentException($"The boxes of image {i} are null.", nameof(boxes));
            foreach (var box in b)
            {
                if (!double.IsFinite(box.X0) || !double.IsFinite(box.Y0) || !double.IsFinite(box.X1) || !double.IsFinite(box.Y1))
                {
                    throw new ArgumentException($"Image {i} has a non-finite box.", nameof(boxes));
                }
            }

            foreach (var (x, y) in centres[i] ?? throw new ArgumentException($"The centres of image {i} are null.", nameof(centres)))
            {
                if (!double.IsFinite(x) || !double.IsFinite(y))
                {
                    throw new ArgumentException($"Image {i} has a non-finite centre.", nameof(centres));
                }

                regions++;
                if (x >= 0 && x <= 1 && y >= 0 && y <= 1 && b.Any(box => box.Contains(x, y)))
                {
                    hits++;
                }
            }

            chance += Coverage(b);
        }

        if (regions == 0)
        {
            throw new ArgumentException("No region centres.", nameof(centres));
        }

        return new RegionInObjectResult((double)hits / regions, chance / centres.Count, regions, centres.Count);
    }

    /// <summary>Computes the rate from affine matrices of the Cascaded Spatial Net and the benchmark's sample info.</summary>
    /// <param name="thetas">Row-major values of <c>[N, J, 2, 3]</c> thetas (e.g. <c>output.Thetas.data&lt;float&gt;().ToArray()</c>).</param>
    /// <param name="steps">J.</param>
    /// <param name="samples">The N images' sample info (<see cref="SyntheticSplit.Describe"/>), in the same order.</param>
    /// <param name="imageSize">The image side in pixels (the benchmark's <see cref="SyntheticBenchmarkOptions.ImageSize"/>).</param>
    /// <returns>The rate and its chance level.</returns>
    /// <exception cref="ArgumentException">Sizes do not match.</exception>
    public static RegionInObjectResult FromThetas(ReadOnlySpan<float> thetas, int steps, IReadOnlyList<SyntheticSampleInfo> samples, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageSize);
        if (thetas.Length != samples.Count * steps * 6)
        {
            throw new ArgumentException($"thetas has {thetas.Length} values but {samples.Count} images x {steps} steps x 6 = {samples.Count * steps * 6} are needed.", nameof(thetas));
        }

        var centres = new List<IReadOnlyList<(double X, double Y)>>(samples.Count);
        for (var i = 0; i < samples.Count; i++)
        {
            var list = new (double X, double Y)[steps];
            for (var j = 0; j < steps; j++)
            {
                var o = ((i * steps) + j) * 6;
                list[j] = ((thetas[o + 2] + 1.0) / 2.0, (thetas[o + 5] + 1.0) / 2.0);
            }

            centres.Add(list);
        }

        return Compute(centres, samples.Select(s => Boxes(s, imageSize)).ToList());
    }

    /// <summary>The object boxes of one synthetic image in normalised coordinates.</summary>
    /// <param name="sample">The sample info.</param>
    /// <param name="imageSize">The image side in pixels.</param>
    /// <returns>One box per drawn object.</returns>
    public static IReadOnlyList<NormalizedBox> Boxes(SyntheticSampleInfo sample, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageSize);
        double side = imageSize;
        return sample.Objects.Select(o => new NormalizedBox(o.X0 / side, o.Y0 / side, o.X1 / side, o.Y1 / side)).ToArray();
    }

    private static double Coverage(IReadOnlyList<NormalizedBox> boxes)
    {
        if (boxes.Count == 0)
        {
            return 0;
        }

        var inside = 0;
        for (var gy = 0; gy < ChanceGrid; gy++)
        {
            var y = (gy + 0.5) / ChanceGrid;
            for (var gx = 0; gx < ChanceGrid; gx++)
            {
                var x = (gx + 0.5) / ChanceGrid;
                foreach (var box in boxes)
                {
                    if (box.Contains(x, y))
                    {
                        inside++;
                        break;
                    }
                }
            }
        }

        return (double)inside / (ChanceGrid * ChanceGrid);
    }
}
