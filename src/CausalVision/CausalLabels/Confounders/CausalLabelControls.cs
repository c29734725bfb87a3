// The control experiment of the causal label head: every row starts from ONE stage-1 (Decouple)
// checkpoint and gets the same stage-3 budget (epochs, steps, learning rate, batches; backbone frozen),
// so that a difference between rows is due to the intervention and its dictionary, not to compute.
//   Decouple + E epochs (no intervention)           - the equal-budget baseline
//   grounded / literal / LayerNorm forms, K-means   - the method and its ablation forms
//   c = 0, K = 1 at E_P[c], matched-moment random,  - dictionary controls (grounded form)
//   K-means with a shuffled prior
//   K sweep                                        - number of confounders
//   test-time swap of the trained grounded model's  - if scores do not move, the dictionary is unused
//   dictionary (matched random, E_P[c])
// Each row is scored on the fused logits (the model's fusion, SumLogits by default) and on the causal
// branch alone.
using CausalVision.CausalLabels;
using CausalVision.Data;
using CausalVision.Metrics;
using KMeansOptionsModel = CausalVision.Clustering.KMeans.KMeansOptions;

namespace CausalVision.CausalLabels.Confounders;

/// <summary>One row of <see cref="CausalLabelControls.Run"/>.</summary>
/// <param name="Name">Row name (stable; used as a key by experiment runners).</param>
/// <param name="Fused">Metrics of the final logits.</param>
/// <param name="CausalOnly">Metrics of the causal branch alone; null for rows without intervention.</param>
/// <param name="Seconds">Wall time of the row's training and evaluation.</param>
public sealed record CausalLabelControlRow(string Name, CausalLabelEvaluation Fused, CausalLabelEvaluation? CausalOnly, double Seconds);

/// <summary>Which rows <see cref="CausalLabelControls.Run"/> trains.</summary>
public sealed class CausalLabelControlSet
{
    /// <summary>Gets or sets K of the main rows.</summary>
    /// <value>Default 80.</value>
    public int K { get; set; } = 80;

    /// <summary>Gets or sets the intervention forms to train with the K-means dictionary.</summary>
    /// <value>Default grounded, literal and LayerNorm.</value>
    public IList<InterventionForm> Forms { get; set; } = [InterventionForm.Grounded, InterventionForm.Literal, InterventionForm.LayerNorm];

    /// <summary>Gets or sets the dictionary controls trained with the grounded form.</summary>
    /// <value>Default zero, E_P[c], matched random, shuffled prior.</value>
    public IList<DictionaryControl> Controls { get; set; } = [DictionaryControl.Zero, DictionaryControl.PriorMean, DictionaryControl.MatchedRandom, DictionaryControl.ShuffledPrior];

    /// <summary>Gets or sets the extra K of the grounded K sweep (besides <see cref="K"/>).</summary>
    /// <value>Default empty (the full sweep is 20, 40, 60, 100).</value>
    public IList<int> SweepK { get; set; } = [];

    /// <summary>Gets or sets a value indicating whether the trained grounded models (both weightings) are scored after a test-time dictionary swap.</summary>
    /// <value>Default true.</value>
    public bool DictionarySwap { get; set; } = true;
}

