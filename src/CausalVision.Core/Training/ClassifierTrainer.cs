// The baseline trainer: any logits classifier, single-label (cross-entropy) or multi-label
// (BCE with logits), Adam with step decay (VSCNet's recipe), per-epoch atomic checkpoints and an
// exact resume. Its epochs run through TrainingLoop.Run; Evaluator gives the metrics, Checkpoint holds the state.
using System.Diagnostics;
using System.Globalization;
using CausalVision.Data;
using CausalVision.Imaging.Transforms;
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Training;

/// <summary>
/// Trains an <c>nn.Module&lt;Tensor, Tensor&gt;</c> that maps images [B, C, H, W] to logits
/// [B, classes] on an <see cref="IImageDataset"/>, and evaluates it with the paper metrics.
/// </summary>
/// <remarks>
/// <para>Loss: cross-entropy on <see cref="Batch.Labels"/>, or (multi-label) binary cross-entropy
/// with logits on <see cref="Batch.LabelTargets"/>. Optimiser: Adam(lr, weight decay); the learning
/// rate of epoch e (0-based) is <c>lr * gamma^(e / step)</c> (<see cref="TrainerOptions.StepLearningRate"/>).</para>
/// <para>Determinism and resume: <see cref="Fit"/> seeds TorchSharp's generator with
/// <see cref="TrainerOptions.Seed"/> on a fresh start; data order and augmentation are pure
/// functions of (seed, epoch, index). After every epoch the model, Adam's state, the RNG state and
/// the epoch count go atomically to <c>CheckpointDirectory/last.ckpt</c>; <c>resume: true</c>
/// reloads it and continues with the next epoch, so 2 epochs straight and 1 epoch + resume give
/// identical weights. The model is not owned: the caller builds (and seeds) and disposes it.</para>
/// </remarks>
/// <example>
/// <code>
/// using var model = BackboneClassifier.Create("resnet18", train.Info.ClassCount);
/// var trainer = new ClassifierTrainer(model, new TrainerOptions { Epochs = 8, CheckpointDirectory = "runs/a" });
/// var result = trainer.Fit(train, TransformPipeline.ImageNetTrain(224), test, TransformPipeline.ImageNetEval(224));
/// Console.WriteLine(result.Metrics[MetricNames.Acc1]);
/// </code>
/// </example>
public sealed class ClassifierTrainer
{
    /// <summary>The checkpoint file name inside <see cref="TrainerOptions.CheckpointDirectory"/>.</summary>
    public const string CheckpointFileName = "last.ckpt";

    private readonly nn.Module<Tensor, Tensor> model;
    private readonly TrainerOptions options;

    /// <summary>Initializes a new instance of the <see cref="ClassifierTrainer"/> class.</summary>
    /// <param name="model">The classifier (not owned).</param>
    /// <param name="options">The options (copied and validated); null for defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public ClassifierTrainer(nn.Module<Tensor, Tensor> model, TrainerOptions? options = null)
    {
        TorchRuntime.EnsureAvailable(); // one clear message (the fix) instead of a native trace
        ArgumentNullException.ThrowIfNull(model);
        this.options = (options ?? new TrainerOptions()).Clone();
        this.options.Validate();
        this.model = model;
    }

    /// <summary>Gets a copy of the options.</summary>
    public TrainerOptions Options => options.Clone();

    /// <summary>Gets or sets the logger of the run (start with the device picked, resume, each epoch); <see langword="null"/>
    /// logs nothing. See <see cref="TrainingLog"/> for the events.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; set; }

    /// <summary>Gets the checkpoint path, or null when checkpoints are off.</summary>
    public string? CheckpointPath => options.CheckpointDirectory is null ? null : Path.Combine(options.CheckpointDirectory, CheckpointFileName);

