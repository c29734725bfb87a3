// Confidence intervals for a mean over seeds and for paired differences between two rows that
// share seeds (the paired design: the same seed gives both rows the same data and data order, so
// seed-to-seed noise cancels in the difference).
using MathNet.Numerics.Distributions;

namespace CausalVision.Evaluation;

/// <summary>Confidence intervals of a mean and of a paired mean difference.</summary>
/// <remarks>
/// Student t interval: <c>mean ± t_{(1+level)/2, n-1} · s / √n</c>, with s the sample standard
/// deviation (denominator n - 1) and the quantile from MathNet.Numerics'
/// <see cref="StudentT.InvCDF(double, double, double, double)"/>. With one value the bounds are
/// NaN (no spread can be estimated); with zero spread they equal the mean. The percentile
/// bootstrap resamples the values with replacement (seeded) and takes quantiles of the resampled
/// means; with few seeds it is narrower than the t interval and should be read with care.
/// </remarks>
public static class ConfidenceIntervals
{
    /// <summary>The default confidence level, 0.95.</summary>
    public const double DefaultLevel = 0.95;

    /// <summary>Student t confidence interval of the mean.</summary>
    /// <param name="values">The per-seed values (finite).</param>
    /// <param name="level">The confidence level in (0, 1); default 0.95.</param>
    /// <returns>The mean with its interval.</returns>
    /// <exception cref="ArgumentException">No values, a non-finite value, or a level outside (0, 1).</exception>
    public static IntervalEstimate StudentT(IReadOnlyList<double> values, double level = DefaultLevel)
    {
        Check(values, level);
        var n = values.Count;
        var mean = values.Average();
        if (n < 2)
        {
            return new IntervalEstimate(mean, double.NaN, double.NaN, n);
        }

        var ss = values.Sum(v => (v - mean) * (v - mean));
        var sd = Math.Sqrt(ss / (n - 1));
        var t = MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, n - 1, (1 + level) / 2);
        var half = t * sd / Math.Sqrt(n);
        return new IntervalEstimate(mean, mean - half, mean + half, n);
    }

    /// <summary>Percentile-bootstrap confidence interval of the mean.</summary>
    /// <param name="values">The per-seed values (finite).</param>
    /// <param name="level">The confidence level in (0, 1); default 0.95.</param>
    /// <param name="resamples">The number of bootstrap resamples; default 10000.</param>
    /// <param name="seed">The resampling seed; default 0.</param>
    /// <returns>The mean with its interval (quantiles by linear interpolation between order statistics).</returns>
    /// <exception cref="ArgumentException">No values, a non-finite value, a level outside (0, 1) or fewer than 2 resamples.</exception>
    public static IntervalEstimate PercentileBootstrap(IReadOnlyList<double> values, double level = DefaultLevel, int resamples = 10_000, int seed = 0)
    {
        Check(values, level);
        if (resamples < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "At least 2 bootstrap resamples are needed.");
        }

        var n = values.Count;
        var mean = values.Average();
        if (n < 2)
        {
            return new IntervalEstimate(mean, double.NaN, double.NaN, n);
        }

        var rng = new Random(seed);
        var means = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += values[rng.Next(n)];
            }

            means[r] = sum / n;
        }

        Array.Sort(means);
        return new IntervalEstimate(mean, Quantile(means, (1 - level) / 2), Quantile(means, (1 + level) / 2), n);
    }

    /// <summary>Interval of the mean by the chosen method.</summary>
    /// <param name="values">The per-seed values.</param>
    /// <param name="method">Student t or percentile bootstrap.</param>
    /// <param name="level">The confidence level.</param>
    /// <param name="resamples">Bootstrap resamples (ignored by Student t).</param>
    /// <param name="seed">Bootstrap seed (ignored by Student t).</param>
    /// <returns>The mean with its interval.</returns>
    public static IntervalEstimate Of(IReadOnlyList<double> values, IntervalMethod method, double level = DefaultLevel, int resamples = 10_000, int seed = 0) =>
        method == IntervalMethod.PercentileBootstrap ? PercentileBootstrap(values, level, resamples, seed) : StudentT(values, level);

    /// <summary>
    /// Paired difference <c>row - baseline</c>: the interval of the mean of the per-seed differences
    /// (values at the same index belong to the same seed).
    /// </summary>
    /// <param name="row">The row's per-seed values.</param>
    /// <param name="baseline">The baseline's values for the same seeds, in the same order.</param>
    /// <param name="method">Student t (default) or percentile bootstrap.</param>
    /// <param name="level">The confidence level; default 0.95.</param>
    /// <returns>The mean difference with its interval.</returns>
    /// <exception cref="ArgumentException">The lists differ in length or are empty.</exception>
    public static IntervalEstimate PairedDifference(IReadOnlyList<double> row, IReadOnlyList<double> baseline, IntervalMethod method = IntervalMethod.StudentT, double level = DefaultLevel)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(baseline);
        if (row.Count != baseline.Count)
        {
            throw new ArgumentException($"A paired difference needs one baseline value per row value (same seeds); got {row.Count} and {baseline.Count}.", nameof(baseline));
        }

        var diffs = new double[row.Count];
        for (var i = 0; i < diffs.Length; i++)
        {
            diffs[i] = row[i] - baseline[i];
        }

        return Of(diffs, method, level);
    }

    private static double Quantile(double[] sorted, double q)
    {
        var pos = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((pos - lo) * (sorted[hi] - sorted[lo]));
    }

    private static void Check(IReadOnlyList<double> values, double level)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("A confidence interval needs at least one value.", nameof(values));
        }

        if (values.Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("Values must be finite numbers (no NaN or Inf).", nameof(values));
        }

        if (!(level > 0 && level < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "The confidence level must lie in (0, 1), e.g. 0.95.");
        }
    }
}
