// VSCNet's two-stage training (Meng et al., AAAI 2025, "Training Strategies"): stage 1 trains the backbone, the
// Cascaded Spatial Net and the classifier on F_v with L_AL = L_s + alpha_l L_l (eq. 15); the visual-semantic exemplar
// hierarchy is then clustered from the training set's GRU hidden states (eq. 5, as the authors' code); stage 2 freezes
// the CSNet and trains the graph, CIM and fusion with L_ff = L_cls + alpha_gf L_gf (eq. 16). Adam, lr decayed every
// few epochs ("Implementation Details"). Each stage's epochs run through TrainingLoop.Run (per-epoch atomic
// checkpoints, exact resume); the hierarchy is saved beside them.
using CausalVision.Clustering.Hierarchy;
using CausalVision.Data;
using CausalVision.Vscnet.Fva;
using CausalVision.Metrics;
using CausalVision.Runtime;
using CausalVision.Training;
using TorchSharp;
using TorchSharp.Modules;
using CausalVision.Imaging.Transforms;
using DataLoader = CausalVision.Data.DataLoader;
using static TorchSharp.torch;

namespace CausalVision.Vscnet;

/// <summary>Trains and evaluates a <see cref="VscNet"/> in two stages, with per-epoch checkpoints and exact resume.</summary>
/// <remarks>
/// <para>Files in <see cref="VscTrainingOptions.CheckpointDirectory"/>: <c>stage1.ckpt</c>, <c>stage2.ckpt</c>
/// (<see cref="Checkpoint"/>: weights, Adam state, RNG, epoch) and <c>hierarchy.vse</c>. <see cref="Run"/> resumes from
/// the latest of them: a run interrupted after any epoch and resumed ends with the same weights as an uninterrupted one
/// (data order depends only on seed and epoch, the RNG is restored).</para>
/// <para>Metrics: single-label <c>acc@1</c>, <c>acc@k</c>; multi-label <c>p@1</c>, <c>r@1</c>, <c>p@k</c>, <c>r@k</c>
/// (per-image top-k precision/recall, the NUS-WIDE protocol), k = <see cref="VscTrainingOptions.TopK"/>.</para>
/// </remarks>
public sealed class VscNetTrainer : IDisposable
{
    /// <summary>The stage-1 checkpoint file name.</summary>
    public const string Stage1File = "stage1.ckpt";

    /// <summary>The stage-2 checkpoint file name.</summary>
    public const string Stage2File = "stage2.ckpt";

    /// <summary>The hierarchy file name.</summary>
    public const string HierarchyFile = "hierarchy.vse";

    private readonly VscNet model;
    private readonly VscTrainingOptions training;
    private readonly Device device;
    private ExemplarHierarchy? hierarchy;
    private bool stage1Done;
    private long globalStep;
    private List<EpochSummary> history = [];
    private HashSet<EpochSummary> restored = [];

    /// <summary>Initializes a new instance of the <see cref="VscNetTrainer"/> class, moves the model to the configured
    /// device and seeds TorchSharp's global generator with <see cref="VscTrainingOptions.Seed"/>. The model stays owned
    /// by the caller.</summary>
    /// <param name="model">The model.</param>
    /// <exception cref="ArgumentException">The model's training options are invalid.</exception>
    public VscNetTrainer(VscNet model)
    {
        TorchRuntime.EnsureAvailable(); // one clear message (the fix) instead of a native trace
        ArgumentNullException.ThrowIfNull(model);
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        training = model.Options.Training;
        training.Validate();
        device = TorchRuntime.ResolveDevice(training.Device);
        TrainingLoop.MoveTo(model, device); // Module.to() on the same device leaks a handle per parameter

        // The global generator drives the intervention's permutations; a fresh trainer starts it from the seed, a
        // resumed stage restores it from its checkpoint.
        manual_seed(training.Seed);
    }

    /// <summary>Gets the model.</summary>
    public VscNet Model => model;

    /// <summary>Gets or sets the logger of the run (start with the device picked, resume, each epoch of each stage);
    /// <see langword="null"/> logs nothing. See <see cref="TrainingLog"/> for the events.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; set; }

