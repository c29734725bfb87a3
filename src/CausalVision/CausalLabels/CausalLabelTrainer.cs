// Paper B's two-stage training (slides: "We model the confounders by clustering spatial features";
// reviewer answer: K-means on spatial features of a pre-trained classification network):
//   stage 1: backbone + label-query decoder + group-wise classifier, multi-label loss on the
//            group-wise (baseline) logits; the intervention branch is frozen and not run;
//   stage 2: spatial features of the trained, frozen backbone over the training set ->
//            IConfounderDictionaryBuilder (K-means by default, Clustering package) -> dictionary;
//   stage 3: the intervention trained on the fused logits with the dictionary installed; the
//            backbone stays frozen (and in eval mode) so the dictionary matches its features.
// Baseline and Decouple variants (Table 3 rows 1-2) run stage 1 only. Stages 1 and 3 run their epochs through
// TrainingLoop.Run (steps, guards, evaluation, checkpoints, resume); stage 2 is this trainer's own.
using CausalVision.Data;
using CausalVision.Metrics;
using CausalVision.Runtime;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// Trains a <see cref="CausalLabelModel"/> in its stages, with progress reports, atomic
/// checkpoints each epoch (plus the dictionary beside them) and an exact resume.
/// </summary>
/// <remarks>
/// <para>Stages (<see cref="TrainingState.Stage"/>): 1 = backbone + decoder + group-wise
/// classifier; 2 = dictionary; 3 = intervention. Checkpoints: <c>checkpoint.ckpt</c> (module,
/// optimiser, RNG, state; <see cref="Checkpoint"/>) and <c>dictionary.bin</c> in
/// <see cref="CausalLabelTrainerOptions.CheckpointDirectory"/>. A resumed run continues with the
/// same data order (per-epoch permutations from the seed), optimiser state and RNG state, so it
/// reproduces an uninterrupted run.</para>
/// <para>Each training step runs in its own dispose scope; nothing is left behind between steps.</para>
/// </remarks>
public sealed class CausalLabelTrainer : IDisposable
{
    /// <summary>The checkpoint file name inside the checkpoint folder.</summary>
    public const string CheckpointFileName = "checkpoint.ckpt";

    /// <summary>The dictionary file name inside the checkpoint folder.</summary>
    public const string DictionaryFileName = "dictionary.bin";

    private readonly CausalLabelModel model;
    private readonly CausalLabelTrainerOptions options;
    private readonly IConfounderDictionaryBuilder? dictionaryBuilder;
    private readonly IProgress<TrainingProgress>? progress;
    private ConfounderDictionary? dictionary;

    /// <summary>Initializes a new instance of the <see cref="CausalLabelTrainer"/> class and moves the model to
    /// <see cref="CausalLabelTrainerOptions.Device"/>.</summary>
    /// <param name="model">The model to train (not owned).</param>
    /// <param name="options">Options (validated, copied); null for defaults.</param>
    /// <param name="dictionaryBuilder">Stage 2 builder; required for the Causal variant (e.g. <c>KMeansConfounderDictionaryBuilder</c> from CausalVision.Clustering, whose K must equal the model's).</param>
    /// <param name="progress">Progress sink; optional.</param>
    /// <exception cref="ArgumentException">Invalid options, a Causal model without a dictionary builder, or a device that is unknown or absent (e.g. "cuda" on a CPU-only machine).</exception>
    public CausalLabelTrainer(CausalLabelModel model, CausalLabelTrainerOptions? options = null, IConfounderDictionaryBuilder? dictionaryBuilder = null, IProgress<TrainingProgress>? progress = null)
    {
        TorchRuntime.EnsureAvailable(); // one clear message (the fix) instead of a native trace
        ArgumentNullException.ThrowIfNull(model);
        this.options = options?.Clone() ?? new CausalLabelTrainerOptions();
        this.options.Validate();
        if (model.Variant == CausalLabelVariant.Causal && dictionaryBuilder is null)
        {
            throw new ArgumentException("The Causal variant needs a confounder dictionary builder for stage 2 (e.g. new KMeansConfounderDictionaryBuilder(new KMeansOptions { Clusters = K }) from CausalVision.Clustering, or RandomConfounderDictionaryBuilder).", nameof(dictionaryBuilder));
        }

        // Resolve first: an unknown or unavailable device fails here, before anything moves.
        var device = TorchRuntime.ResolveDevice(this.options.Device);
        TrainingLoop.MoveTo(model, device); // Module.to() on the same device leaks a handle per parameter
        this.model = model;
        this.dictionaryBuilder = dictionaryBuilder;
        this.progress = progress;
        State = TrainingState.Start(this.options.Seed);
    }