/// <summary>Runs the equal-budget control rows from one stage-1 checkpoint.</summary>
public static class CausalLabelControls
{
    /// <summary>Trains stage 1 once, then every row of <paramref name="set"/> from it, and scores each on <paramref name="test"/>.</summary>
    /// <param name="build">Builds a model: (variant, form, K) -&gt; a fresh model with the same backbone and head sizes for every call.</param>
    /// <param name="train">The training set.</param>
    /// <param name="test">The evaluation set.</param>
    /// <param name="pairs">Biased pairs for exclusive / co-occur AP.</param>
    /// <param name="options">Trainer options: Stage1Epochs for the checkpoint, CausalEpochs for every row's stage 3; Seed seeds K-means and the random controls.</param>
    /// <param name="set">The rows; null for the defaults.</param>
    /// <param name="log">Receives one line per finished row; optional.</param>
    /// <returns>The rows in the order trained.</returns>
    public static IReadOnlyList<CausalLabelControlRow> Run(
        Func<CausalLabelVariant, InterventionForm, int, CausalLabelModel> build,
        IImageDataset train,
        IImageDataset test,
        IReadOnlyList<BiasedPair> pairs,
        CausalLabelTrainerOptions options,
        CausalLabelControlSet? set = null,
        Action<CausalLabelControlRow>? log = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        set ??= new CausalLabelControlSet();
        var rows = new List<CausalLabelControlRow>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Add(string name, CausalLabelModel model)
        {
            var fused = CausalLabelTrainer.Evaluate(model, test, options.BatchSize, pairs, CausalLabelScores.Fused);
            var causal = model.Intervention is null ? null : CausalLabelTrainer.Evaluate(model, test, options.BatchSize, pairs, CausalLabelScores.CausalOnly);
            var row = new CausalLabelControlRow(name, fused, causal, Math.Round(clock.Elapsed.TotalSeconds, 1));
            rows.Add(row);
            log?.Invoke(row);
            clock.Restart();
        }

        var stageOneOptions = options.Clone();
        stageOneOptions.CausalEpochs = 0;
        stageOneOptions.MatchDecoupleBudget = false;
        stageOneOptions.CheckpointDirectory = null;
        using var stageOne = build(CausalLabelVariant.Decouple, InterventionForm.Grounded, set.K);
        new CausalLabelTrainer(stageOne, stageOneOptions).Train(train);
        Add("Decouple (stage 1)", stageOne);

        var third = options.Clone();
        third.Stage1Epochs = 0;
        third.CheckpointDirectory = null;
        third.MatchDecoupleBudget = true;
        using (var decouple = build(CausalLabelVariant.Decouple, InterventionForm.Grounded, set.K))
        {
            decouple.CopyStageOneFrom(stageOne);
            new CausalLabelTrainer(decouple, third).Train(train);
            Add($"Decouple +{options.CausalEpochs} epochs", decouple);
        }

        void Causal(string name, InterventionForm form, int k, DictionaryControl control, bool swap)
        {
            using var model = build(CausalLabelVariant.Causal, form, k);
            model.CopyStageOneFrom(stageOne);
            var o = third.Clone();
            o.DictionaryControl = control;
            var builder = new KMeansConfounderDictionaryBuilder(new KMeansOptionsModel { Clusters = k, Seed = options.Seed, MaxIterations = 100 });
            using var trainer = new CausalLabelTrainer(model, o, builder);
            trainer.Train(train);
            Add(name, model);
            if (!swap || trainer.Dictionary is not { } trained)
            {
                return;
            }

            foreach (var swapTo in new[] { DictionaryControl.MatchedRandom, DictionaryControl.PriorMean })
            {
                using var swapped = DictionaryControls.Apply(swapTo, trained, options.Seed + 1);
                model.SwapDictionary(swapped);
                Add($"{name}, test-time swap to {Describe(swapTo)}", model);
            }

            model.SwapDictionary(trained);
        }

        foreach (var form in set.Forms)
        {
            Causal($"Causal {form} K={set.K}", form, set.K, DictionaryControl.None, set.DictionarySwap && form is InterventionForm.Grounded or InterventionForm.GroundedNormalized);
        }

        foreach (var control in set.Controls)
        {
            Causal($"Causal Grounded K={set.K} control: {Describe(control)}", InterventionForm.Grounded, set.K, control, false);
        }

        foreach (var k in set.SweepK.Where(k => k != set.K))
        {
            Causal($"Causal Grounded K={k}", InterventionForm.Grounded, k, DictionaryControl.None, false);
        }

        return rows;
    }

    private static string Describe(DictionaryControl control) => control switch
    {
        DictionaryControl.Zero => "c = 0",
        DictionaryControl.PriorMean => "K = 1 at E_P[c]",
        DictionaryControl.MatchedRandom => "random, matched mean/cov",
        DictionaryControl.ShuffledPrior => "shuffled prior",
        _ => control.ToString(),
    };
}
