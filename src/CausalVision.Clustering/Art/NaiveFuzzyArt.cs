// Reference Fuzzy ART / AM-ART: per-sample, per-cluster loops on double[], as the authors' am_art.py.
// Fuzzy ART: Carpenter, Grossberg, Rosen (1991), Neural Networks 4:759-771.
// AM-ART: Meng, Tan, Wunsch (2016), IEEE TNNLS 27(12):2656-2669; code:
//   github.com/Lei-Meng/Adaptive-Scaling-of-Cluster-Boundaries-for-Large-Scale-Social-Media-Data-Clustering (am_art.py).
// Same semantics as FuzzyArt (winner ties to the later cluster, reset rule, match tracking), written
// independently of it so that the two can check each other.

namespace CausalVision.Clustering.Art;

/// <summary>
/// The slow, obvious Fuzzy ART / AM-ART: loops over clusters and features in managed code. It is the
/// reference implementation for tests and benchmarks; for real CPU work use <see cref="VectorizedFuzzyArt"/>
/// (same results, SIMD category search).
/// </summary>
public sealed class NaiveFuzzyArt : IManagedFuzzyArt
{
    private readonly ArtOptions options;
    private readonly List<double[]> weights = new();
    private readonly List<double> vigilances = new();
    private readonly List<long> counts = new();
    private readonly List<long> clusterLabels = new();
    private int inputDim = -1;

    /// <summary>Initializes a new instance of the <see cref="NaiveFuzzyArt"/> class.</summary>
    /// <param name="options">The options (copied); defaults when null.</param>
    public NaiveFuzzyArt(ArtOptions? options = null)
    {
        this.options = (options ?? new ArtOptions()).Clone();
        this.options.Validate();
    }

    /// <summary>Gets a copy of the options.</summary>
    public ArtOptions Options => options.Clone();

    /// <summary>Gets the raw input dimension D, or -1 before the first fit.</summary>
    public int InputDimension => inputDim;

    /// <summary>Gets the number of clusters.</summary>
    public int ClusterCount => weights.Count;

    /// <summary>Gets copies of the cluster weights [C][codedDim].</summary>
    public double[][] Weights => weights.Select(w => (double[])w.Clone()).ToArray();

    /// <summary>Gets the per-cluster vigilances.</summary>
    public double[] Vigilances => vigilances.ToArray();

    /// <summary>Gets the per-cluster learning counts (as <see cref="FuzzyArt.Counts"/>).</summary>
    public long[] Counts => counts.ToArray();

    /// <summary>Gets the per-cluster labels (-1 when unlabelled).</summary>
    public long[] ClusterLabels => clusterLabels.ToArray();

    /// <summary>Clears the model and learns the rows for <see cref="ArtOptions.Epochs"/> epochs.</summary>
    /// <param name="data">Rows in [0, 1], all of the same length.</param>
    /// <param name="labels">Optional per-row labels.</param>
    /// <returns>The cluster of each row in the last epoch.</returns>
    public long[] Fit(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels = null)
    {
        Check(data, labels);
        weights.Clear();
        vigilances.Clear();
        counts.Clear();
        clusterLabels.Clear();
        inputDim = data[0].Length;
        var assign = new long[data.Count];
        for (var e = 0; e < options.Epochs; e++)
        {
            for (var n = 0; n < data.Count; n++)
            {
                assign[n] = Learn(Code(data[n]), labels is null ? -1 : labels[n]);
            }
        }

        return assign;
    }

    /// <summary>Assigns rows without learning (see <see cref="FuzzyArt.Predict"/>).</summary>
    /// <param name="data">Rows in [0, 1].</param>
    /// <param name="labels">Optional labels.</param>
    /// <param name="requireResonance">Whether the vigilance test applies.</param>
    /// <returns>The cluster per row, or -1.</returns>
    public long[] Predict(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels = null, bool requireResonance = true)
    {
        Check(data, labels);
        if (data[0].Length != inputDim)
        {
            throw new ArgumentException($"data has {data[0].Length} features per row but the model expects {inputDim} (dimension mismatch).", nameof(data));
        }

        var result = new long[data.Count];
        for (var n = 0; n < data.Count; n++)
        {
            var x = Code(data[n]);
            var xNorm = x.Sum();
            var best = -1L;
            var bestT = double.NegativeInfinity;
            for (var j = 0; j < weights.Count; j++)
            {
                if (labels is not null && clusterLabels[j] != labels[n])
                {
                    continue;
                }

                var inter = Intersection(x, weights[j]);
                var t = inter / (options.Alpha + weights[j].Sum());
                if ((!requireResonance || inter / xNorm >= vigilances[j]) && t >= bestT)
                {
                    bestT = t;
                    best = j;
                }
            }

            result[n] = best;
        }

        return result;
    }