    /// <summary>Gets or sets the logger of the run (each stage's start with the device, each epoch);
    /// <see langword="null"/> logs nothing. See <see cref="TrainingLog"/> for the events.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; set; }

    /// <summary>Gets the run state (stage, epochs done in it, steps, latest metrics).</summary>
    public TrainingState State { get; private set; }

    /// <summary>Gets the dictionary built in stage 2 (or loaded on resume); null before. The trainer owns it (disposed with the trainer) unless taken with <see cref="TakeDictionary"/>. Its values also live in the model's buffers.</summary>
    public ConfounderDictionary? Dictionary => dictionary;

    /// <summary>Gets the checkpoint path, or null when checkpoints are off.</summary>
    public string? CheckpointPath => options.CheckpointDirectory is null ? null : Path.Combine(options.CheckpointDirectory, CheckpointFileName);

    /// <summary>Gets the dictionary path, or null when checkpoints are off.</summary>
    public string? DictionaryPath => options.CheckpointDirectory is null ? null : Path.Combine(options.CheckpointDirectory, DictionaryFileName);

    /// <summary>Returns the dictionary and releases the trainer's reference (the caller disposes it).</summary>
    /// <returns>The dictionary, or null before stage 2.</returns>
    public ConfounderDictionary? TakeDictionary()
    {
        var d = dictionary;
        dictionary = null;
        return d;
    }

    /// <summary>Disposes the dictionary the trainer still owns (the model is not owned and stays alive).</summary>
    public void Dispose()
    {
        dictionary?.Dispose();
        dictionary = null;
    }

    /// <summary>
    /// Runs every stage the variant needs (resuming from <see cref="CheckpointPath"/> when present and
    /// <see cref="CausalLabelTrainerOptions.Resume"/> is set).
    /// </summary>
    /// <param name="train">The training set (multi-label, L = the model's labels).</param>
    /// <param name="validation">Evaluated after each epoch when given (metrics in progress and state).</param>
    /// <param name="pairs">Biased pairs for the validation's exclusive / co-occur scores; optional.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>The run (the result type of every trainer): the epochs of every stage trained by this call, numbered on
    /// across the stages (<c>Metrics["stage"]</c> says which), the whole history including epochs of earlier calls that a
    /// resume skipped, the last validation metrics, the checkpoint and the optimiser steps; <see cref="State"/> has the
    /// final state.</returns>
    /// <exception cref="ArgumentException">A dataset whose label space differs from the model's, or an empty dataset.</exception>
    public TrainingResult Train(IImageDataset train, IImageDataset? validation = null, IReadOnlyList<BiasedPair>? pairs = null, CancellationToken cancellationToken = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var before = -1;
        TrainCore(train, validation, pairs, cancellationToken, () => before = State.History?.Count ?? 0);
        return TrainingLoop.Result(State.History ?? [], before, State.Metrics, clock.Elapsed, CheckpointPath, State.GlobalStep);
    }

    private void TrainCore(IImageDataset train, IImageDataset? validation, IReadOnlyList<BiasedPair>? pairs, CancellationToken cancellationToken, Action started)
    {
        CheckDataset(train, nameof(train));
        if (validation is not null)
        {
            CheckDataset(validation, nameof(validation));
        }

        if (options.Resume && CheckpointPath is not null && File.Exists(CheckpointPath))
        {
            State = Checkpoint.ReadState(CheckpointPath);
        }

        var resumeFromFile = options.Resume && CheckpointPath is not null && File.Exists(CheckpointPath);
        started();
        if (State.Stage <= 1)
        {
            RunStage(1, options.Stage1Epochs, train, validation, pairs, resumeFromFile, cancellationToken);
            resumeFromFile = false;
        }

        if (model.Variant == CausalLabelVariant.Decouple && options.MatchDecoupleBudget && !options.FreezeDecoderInCausalStage && options.CausalEpochs > 0)
        {
            // Equal budget: the same stage-3 epochs without the intervention.
            if (State.Stage < 3)
            {
                State = State with { Stage = 3, Epoch = 0 };
            }

            RunStage(3, options.CausalEpochs, train, validation, pairs, resumeFromFile && State.Epoch > 0, cancellationToken);
            return;
        }

        if (model.Variant != CausalLabelVariant.Causal)
        {
            return;
        }

        if (State.Stage <= 2)
        {
            NativeOperationException.Guard("CausalLabelTrainer stage 2 (dictionary)", () => BuildDictionary(train, cancellationToken));
            resumeFromFile = false;
        }
        else if (dictionary is null)
        {
            // Resuming stage 3: the dictionary file saved beside the checkpoint.
            if (DictionaryPath is null || !File.Exists(DictionaryPath))
            {
                throw new InvalidDataException($"The checkpoint is in stage 3 but its dictionary '{DictionaryPath}' is missing.");
            }

            dictionary = ConfounderDictionary.Load(DictionaryPath);
            model.SwapDictionary(dictionary);
        }

        RunStage(3, options.CausalEpochs, train, validation, pairs, resumeFromFile, cancellationToken);
        return;
    }

