// Trains a linear head on fixed (e.g. cached frozen backbone) features: the fast path of the
// reference rows. ERM, ERM on unbiased data (the ceiling), a tags -> class oracle (features =
// the tags) and Group DRO (Sagawa et al., ICLR 2020) are all this trainer with different data or
// objective.
using CausalVision.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Training;

/// <summary>
/// Trains a linear classifier on a <see cref="FeatureSet"/> with Adam, by ERM (mean
/// cross-entropy) or Group DRO (<see cref="GroupDroLoss"/> over (class, context) groups), and
/// selects the epoch on validation data.
/// </summary>
/// <remarks>
/// <para>Features are standardised with the training mean and standard deviation. The head starts
/// from <c>nn.Linear</c>'s initialisation under <c>manual_seed(Seed)</c>; epoch e visits the
/// training rows in a permutation drawn from (Seed, e) only, so two rows trained with the same
/// seed see the same data order whatever their objective. With <see cref="DataSampling.GroupBalanced"/>
/// the epoch is <see cref="GroupBalancedEpochOrder"/> instead (the same number of rows and steps).</para>
/// <para>Selection: after every epoch the head is scored on the validation set with
/// <see cref="FeatureHeadTrainerOptions.Selection"/>; the best epoch (the earliest on ties) is
/// returned. Without validation data, or with <see cref="SelectionMetric.LastEpoch"/>, the last
/// epoch is returned. Pass validation data drawn from the training distribution, never a test split.</para>
/// </remarks>
public sealed class FeatureHeadTrainer
{
    private readonly FeatureHeadTrainerOptions options;

    /// <summary>Initializes a new instance of the <see cref="FeatureHeadTrainer"/> class.</summary>
    /// <param name="options">The options (copied, validated); null for defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public FeatureHeadTrainer(FeatureHeadTrainerOptions? options = null)
    {
        this.options = (options ?? new FeatureHeadTrainerOptions()).Clone();
        this.options.Validate();
    }

    /// <summary>Gets a copy of the options.</summary>
    public FeatureHeadTrainerOptions Options => options.Clone();

    /// <summary>Trains the head.</summary>
    /// <param name="train">Training features (labels and contexts; groups are used by Group DRO).</param>
    /// <param name="validation">Validation features for epoch selection, or null.</param>
    /// <returns>The selected head.</returns>
    /// <exception cref="ArgumentException">The sets disagree in dimension, classes or contexts.</exception>
    public FeatureHead Fit(FeatureSet train, FeatureSet? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (validation is not null && (validation.Dim != train.Dim || validation.ClassCount != train.ClassCount))
        {
            throw new ArgumentException($"Validation features ({validation.Dim}-d, {validation.ClassCount} classes) must match the training features ({train.Dim}-d, {train.ClassCount} classes).", nameof(validation));
        }

        var (n, d, c) = (train.Count, train.Dim, train.ClassCount);
        var (mean, std) = Moments(train);
        var dro = options.Objective == TrainingObjective.GroupDro ? new GroupDroLoss(train.GroupCount, options.GroupDroStepSize) : null;
        var groups = Enumerable.Range(0, n).Select(i => (long)train.GroupOf(i)).ToArray();

        random.manual_seed(options.Seed);
        using var linear = nn.Linear(d, c);
        // LeanAdam: TorchSharp's Adam update bit for bit, with its Scalars owned across the native calls.
        using var optimizer = new LeanAdam(linear.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        Tensor x, y, g;
        using (NewDisposeScope())
        {
            x = ((tensor(train.Features, [n, d]) - tensor(mean)) / tensor(std)).MoveToOuterDisposeScope();
            y = tensor(train.Labels.Select(v => (long)v).ToArray()).MoveToOuterDisposeScope();
            g = tensor(groups).MoveToOuterDisposeScope();
        }

        try
        {
            float[]? bestW = null, bestB = null;
            var bestScore = double.NegativeInfinity;
            var bestEpoch = options.Epochs;
            for (var epoch = 0; epoch < options.Epochs; epoch++)
            {
                var order = options.Sampling == DataSampling.GroupBalanced
                    ? GroupBalancedEpochOrder(groups, options.Seed, epoch)
                    : EpochOrder(n, options.Seed, epoch);
                for (var start = 0; start < n; start += options.BatchSize)
                {
                    using var scope = NewDisposeScope();
                    var idx = tensor(order[start..Math.Min(n, start + options.BatchSize)]);
                    var logits = linear.call(x.index_select(0, idx));
                    var targets = y.index_select(0, idx);
                    var loss = dro is null
                        ? nn.functional.cross_entropy(logits, targets)
                        : dro.Forward(nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.None), g.index_select(0, idx));
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                }

                if (validation is null || options.Selection == SelectionMetric.LastEpoch)
                {
                    continue;
                }

                var head = Snapshot(linear, mean, std, d, c, epoch + 1, double.NaN);
                var score = Score(head.Evaluate(validation));
                if (score > bestScore)
                {
                    (bestScore, bestEpoch, bestW, bestB) = (score, epoch + 1, head.Weight, head.Bias);
                }
            }

            if (bestW is not null)
            {
                return new FeatureHead(bestW, bestB!, mean, std, d, c, bestEpoch, bestScore);
            }

            return Snapshot(linear, mean, std, d, c, options.Epochs, double.NaN);
        }
        finally
        {
            x.Dispose();
            y.Dispose();
            g.Dispose();
        }
    }