    private static double Intersection(double[] x, double[] w)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            s += Math.Min(x[i], w[i]);
        }

        return s;
    }

    private void Check(IReadOnlyList<double[]> data, IReadOnlyList<long>? labels)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
        {
            throw new ArgumentException("data has zero rows; at least one sample is required.", nameof(data));
        }

        var d = data[0].Length;
        if (d == 0)
        {
            throw new ArgumentException("data has zero columns; at least one feature is required.", nameof(data));
        }

        foreach (var row in data)
        {
            if (row.Length != d)
            {
                throw new ArgumentException("data rows differ in length (dimension mismatch).", nameof(data));
            }

            foreach (var v in row)
            {
                if (!double.IsFinite(v))
                {
                    throw new ArgumentException("data contains NaN or Inf values.", nameof(data));
                }

                if (v is < 0 or > 1)
                {
                    throw new ArgumentException($"data must lie in [0, 1] (min-max scale it first); found {v}.", nameof(data));
                }
            }
        }

        if (labels is not null)
        {
            Guard.Ids(labels, data.Count, long.MaxValue, nameof(labels));
        }
    }

    private double[] Code(double[] raw)
    {
        if (!options.ComplementCode)
        {
            return (double[])raw.Clone();
        }

        var x = new double[raw.Length * 2];
        for (var i = 0; i < raw.Length; i++)
        {
            x[i] = raw[i];
            x[raw.Length + i] = 1.0 - raw[i];
        }

        return x;
    }

    private long Learn(double[] x, long label)
    {
        var xNorm = x.Sum();
        var c = weights.Count;
        var choice = new double[c];
        var match = new double[c];
        var eligible = new bool[c];
        for (var j = 0; j < c; j++)
        {
            var inter = Intersection(x, weights[j]);
            choice[j] = inter / (options.Alpha + weights[j].Sum());
            match[j] = inter / xNorm;
            eligible[j] = label < 0 || options.MatchTracking || clusterLabels[j] == label;
        }

        var sampleRho = double.NegativeInfinity;
        var rejected = new bool[c];
        long winner;
        while (true)
        {
            winner = -1;
            var tMax = double.NegativeInfinity;
            for (var j = 0; j < c; j++)
            {
                if (eligible[j] && !rejected[j] && match[j] >= vigilances[j] && match[j] >= sampleRho && choice[j] >= tMax)
                {
                    tMax = choice[j];
                    winner = j;
                }
            }

            if (winner >= 0 && label >= 0 && options.MatchTracking && clusterLabels[(int)winner] != label)
            {
                sampleRho = match[winner] + options.MatchTrackingEpsilon;
                rejected[winner] = true; // never retried, also when epsilon is 0
                continue;
            }

            break;
        }

        if (options.Sigma > 0)
        {
            var winnerChoice = winner >= 0 ? choice[winner] : -1.0;
            for (var j = 0; j < c; j++)
            {
                if (j != winner && eligible[j] && choice[j] >= winnerChoice)
                {
                    vigilances[j] *= 1.0 - options.Sigma;
                }
            }
        }

        if (winner < 0)
        {
            weights.Add(x);
            vigilances.Add(options.Vigilance);
            counts.Add(1);
            clusterLabels.Add(label);
            return c;
        }

        var w = weights[(int)winner];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (options.Beta * Math.Min(w[i], x[i])) + ((1.0 - options.Beta) * w[i]);
        }

        if (options.Sigma > 0)
        {
            vigilances[(int)winner] *= 1.0 + options.Sigma;
        }

        counts[(int)winner]++;
        return winner;
    }
}