    /// <summary>Stage 2 alone: streams the frozen backbone's spatial features of <paramref name="train"/> to the dictionary builder and installs the result.</summary>
    /// <param name="train">The training set.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The dictionary (also kept in <see cref="Dictionary"/>).</returns>
    /// <exception cref="InvalidOperationException">The model has no intervention.</exception>
    public ConfounderDictionary BuildDictionary(IImageDataset train, CancellationToken cancellationToken = default)
    {
        CheckDataset(train, nameof(train));
        if (model.Intervention is null || dictionaryBuilder is null)
        {
            throw new InvalidOperationException($"The {model.Variant} model has no intervention; there is no dictionary to build.");
        }

        var wasTraining = model.training;
        model.eval();
        try
        {
            var built = dictionaryBuilder.Build(FeatureStream(train, cancellationToken));
            if (options.DictionaryControl != DictionaryControl.None)
            {
                using var original = built;
                built = DictionaryControls.Apply(options.DictionaryControl, original, options.Seed);
            }

            try
            {
                if (options.DictionaryControl == DictionaryControl.None)
                {
                    model.SetDictionary(built);
                }
                else
                {
                    model.SwapDictionary(built);
                }
            }
            catch
            {
                built.Dispose();
                throw;
            }

            dictionary?.Dispose();
            dictionary = built;
        }
        finally
        {
            model.train(wasTraining);
        }

        State = State with { Stage = 3, Epoch = 0 };
        if (options.CheckpointDirectory is not null)
        {
            dictionary.Save(DictionaryPath!);
            Checkpoint.Save(CheckpointPath!, model, null, State);
        }

        return dictionary;
    }

    /// <summary>Evaluates the model (final logits, or the group-wise logits before stage 3) on a test set.</summary>
    /// <param name="test">The test set.</param>
    /// <param name="pairs">Biased pairs for exclusive / co-occur; optional.</param>
    /// <param name="intervene">Whether to use the intervention; default: when a dictionary is installed (stage 3).</param>
    /// <returns>The metric suite.</returns>
    /// <exception cref="NativeOperationException">libtorch reported an error.</exception>
    public CausalLabelEvaluation Evaluate(IImageDataset test, IReadOnlyList<BiasedPair>? pairs = null, bool? intervene = null)
    {
        CheckDataset(test, nameof(test));
        return NativeOperationException.Guard("CausalLabelTrainer evaluation", () => Evaluate(model, test, options.BatchSize, pairs, intervene ?? State.Stage >= 3));
    }

    /// <summary>Evaluates any model on a test set.</summary>
    /// <param name="model">The model.</param>
    /// <param name="test">The test set.</param>
    /// <param name="batchSize">The batch size.</param>
    /// <param name="pairs">Biased pairs for exclusive / co-occur; optional.</param>
    /// <param name="intervene">Whether to run the intervention; default true.</param>
    /// <returns>The metric suite.</returns>
    public static CausalLabelEvaluation Evaluate(CausalLabelModel model, IImageDataset test, int batchSize = 64, IReadOnlyList<BiasedPair>? pairs = null, bool intervene = true)
        => Evaluate(model, test, batchSize, pairs, intervene ? CausalLabelScores.Fused : CausalLabelScores.Baseline);

    /// <summary>Evaluates any model on a test set with the chosen logits.</summary>
    /// <param name="model">The model.</param>
    /// <param name="test">The test set.</param>
    /// <param name="batchSize">The batch size.</param>
    /// <param name="pairs">Biased pairs for exclusive / co-occur; optional.</param>
    /// <param name="scores">Which logits are scored: fused (default), the causal branch alone, or the group-wise baseline.</param>
    /// <returns>The metric suite.</returns>
    /// <exception cref="InvalidOperationException">Causal-only scores of a model without intervention.</exception>
    public static CausalLabelEvaluation Evaluate(CausalLabelModel model, IImageDataset test, int batchSize, IReadOnlyList<BiasedPair>? pairs, CausalLabelScores scores)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (test.Count == 0)
        {
            throw new ArgumentException("The test set is empty.", nameof(test));
        }