    /// <summary>Gets the hierarchy built or loaded by this trainer (owned by the trainer), or <see langword="null"/>.</summary>
    public ExemplarHierarchy? Hierarchy => hierarchy;

    /// <summary>Trains a new model described by <paramref name="options"/> on <paramref name="train"/> (both stages,
    /// resuming from <see cref="VscTrainingOptions.CheckpointDirectory"/> when it holds checkpoints) and evaluates it. The
    /// model's initial weights are seeded with <see cref="VscTrainingOptions.Seed"/> (<see cref="VscNetBuilder.WithSeed"/>).</summary>
    /// <param name="train">The training set (tags and classes from its <see cref="IImageDataset.Info"/>).</param>
    /// <param name="evaluation">The evaluation set, or <see langword="null"/> to skip evaluation.</param>
    /// <param name="options">The options (backbone, ablation, schedule ...).</param>
    /// <param name="progress">Receives progress reports; optional.</param>
    /// <param name="cancellationToken">Cancels between steps.</param>
    /// <returns>The run: every epoch of both stages and the final evaluation metrics (empty without an evaluation set).</returns>
    /// <exception cref="ArgumentException">Invalid options or datasets.</exception>
    public static TrainingResult Fit(IImageDataset train, IImageDataset? evaluation, VscNetOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        using var model = new VscNetBuilder().ForDataset(train.Info).WithSeed(options.Training.Seed).Configure(o => options.ShareInto(o)).Build();
        using var trainer = new VscNetTrainer(model);
        return trainer.Run(train, evaluation, progress, cancellationToken);
    }

    /// <summary>Gets or sets the per-sample transform of training batches (e.g. resize + flip for datasets whose images
    /// differ in size); null feeds the dataset's images as they are.</summary>
    /// <value>Default null.</value>
    public IImageTransform? TrainTransform { get; set; }

    /// <summary>Gets or sets the per-sample transform for evaluation and for collecting the hierarchy's regions.</summary>
    /// <value>Default null.</value>
    public IImageTransform? EvalTransform { get; set; }