    private static FeatureHead Snapshot(nn.Module linear, float[] mean, float[] std, int d, int c, int epoch, double score)
    {
        using var scope = NewDisposeScope();
        var p = linear.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        var w = p["weight"].detach().cpu().data<float>().ToArray();
        var b = p["bias"].detach().cpu().data<float>().ToArray();
        return new FeatureHead(w, b, mean, std, d, c, epoch, score);
    }

    private static (float[] Mean, float[] Std) Moments(FeatureSet data)
    {
        var (n, d) = (data.Count, data.Dim);
        var mean = new double[d];
        var sq = new double[d];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++)
            {
                double v = data.Features[(i * d) + j];
                mean[j] += v;
                sq[j] += v * v;
            }
        }

        var m = new float[d];
        var s = new float[d];
        for (var j = 0; j < d; j++)
        {
            var mu = mean[j] / n;
            m[j] = (float)mu;
            s[j] = (float)Math.Max(1e-6, Math.Sqrt(Math.Max(0, (sq[j] / n) - (mu * mu))));
        }

        return (m, s);
    }

    /// <summary>
    /// The order in which epoch <paramref name="epoch"/> (0-based) visits <paramref name="n"/> training rows; it depends on
    /// (seed, epoch) only, so another trainer that uses it (e.g. a VSCNet row of the same experiment) sees the same batches.
    /// </summary>
    /// <param name="n">The number of training rows.</param>
    /// <param name="seed">The run seed.</param>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <returns>A permutation of 0 .. n - 1.</returns>
    public static long[] EpochOrder(int n, int seed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        // A seeded System.Random is deterministic across runs and platforms (HashCode is not).
        var rng = new Random(unchecked((seed * 1_000_003) + epoch));
        var order = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        rng.Shuffle(order);
        return order;
    }

    /// <summary>
    /// The rows epoch <paramref name="epoch"/> (0-based) visits under group-balanced sampling: <c>groups.Count</c> draws
    /// with replacement, each a group chosen uniformly among those present, then a row of that group chosen uniformly.
    /// It depends on (groups, seed, epoch) only, so every trainer that uses it sees the same batches.
    /// </summary>
    /// <param name="groups">The group id of every training row.</param>
    /// <param name="seed">The run seed.</param>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <returns>Row indices (with repetitions), as many as there are rows.</returns>
    public static long[] GroupBalancedEpochOrder(IReadOnlyList<long> groups, int seed, int epoch)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var members = new SortedDictionary<long, List<long>>();
        for (var i = 0; i < groups.Count; i++)
        {
            if (!members.TryGetValue(groups[i], out var list))
            {
                members[groups[i]] = list = [];
            }

            list.Add(i);
        }

        var byGroup = members.Values.ToArray();
        // A stream of its own (not EpochOrder's), fixed by (seed, epoch).
        var rng = new Random(unchecked((seed * 1_000_003) + epoch + 0x5EED));
        var order = new long[groups.Count];
        for (var k = 0; k < order.Length; k++)
        {
            var group = byGroup[rng.Next(byGroup.Length)];
            order[k] = group[rng.Next(group.Count)];
        }

        return order;
    }

    private double Score(GroupMetricsResult m) => options.Selection switch
    {
        SelectionMetric.Accuracy => m.Accuracy,
        SelectionMetric.WorstGroupAccuracy => m.WorstGroupAccuracy,
        _ => m.MeanGroupAccuracy,
    };
}