        if (scores == CausalLabelScores.CausalOnly && model.Intervention is null)
        {
            throw new InvalidOperationException($"The {model.Variant} model has no causal branch to score.");
        }

        var intervene = scores != CausalLabelScores.Baseline;
        var l = model.NumLabels;
        var logits = new double[test.Count, l];
        var targets = new bool[test.Count, l];
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            var loader = new DataLoader(test, new DataLoaderOptions { BatchSize = batchSize, Shuffle = false });
            var row = 0;
            foreach (var batch in loader.GetBatches(0))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                var device = model.parameters().First().device;
                using var parts = model.ForwardParts(b.Images.to(device), intervene);
                var chosen = scores == CausalLabelScores.CausalOnly ? parts.CausalLogits! : parts.Logits;
                var p = chosen.cpu().to(float64).data<double>().ToArray();
                var t = b.LabelTargets.cpu().data<float>().ToArray();
                if (b.LabelTargets.shape[1] != l)
                {
                    throw new ArgumentException($"The test set has {b.LabelTargets.shape[1]} labels but the model has {l}.", nameof(test));
                }

                for (var i = 0; i < b.Size; i++, row++)
                {
                    for (var j = 0; j < l; j++)
                    {
                        logits[row, j] = p[(i * l) + j];
                        targets[row, j] = t[(i * l) + j] > 0.5f;
                    }
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        // Ranked by the logits: float32 sigmoids tie at exactly 1 above logit ~16.6.
        return CausalLabelEvaluation.ComputeFromLogits(logits, targets, pairs);
    }

    /// <summary>The multi-label loss of the options on logits.</summary>
    /// <param name="logits">Logits [B, L].</param>
    /// <param name="targets">Multi-hot targets [B, L].</param>
    /// <param name="loss">The loss kind.</param>
    /// <returns>The scalar loss.</returns>
    public static Tensor ComputeLoss(Tensor logits, Tensor targets, MultiLabelLoss loss)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (!logits.shape.SequenceEqual(targets.shape))
        {
            throw new ArgumentException($"Logits [{string.Join(", ", logits.shape)}] and targets [{string.Join(", ", targets.shape)}] differ in shape.", nameof(targets));
        }

        if (loss == MultiLabelLoss.BinaryCrossEntropy)
        {
            return nn.functional.binary_cross_entropy_with_logits(logits, targets);
        }