    /// <summary>Runs stage 1, the hierarchy build (with +K) and stage 2 (with +L), resuming from checkpoints, then
    /// evaluates.</summary>
    /// <param name="train">The training set.</param>
    /// <param name="evaluation">The evaluation set, or <see langword="null"/>.</param>
    /// <param name="progress">Receives progress reports; optional.</param>
    /// <param name="cancellationToken">Cancels between steps.</param>
    /// <returns>The run (the result type of every trainer): the epochs of both stages trained by this call, numbered on
    /// across the stages (stage 1's epochs first; <c>Metrics["stage"]</c> says which), the whole history including epochs
    /// of earlier calls that a resume skipped, and the final evaluation metrics (empty without an evaluation set).</returns>
    public TrainingResult Run(IImageDataset train, IImageDataset? evaluation, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckDataset(train, nameof(train));
        if (evaluation is not null)
        {
            CheckDataset(evaluation, nameof(evaluation));
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        history = [];
        restored = [];

        var dir = training.CheckpointDirectory;
        if (dir is not null && File.Exists(Path.Combine(dir, Stage2File)))
        {
            stage1Done = true;
        }
        else
        {
            TrainStage1(train, evaluation, progress, cancellationToken);
        }

        if (model.HasStage2)
        {
            TrainStage2(train, evaluation, progress, cancellationToken);
        }

        var metrics = evaluation is null ? new Dictionary<string, double>() : Evaluate(evaluation, cancellationToken);
        var checkpoint = dir is null ? null : Path.Combine(dir, model.HasStage2 ? Stage2File : Stage1File);

        // The epochs restored from a checkpoint come first in the history; the rest were trained by this call.
        return TrainingLoop.Result(history, history.Count(restored.Contains), metrics, clock.Elapsed, checkpoint, globalStep);
    }

    /// <summary>Stage 1 (eq. 15): trains backbone, CSNet and the classifier on F_v for
    /// <see cref="VscTrainingOptions.Stage1Epochs"/> epochs, continuing from <c>stage1.ckpt</c> when present.</summary>
    /// <param name="train">The training set.</param>
    /// <param name="evaluation">Evaluated after each epoch when given.</param>
    /// <param name="progress">Receives progress reports; optional.</param>
    /// <param name="cancellationToken">Cancels between steps.</param>
    public void TrainStage1(IImageDataset train, IImageDataset? evaluation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckDataset(train, nameof(train));
        model.SetStage(VscNetStage.Alignment);
        RunStage(1, training.Stage1Epochs, model.Stage1Parameters().ToArray(), train, evaluation, progress, cancellationToken);
        stage1Done = true;
    }

    /// <summary>Stage 2 (eq. 16): builds or loads the hierarchy when +K is on, freezes the CSNet and trains for
    /// <see cref="VscTrainingOptions.Stage2Epochs"/> epochs, continuing from <c>stage2.ckpt</c> when present.</summary>
    /// <param name="train">The training set.</param>
    /// <param name="evaluation">Evaluated after each epoch when given.</param>
    /// <param name="progress">Receives progress reports; optional.</param>
    /// <param name="cancellationToken">Cancels between steps.</param>
    /// <exception cref="InvalidOperationException">Stage 1 has not run (nor left a checkpoint), or the model is Base.</exception>
    public void TrainStage2(IImageDataset train, IImageDataset? evaluation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckDataset(train, nameof(train));
        if (!model.HasStage2)
        {
            throw new InvalidOperationException("The Base model has no stage 2.");
        }

        var dir = training.CheckpointDirectory;
        if (!stage1Done && !(dir is not null && File.Exists(Path.Combine(dir, Stage2File))))
        {
            throw new InvalidOperationException("Stage 2 needs a trained stage 1: call TrainStage1 (or Run) first.");
        }

        if (model.Has(VscNetAblation.Knowledge) && model.Hierarchy is null)
        {
            // The saved hierarchy is reused only when stage 2 had already started from it; otherwise stage 1 may have
            // trained further since it was written, so it is rebuilt (the build is deterministic).
            var file = dir is null ? null : Path.Combine(dir, HierarchyFile);
            if (file is not null && File.Exists(file) && File.Exists(Path.Combine(dir!, Stage2File)))
            {
                var loaded = ExemplarHierarchy.Load(file, device);
                Install(loaded);
            }
            else
            {
                var built = BuildHierarchy(train, cancellationToken);
                if (file is not null)
                {
                    SaveAtomically(built, file);
                }
            }
        }

        model.SetStage(VscNetStage.Classification);
        RunStage(2, training.Stage2Epochs, model.Stage2Parameters().ToArray(), train, evaluation, progress, cancellationToken);
    }

    /// <summary>Builds the visual-semantic exemplar hierarchy (eq. 5) from the training set's GRU hidden states with
    /// their tags and classes, and installs it in the model (the trainer owns it).</summary>
    /// <param name="train">The training set.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>The hierarchy.</returns>
    /// <exception cref="InvalidOperationException">The model has no CSNet, or no region had a tag.</exception>
    /// <exception cref="ArgumentException">The hierarchy is empty (no cluster passed the filter).</exception>
    /// <exception cref="NativeOperationException">libtorch reported an error.</exception>
    public ExemplarHierarchy BuildHierarchy(IImageDataset train, CancellationToken cancellationToken = default) =>
        NativeOperationException.Guard("VSCNet hierarchy build", () => BuildHierarchyCore(train, cancellationToken));

    private ExemplarHierarchy BuildHierarchyCore(IImageDataset train, CancellationToken cancellationToken)
    {
        CheckDataset(train, nameof(train));
        if (model.SpatialNet is null)
        {
            throw new InvalidOperationException("The model has no Cascaded Spatial Net (Locating component): there are no regions to cluster.");
        }

        var stage = model.Stage;
        var wasTraining = model.training;
        model.SetStage(VscNetStage.Alignment);
        model.eval();
        var features = new List<Tensor>();
        var tags = new List<long>();
        var classes = new List<long>();
        try
        {
            var loader = new DataLoader(train, new DataLoaderOptions { BatchSize = training.BatchSize, Shuffle = false, Seed = training.Seed }, EvalTransform);
            foreach (var batch in loader.GetBatches(0, cancellationToken))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var images = b.Images.to(device);
                using var o = model.call(images);
                var steps = FvaLoss.SelectStepTargets(b.Tags, model.Regions);
                var chosen = model.Options.HierarchyTagSource == HierarchyTagSource.GroundTruth
                    ? steps
                    : o.Fva!.TagLogits.argmax(2).cpu();
                var keep = steps.ge(0).reshape(-1);
                var hidden = o.Fva!.HiddenStates.reshape(-1, o.Fva.HiddenStates.shape[2]).cpu();
                var rowClasses = (model.MultiLabel ? b.LabelTargets.argmax(1) : b.Labels).unsqueeze(1).expand(-1, model.Regions).reshape(-1);
                var idx = keep.nonzero().squeeze(1);
                features.Add(hidden.index_select(0, idx).MoveToOuterDisposeScope());
                tags.AddRange(chosen.reshape(-1).index_select(0, idx).data<long>().ToArray());
                classes.AddRange(rowClasses.index_select(0, idx).data<long>().ToArray());
            }

            if (tags.Count == 0)
            {
                throw new InvalidOperationException("No training region had a tag: the hierarchy cannot be built (do the training images carry tags?).");
            }

            using var all = cat(features, 0);
            var built = ExemplarHierarchy.Build(all, tags, classes, model.TagCount, model.ClassCount, model.Options.Hierarchy, device);
            Install(built);
            return built;
        }
        finally
        {
            foreach (var f in features)
            {
                f.Dispose();
            }

            model.train(wasTraining);
            if (stage == VscNetStage.Classification && model.Hierarchy is not null)
            {
                model.SetStage(stage);
            }
        }
    }