    /// <summary>
    /// Trains for <see cref="TrainerOptions.Epochs"/> epochs (minus those already done when resuming),
    /// evaluating on <paramref name="evaluation"/> when given.
    /// </summary>
    /// <param name="train">The training set.</param>
    /// <param name="trainTransform">The training transform (must give every image one size); null uses the images as they are.</param>
    /// <param name="evaluation">An evaluation set with the same classes, or null.</param>
    /// <param name="evaluationTransform">The evaluation transform; null uses the images as they are.</param>
    /// <param name="progress">Receives a report after every step and one with metrics at the end of each epoch; called synchronously on the training thread.</param>
    /// <param name="resume">Continue from <see cref="CheckpointPath"/> when it exists (a fresh start when it does not).</param>
    /// <param name="cancellationToken">Stops between batches (the last finished epoch stays checkpointed).</param>
    /// <returns>The per-epoch summaries and the last metrics.</returns>
    /// <exception cref="ArgumentException">A dataset is empty, the class counts of the datasets or of the model disagree, or <paramref name="resume"/> is set without a checkpoint folder.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is corrupt or belongs to another architecture.</exception>
    /// <exception cref="InvalidOperationException">A resume's checkpoint was written with other settings (each difference
    /// is named; <see cref="TrainerOptions.AcceptResumeMismatch"/> accepts them), the loss or the weights became NaN or
    /// infinite, or a batch of one reached BatchNorm layers.</exception>
    /// <exception cref="NativeOperationException">libtorch reported an error (the message names the epoch).</exception>
    public TrainingResult Fit(
        IImageDataset train,
        IImageTransform? trainTransform = null,
        IImageDataset? evaluation = null,
        IImageTransform? evaluationTransform = null,
        IProgress<TrainingProgress>? progress = null,
        bool resume = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckDataset(train, nameof(train));
        if (evaluation is not null)
        {
            CheckDataset(evaluation, nameof(evaluation));
            if (evaluation.Info.ClassCount != train.Info.ClassCount)
            {
                throw new ArgumentException(
                    $"The evaluation set '{evaluation.Info.Name}' has {evaluation.Info.ClassCount} classes but the training set '{train.Info.Name}' has {train.Info.ClassCount}; they must share one label space.",
                    nameof(evaluation));
            }
        }

        if (resume && options.CheckpointDirectory is null)
        {
            throw new ArgumentException("resume: true needs TrainerOptions.CheckpointDirectory (where the checkpoint to resume from lives).", nameof(resume));
        }

        var multiLabel = options.MultiLabel ?? train.Info.MultiLabel;
        var device = TorchRuntime.ResolveDevice(options.Device);
        TrainingLoop.MoveTo(model, device);
        using var optimizer = new LeanAdam(model.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        var dropLast = options.DropLastIncompleteBatch && train.Count > options.BatchSize;
        var loader = new DataLoader(train, LoaderOptions(shuffle: true, dropLast), trainTransform);
        var evalLoader = evaluation is null ? null : new DataLoader(evaluation, LoaderOptions(shuffle: false), evaluationTransform);
        var configuration = Configuration(train, multiLabel, dropLast);

        var checkpoint = CheckpointPath;
        var watch = Stopwatch.StartNew();
        var stage = TrainingLoop.Run(
            new TrainingStage
            {
                Name = nameof(ClassifierTrainer),
                Model = model,
                Optimizer = optimizer,
                Loader = loader,
                Device = device,
                Epochs = options.Epochs,
                Loss = batch => TrainingLoop.ClassificationLoss(model.call(batch.Images), batch, multiLabel),
                LearningRate = options.StepLearningRate,
                EpochNumber = epoch => epoch + 1,
                LossPerSample = true,
                NativeContext = epoch => $"ClassifierTrainer.Fit (epoch {epoch + 1})",
                Evaluate = evalLoader is null ? null : epoch => epoch == options.Epochs - 1 || (options.EvaluateEveryEpochs > 0 && (epoch + 1) % options.EvaluateEveryEpochs == 0)
                    ? NativeOperationException.Guard($"ClassifierTrainer evaluation (epoch {epoch + 1})", () => Evaluator.Metrics(Evaluator.Predict(model, evalLoader!, device, multiLabel, cancellationToken), multiLabel))
                    : null,
                Seed = options.Seed,
                ResumeFrom = resume ? checkpoint : null,
                CheckResume = saved => CheckResume(checkpoint!, saved, configuration),
                CheckpointPath = checkpoint,
                CheckpointState = end => new TrainingState(0, end.Epoch + 1, end.GlobalStep, options.Seed, new Dictionary<string, double>(end.Metrics)
                {
                    [MetricNames.TrainLoss] = end.Summary.TrainLoss,
                    [MetricNames.LearningRate] = end.Summary.LearningRate,
                })
                {
                    Configuration = configuration,
                    History = end.History,
                },
                Logger = Logger,
                Progress = progress,
            },
            cancellationToken);
        return TrainingLoop.Result(stage.History, stage.History.Count - stage.Trained.Count, stage.Metrics, watch.Elapsed, checkpoint, stage.GlobalStep);
    }

    // A resume's checkpoint must have been written with the same settings (Epochs may grow) unless told otherwise.
    private void CheckResume(string checkpoint, TrainingState saved, IReadOnlyDictionary<string, string> configuration)
    {
        var differences = Checkpoint.ConfigurationDifferences(saved.Configuration, configuration).ToList();
        if (saved.Configuration is null && saved.Seed != options.Seed)
        {
            differences.Add($"Seed: checkpoint {saved.Seed}, now {options.Seed}");
        }

        if (saved.Epoch > options.Epochs)
        {
            differences.Add($"Epochs: the checkpoint has finished {saved.Epoch} epochs, more than the {options.Epochs} asked for");
        }

        if (differences.Count > 0 && !options.AcceptResumeMismatch)
        {
            throw new InvalidOperationException(
                $"Checkpoint '{checkpoint}' was written with other settings: {string.Join("; ", differences)}. Resume with the same settings, or accept the change (TrainerOptions.AcceptResumeMismatch, --force).");
        }
    }

    /// <summary>Evaluates the model on <paramref name="dataset"/> with the task's metric set.</summary>
    /// <param name="dataset">The dataset (its class count must match the model's output).</param>
    /// <param name="transform">The evaluation transform; null uses the images as they are.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>Acc@1/Acc@5 (single-label) or mAP/CF1/OF1/P@3/R@3 (multi-label), keyed by <see cref="MetricNames"/>.</returns>
    /// <exception cref="ArgumentException">The dataset is empty or its class count differs from the model's output.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(IImageDataset dataset, IImageTransform? transform = null, CancellationToken cancellationToken = default) =>
        Evaluator.Metrics(Predict(dataset, transform, cancellationToken), options.MultiLabel ?? dataset.Info.MultiLabel);

    /// <summary>Scores every image of <paramref name="dataset"/> in dataset order.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="transform">The evaluation transform; null uses the images as they are.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The predictions (softmax or sigmoid scores).</returns>
    /// <exception cref="ArgumentException">The dataset is empty or its class count differs from the model's output.</exception>
    public Predictions Predict(IImageDataset dataset, IImageTransform? transform = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        CheckDataset(dataset, nameof(dataset));
        var device = TorchRuntime.ResolveDevice(options.Device);
        TrainingLoop.MoveTo(model, device);
        var loader = new DataLoader(dataset, LoaderOptions(shuffle: false), transform);
        return NativeOperationException.Guard("ClassifierTrainer.Predict", () => Evaluator.Predict(model, loader, device, options.MultiLabel ?? dataset.Info.MultiLabel, cancellationToken));
    }

    private static void CheckDataset(IImageDataset dataset, string name)
    {
        if (dataset.Count == 0)
        {
            throw new ArgumentException($"Dataset '{dataset.Info.Name}' is empty; check the data path and split.", name);
        }

        if (dataset.Info.ClassCount == 0)
        {
            throw new ArgumentException($"Dataset '{dataset.Info.Name}' declares no classes; a classifier needs at least one.", name);
        }
    }

    // The settings an exact resume must share with the run that wrote the checkpoint (Epochs may grow).
    private Dictionary<string, string> Configuration(IImageDataset train, bool multiLabel, bool dropLast)
    {
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["BatchSize"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["LearningRate"] = F(options.LearningRate),
            ["WeightDecay"] = F(options.WeightDecay),
            ["LearningRateStepEpochs"] = options.LearningRateStepEpochs.ToString(CultureInfo.InvariantCulture),
            ["LearningRateGamma"] = F(options.LearningRateGamma),
            ["Seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["MultiLabel"] = multiLabel ? "true" : "false",
            ["DropLastIncompleteBatch"] = dropLast ? "true" : "false",
            ["Model"] = model.GetType().Name,
            ["ModelParameters"] = model.parameters().Sum(p => p.numel()).ToString(CultureInfo.InvariantCulture),
            ["TrainImages"] = train.Count.ToString(CultureInfo.InvariantCulture),
            ["Classes"] = train.Info.ClassCount.ToString(CultureInfo.InvariantCulture),
        };
    }

    private DataLoaderOptions LoaderOptions(bool shuffle, bool dropLast = false) => new()
    {
        DropLast = dropLast,
        BatchSize = options.BatchSize,
        Shuffle = shuffle,
        Seed = options.Seed,
        Workers = options.Workers,
        PrefetchBatches = options.PrefetchBatches,
    };
}