        // ASL (Ridnik et al. 2021): L+ = (1-p)^g+ log p, L- = p_m^g- log(1-p_m), p_m = max(p - m, 0).
        using var scope = NewDisposeScope();
        const double gammaNeg = 4, gammaPos = 0, margin = 0.05, eps = 1e-8;
        var p = logits.sigmoid();
        var pm = (p - margin).clamp_min(0);
        var pos = targets * (1 - p).pow(gammaPos) * p.clamp_min(eps).log();
        var neg = (1 - targets) * pm.pow(gammaNeg) * (1 - pm).clamp_min(eps).log();
        return (-ScalarSafe.Add(pos, neg)).mean().MoveToOuterDisposeScope();
    }

    // Every libtorch error of a stage leaves as one NativeOperationException naming the stage.
    private void RunStage(int stage, int epochs, IImageDataset train, IImageDataset? validation, IReadOnlyList<BiasedPair>? pairs, bool resumeFromFile, CancellationToken ct) =>
        NativeOperationException.Guard($"CausalLabelTrainer stage {stage}", () => RunStageCore(stage, epochs, train, validation, pairs, resumeFromFile, ct));

    private void RunStageCore(int stage, int epochs, IImageDataset train, IImageDataset? validation, IReadOnlyList<BiasedPair>? pairs, bool resumeFromFile, CancellationToken ct)
    {
        var parameters = ConfigureTrainable(stage);
        using var optimizer = new LeanAdamW(parameters, options.LearningRate, weight_decay: options.WeightDecay);
        if (!resumeFromFile && State.Stage != stage)
        {
            State = State with { Stage = stage, Epoch = 0 };
        }

        var loader = new DataLoader(train, new DataLoaderOptions { BatchSize = options.BatchSize, Shuffle = true, Seed = options.Seed });
        var intervene = stage == 3 && model.Intervention is not null;
        TrainingLoop.Run(
            new TrainingStage
            {
                Name = $"{nameof(CausalLabelTrainer)} stage {stage}",
                Stage = stage,
                Model = model,
                Optimizer = optimizer,
                Loader = loader,
                Device = model.parameters().First().device,
                Epochs = epochs,
                Loss = b => ComputeLoss(model.ForwardParts(b.Images, intervene).Logits, b.LabelTargets, options.Loss),
                LearningRate = _ => options.LearningRate,
                ShuffleEpoch = epoch => epoch + (stage * 100_000),

                // The backbone of a stage-3 model stays in eval mode: no BatchNorm batch statistics to spoil.
                RejectBatchOfOne = false,
                PrepareEpoch = _ => SetModes(stage),
                Evaluate = validation is null ? null : _ =>
                {
                    var metrics = Evaluate(model, validation, options.BatchSize, pairs, intervene).ToDictionary()
                        .Where(kv => double.IsFinite(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value);
                    SetModes(stage);
                    return metrics;
                },
                StartEpoch = State.Epoch,
                GlobalStep = State.GlobalStep,
                History = State.History ?? [],
                Metrics = State.Metrics,
                Seed = stage == 1 ? options.Seed : null,
                ResumeFrom = resumeFromFile ? CheckpointPath : null,

                // A stage-3 checkpoint of epoch 0 (written after the dictionary) holds no optimiser state.
                ResumeOptimizer = State.Epoch > 0,
                Resumed = state => State = state,
                CheckpointPath = CheckpointPath,
                CheckpointState = end => State = State with
                {
                    Epoch = end.Epoch + 1,
                    GlobalStep = end.GlobalStep,
                    Metrics = end.Evaluation ?? new Dictionary<string, double>(),
                    History = end.History,
                },
                Logger = Logger,
                Progress = progress,
            },
            ct);

        // Stage 1 done: the next stage starts at epoch 0.
        if (stage == 1)
        {
            State = State with { Stage = model.Variant == CausalLabelVariant.Causal ? 2 : 1 };
        }
    }

    private List<TorchSharp.Modules.Parameter> ConfigureTrainable(int stage)
    {
        foreach (var p in model.parameters())
        {
            p.requires_grad = stage == 1;
        }

        if (stage == 1)
        {
            // The intervention is not run in stage 1; keep its weights out of the optimiser.
            if (model.Intervention is not null)
            {
                foreach (var p in model.Intervention.parameters())
                {
                    p.requires_grad = false;
                }

                foreach (var (name, p) in model.Head!.named_parameters())
                {
                    if (name == "fusion_weight")
                    {
                        p.requires_grad = false;
                    }
                }
            }
        }
        else
        {
            foreach (var (name, p) in model.Head!.named_parameters())
            {
                var inIntervention = name.StartsWith("intervention.", StringComparison.Ordinal) || name == "fusion_weight";
                p.requires_grad = inIntervention || !options.FreezeDecoderInCausalStage;
            }
        }

        return model.parameters().Where(p => p.requires_grad).ToList();
    }

    private void SetModes(int stage)
    {
        model.train();
        if (stage == 3)
        {
            model.Backbone.eval();
        }
    }

    private IEnumerable<ConfounderFeatureBatch> FeatureStream(IImageDataset train, CancellationToken ct)
    {
        var loader = new DataLoader(train, new DataLoaderOptions { BatchSize = options.BatchSize, Shuffle = false });
        var seen = 0;
        foreach (var batch in loader.GetBatches(0, ct))
        {
            using var b = batch;
            if (options.DictionaryImages > 0 && seen >= options.DictionaryImages)
            {
                yield break;
            }

            var take = options.DictionaryImages > 0 ? Math.Min(b.Size, options.DictionaryImages - seen) : b.Size;
            Tensor t, y;
            using (NewDisposeScope())
            {
                // No dispose scope may stay open across the yield (the consumer's tensors would land in it).
                var device = model.parameters().First().device;
                t = model.SpatialFeatures(b.Images.to(device)).narrow(0, 0, take).MoveToOuterDisposeScope();
                y = b.LabelTargets.narrow(0, 0, take).MoveToOuterDisposeScope();
            }

            using (t)
            using (y)
            {
                seen += take;
                yield return new ConfounderFeatureBatch(t, y);
            }
        }
    }

    private void CheckDataset(IImageDataset data, string name)
    {
        ArgumentNullException.ThrowIfNull(data, name);
        if (data.Count == 0)
        {
            throw new ArgumentException($"The {name} set is empty.", name);
        }

        if (data.Info.ClassCount != model.NumLabels)
        {
            throw new ArgumentException($"The {name} set has {data.Info.ClassCount} labels but the model was built for {model.NumLabels}.", name);
        }
    }
}