    /// <summary>One optimisation step on a batch in the model's current stage.</summary>
    /// <param name="optimizer">The optimiser over the stage's parameters.</param>
    /// <param name="images">Images <c>[B, C, H, W]</c>.</param>
    /// <param name="labels">Class ids <c>[B]</c> (Int64), or multi-hot <c>[B, S]</c> (float) for multi-label.</param>
    /// <param name="tags">Multi-hot tags <c>[B, M]</c>.</param>
    /// <returns>The loss value.</returns>
    /// <exception cref="ArgumentException">Batch sizes differ, or the tags do not have the vocabulary's width.</exception>
    /// <exception cref="InvalidOperationException">The model is in training mode and the batch holds one image.</exception>
    public double TrainStep(optim.Optimizer optimizer, Tensor images, Tensor labels, Tensor tags)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(tags);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"images must be [B, C, H, W] but has shape [{string.Join(", ", images.shape)}].", nameof(images));
        }

        var batch = images.shape[0];
        if (labels.shape.Length == 0 || labels.shape[0] != batch)
        {
            throw new ArgumentException($"images and labels have mismatched batch sizes ({batch} vs {(labels.shape.Length == 0 ? 0 : labels.shape[0])}).", nameof(labels));
        }

        if (tags.dim() != 2 || tags.shape[0] != batch)
        {
            throw new ArgumentException($"images and tags have mismatched batch sizes: tags must be [{batch}, {model.TagCount}] but are [{string.Join(", ", tags.shape)}].", nameof(tags));
        }

        if (tags.shape[1] != model.TagCount)
        {
            throw new ArgumentException($"tags have {tags.shape[1]} columns, so they hold tag ids outside the model's vocabulary of {model.TagCount} tags.", nameof(tags));
        }

        if (batch == 1 && model.training)
        {
            throw new InvalidOperationException("A training batch of one image reached VSCNet: its BatchNorm layers would see one value per channel and their running statistics would become non-finite. Use batches of at least 2 (VscTrainingOptions.DropLastIncompleteBatch drops a last batch of one).");
        }

        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = StepLoss(images.to(device), labels.to(device), tags);
        loss.backward();
        optimizer.step();
        globalStep++;
        return loss.item<float>();
    }

    // The loss of a step in the model's current stage: L_AL (eq. 15) in stage 1, L_ff (eq. 16) in stage 2.
    private Tensor StepLoss(Tensor x, Tensor y, Tensor tags)
    {
        var o = model.call(x);
        VscNetLossTerms loss;
        if (model.Stage == VscNetStage.Alignment)
        {
            var steps = model.SpatialNet is null ? null : FvaLoss.SelectStepTargets(tags.to(device), model.Regions);
            loss = VscNetLoss.Stage1(model, o, y, steps);
        }
        else
        {
            loss = VscNetLoss.Stage2(model, o, y);
        }

        return loss.Total;
    }

    /// <summary>Evaluates the model (current stage, evaluation mode, no gradients).</summary>
    /// <param name="data">The evaluation set.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>acc@1 / acc@k (single-label) or p@1, r@1, p@k, r@k (multi-label).</returns>
    /// <exception cref="NativeOperationException">libtorch reported an error.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(IImageDataset data, CancellationToken cancellationToken = default) =>
        NativeOperationException.Guard("VSCNet evaluation", () => EvaluateCore(data, cancellationToken));

    private IReadOnlyDictionary<string, double> EvaluateCore(IImageDataset data, CancellationToken cancellationToken)
    {
        CheckDataset(data, nameof(data));
        var wasTraining = model.training;
        model.eval();
        var rows = new List<double[]>();
        var labels = new List<int>();
        var targets = new List<bool[]>();
        try
        {
            var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = training.BatchSize, Shuffle = false }, EvalTransform);
            foreach (var batch in loader.GetBatches(0, cancellationToken))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                using var o = model.call(b.Images.to(device));
                var p = o.Probabilities.to(ScalarType.Float64).cpu().data<double>().ToArray();
                var s = model.ClassCount;
                var lt = b.LabelTargets.cpu().data<float>().ToArray();
                var ls = b.Labels.cpu().data<long>().ToArray();
                for (var i = 0; i < ls.Length; i++)
                {
                    rows.Add(p.AsSpan(i * s, s).ToArray());
                    labels.Add((int)ls[i]);
                    targets.Add(lt.AsSpan(i * s, s).ToArray().Select(v => v > 0).ToArray());
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        var n = rows.Count;
        var scores = new double[n, model.ClassCount];
        var truth = new bool[n, model.ClassCount];
        for (var i = 0; i < n; i++)
        {
            for (var c = 0; c < model.ClassCount; c++)
            {
                scores[i, c] = rows[i][c];
                truth[i, c] = targets[i][c];
            }
        }

        var k = Math.Min(training.TopK, model.ClassCount);
        var result = new Dictionary<string, double>();
        if (model.MultiLabel)
        {
            var at1 = MultiLabelMetrics.PrecisionRecallAtK(scores, truth, 1);
            var atK = MultiLabelMetrics.PrecisionRecallAtK(scores, truth, k);
            result["p@1"] = at1.Precision;
            result["r@1"] = at1.Recall;
            result[$"p@{k}"] = atK.Precision;
            result[$"r@{k}"] = atK.Recall;
        }
        else
        {
            var y = labels.ToArray();
            result["acc@1"] = SingleLabelMetrics.TopKAccuracy(scores, y, 1);
            result[$"acc@{k}"] = SingleLabelMetrics.TopKAccuracy(scores, y, k);
        }

        return result;
    }

    /// <summary>Disposes the hierarchy this trainer built or loaded (not the model).</summary>
    public void Dispose()
    {
        hierarchy?.Dispose();
        hierarchy = null;
    }


    private static void SaveAtomically(ExemplarHierarchy h, string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var temp = file + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            h.Save(stream);
            stream.Flush(true);
        }

        File.Move(temp, file, overwrite: true);
    }

    private void Install(ExemplarHierarchy h)
    {
        try
        {
            model.SetHierarchy(h);
        }
        catch
        {
            h.Dispose();
            throw;
        }

        hierarchy?.Dispose();
        hierarchy = h;
    }

    private void CheckDataset(IImageDataset data, string name)
    {
        ArgumentNullException.ThrowIfNull(data, name);
        if (data.Count == 0)
        {
            throw new ArgumentException($"The dataset '{data.Info.Name}' is empty.", name);
        }

        if (data.Info.TagCount != model.TagCount)
        {
            throw new ArgumentException($"The dataset '{data.Info.Name}' has {data.Info.TagCount} tags but the model's vocabulary has {model.TagCount}.", name);
        }

        if (data.Info.ClassCount != model.ClassCount)
        {
            throw new ArgumentException($"The dataset '{data.Info.Name}' has {data.Info.ClassCount} classes but the model {model.ClassCount}.", name);
        }

        if (data.Info.MultiLabel != model.MultiLabel)
        {
            throw new ArgumentException($"The dataset '{data.Info.Name}' is {(data.Info.MultiLabel ? "multi" : "single")}-label but the model is not.", name);
        }
    }

    // Every libtorch error of a stage (its steps, evaluations, checkpoints) leaves as one NativeOperationException.
    private void RunStage(int stage, int epochs, Parameter[] parameters, IImageDataset train, IImageDataset? evaluation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        NativeOperationException.Guard($"VSCNet stage {stage}", () => RunStageCore(stage, epochs, parameters, train, evaluation, progress, cancellationToken));

    private void RunStageCore(int stage, int epochs, Parameter[] parameters, IImageDataset train, IImageDataset? evaluation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var trainable = parameters.Where(p => p.requires_grad).ToArray();
        using var optimizer = new LeanAdam(trainable, training.LearningRate, weight_decay: training.WeightDecay);
        var file = training.CheckpointDirectory is null ? null : Path.Combine(training.CheckpointDirectory, stage == 1 ? Stage1File : Stage2File);

        // Epochs are numbered on across the stages: stage 2's first epoch follows stage 1's last.
        var offset = stage == 1 ? 0 : training.Stage1Epochs;
        var dropLast = training.DropLastIncompleteBatch && train.Count > training.BatchSize;
        var loader = new DataLoader(train, new DataLoaderOptions { BatchSize = training.BatchSize, Shuffle = true, Seed = training.Seed + stage, DropLast = dropLast }, TrainTransform);
        var result = TrainingLoop.Run(
            new TrainingStage
            {
                Name = $"{nameof(VscNetTrainer)} stage {stage}",
                Stage = stage,
                Model = model,
                Optimizer = optimizer,
                Loader = loader,
                Device = device,
                Epochs = epochs,
                Loss = b => StepLoss(b.Images, model.MultiLabel ? b.LabelTargets : b.Labels, b.Tags),
                LearningRate = epoch => training.LearningRate * Math.Pow(training.LearningRateDecay, epoch / training.LearningRateDecayEvery),
                ShuffleEpoch = epoch => epoch + 1,
                EpochNumber = epoch => offset + epoch + 1,
                Evaluate = evaluation is null ? null : _ => Evaluate(evaluation, cancellationToken),
                GlobalStep = globalStep,
                History = history,
                ResumeFrom = file,
                CheckResume = state =>
                {
                    if (state.Stage != stage)
                    {
                        throw new InvalidDataException($"{file} holds stage {state.Stage}, expected {stage}.");
                    }
                },

                // The checkpoint carries every epoch so far (stage 1's too): it replaces what this run had collected.
                Resumed = state => restored.UnionWith(state.History ?? []),
                CheckpointPath = file,
                CheckpointState = end => new TrainingState(stage, end.Epoch + 1, end.GlobalStep, training.Seed, new Dictionary<string, double>(end.Evaluation ?? new Dictionary<string, double>()) { ["loss"] = end.Summary.TrainLoss })
                {
                    History = end.History,
                },
                Logger = Logger,
                Progress = progress,
            },
            cancellationToken);
        history = [.. result.History];
        globalStep = result.GlobalStep;
    }
}
