// VSCNet end to end (Meng et al., "Causal Inference over Visual-Semantic-Aligned Graph for Image Classification",
// AAAI 2025): backbone -> F_v; FVA / Cascaded Spatial Net (eq. 1-2); HAR: prototype matching phi_K (eq. 6), tag
// refinement (eq. 7), heterogeneous graph G_a / G_h (eq. 8-9), class vote P_k; CIM: node/edge masks, G_c / G_n, GCN
// encoders, backdoor intervention (eq. 10-12); multi-view fusion (eq. 14). Where the paper is vague:
// - the hierarchy is matched with the GRU hidden states H_j (the authors cluster those in their public code);
// - each region's matched prototype is the best of its top-5 candidate tags by similarity x tag probability (the
//   authors' code), and t_r of eq. 7 is that prototype's tag distribution (per region);
// - node features: regions r_j, a learned tag embedding and the complement-coded prototypes, each projected by its own
//   Linear to a common width W (the paper concatenates the three kinds without a width);
// - CIM is Graph/Cim/CimModule (CAL-style masks from GCN-encoded node states, one GCN encoder per branch, heads f_c,
//   f_n, f_m, "add" intervention F_m = F_c + F_n[perm] with a random permutation that avoids self-pairing in training)
//   and the fusion is Vscnet/Fusion/MultiViewFusion; P_f is divided by w_e + w_k so that it stays a distribution;
// - +L without +G classifies from the mean over regions of the tag-probability-weighted tag embeddings ("using solely
//   the predicted tags", Table 3) added to F_v by the same fusion as F_c.
using CausalVision.Runtime;
using CausalVision.Backbones;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Vscnet.Fva;
using CausalVision.Graph.Cim;
using CausalVision.Graph.Conv;
using CausalVision.Vscnet.Fusion;
using CausalVision.Graph.Hetero;
using CausalVision.Graph.Masks;
using CausalVision.Vscnet.Har;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Vscnet;

/// <summary>Which part of VSCNet a forward pass computes.</summary>
public enum VscNetStage
{
    /// <summary>Stage 1: backbone, Cascaded Spatial Net and the classifier on F_v (L_AL, eq. 15).</summary>
    Alignment = 1,

    /// <summary>Stage 2: the whole model (L_ff, eq. 16); needs the hierarchy when +K is on.</summary>
    Classification = 2,
}

/// <summary>
/// VSCNet: visual-semantic causal association network for image classification with tags. Build it with
/// <see cref="VscNetBuilder"/>.
/// </summary>
/// <remarks>
/// <para>Forward in stage 2 of the full model:</para>
/// <code>
/// F_v, X        = backbone(v)
/// r, H, t, theta = CSNet(F_v, X)                                     (eq. 1-2)
/// p_r, s_r, t_r = phi_K(H)                                           (eq. 6, hierarchy installed by SetHierarchy)
/// t_f           = (1 - alpha_f) softmax(t) + alpha_f softmax(t_r)    (eq. 7)
/// G_h           = graph(W_r r, t_f, E_tag, W_p p)                    (eq. 8-9)
/// G_c, G_n      = masks(G_h);  F_c = delta_c(G_c), F_n = delta_n(G_n)  (eq. 10-11)
/// F_m           = F_c + F_n[perm]                                    (eq. 12, training)
/// P_e           = phi(W_c F_c + W_v F_v);  P_f = (w_e softmax(P_e) + w_k P_k) / (w_e + w_k)   (eq. 14)
/// </code>
/// <para>Ablations (<see cref="VscNetAblation"/>) remove components as Table 3. The hierarchy is not owned: keep it
/// alive while the model uses it.</para>
/// <para>Shapes: images <c>[B, C, H, W]</c> -&gt; <see cref="VscNetOutput"/> (logits and probabilities <c>[B, S]</c>).</para>
/// </remarks>
public sealed class VscNet : nn.Module<Tensor, VscNetOutput>
{
    [ComponentName(Name = "backbone")]
    private readonly Backbone backbone;

    [ComponentName(Name = "classifier")]
    private readonly Linear visualClassifier;

    [ComponentName(Name = "csnet")]
    private readonly CascadedSpatialNet? csnet;

    [ComponentName(Name = "tag_embedding")]
    private readonly Embedding? tagEmbedding;

    [ComponentName(Name = "region_proj")]
    private readonly Linear? regionProjection;

    [ComponentName(Name = "prototype_proj")]
    private readonly Linear? prototypeProjection;

    [ComponentName(Name = "graph_encoder")]
    private readonly GcnEncoder? graphEncoder;

    [ComponentName(Name = "cim")]
    private readonly CimModule? cim;

    [ComponentName(Name = "fusion")]
    private readonly MultiViewFusion? fusion;

    [ComponentName(Name = "tag_classifier")]
    private readonly Linear? tagClassifier;

    private readonly VscNetOptions options;
    private readonly VseGraphBuilder? graphBuilder;
    private readonly TagRefinement? refinement;
    private readonly ClassVote? vote;
    private readonly string[] tagNames;
    private readonly string[] classNames;
    private ExemplarHierarchy? hierarchy;
    private ExemplarHierarchy? ownedHierarchy;
    private Tensor? prototypeTagIds;

    internal VscNet(Backbone backbone, IReadOnlyList<string> tagNames, IReadOnlyList<string> classNames, bool multiLabel, VscNetOptions options)
        : base("VscNet")
    {
        this.backbone = backbone;
        this.options = options;
        this.tagNames = tagNames.ToArray();
        this.classNames = classNames.ToArray();
        MultiLabel = multiLabel;
        Ablation = options.Ablation;
        var d = backbone.FeatureDim;
        var s = this.classNames.Length;
        var m = this.tagNames.Length;
        var w = options.NodeFeatures;
        visualClassifier = nn.Linear(d, s);
        if (Has(VscNetAblation.Locating))
        {
            csnet = new CascadedSpatialNet((int)d, m, options.Fva);
            tagEmbedding = nn.Embedding(m, w);
            if (Has(VscNetAblation.Graph))
            {
                regionProjection = nn.Linear(d, w);
                graphBuilder = new VseGraphBuilder(options.GraphBuilderOptions());
                if (Has(VscNetAblation.Causal))
                {
                    CimOptions = options.CimModuleOptions(s);
                    cim = new CimModule(CimOptions);
                }
                else
                {
                    graphEncoder = new GcnEncoder(options.GraphEncoderOptions());
                }
            }

            if (Has(VscNetAblation.Knowledge))
            {
                prototypeProjection = Has(VscNetAblation.Graph) ? nn.Linear(2L * csnet.HiddenSize, w) : null;

                // TagRefinement keeps min(TopK, M) tags itself.
                refinement = new TagRefinement(VscNetOptions.Copy(options.Refinement));
                vote = new ClassVote(options.Vote);
            }

            fusion = new MultiViewFusion(options.FusionModuleOptions(d, s));
            if (options.Prediction == VscPredictionHead.Tags)
            {
                tagClassifier = nn.Linear(m, s);
            }
        }

        RegisterComponents();
    }

    /// <summary>Gets the options of the CIM module (and of its loss): <see cref="VscNetOptions.Cim"/> with the derived
    /// input width and class count, or <see langword="null"/> without +C.</summary>
    public CimOptions? CimOptions { get; }

    /// <summary>Gets the components switched on.</summary>
    public VscNetAblation Ablation { get; }

    /// <summary>Gets a value indicating whether the classes are multi-label (sigmoid probabilities).</summary>
    public bool MultiLabel { get; }

    /// <summary>Gets the stage the forward pass computes.</summary>
    public VscNetStage Stage { get; private set; } = VscNetStage.Alignment;

    /// <summary>Gets the backbone.</summary>
    public Backbone Backbone => backbone;

    /// <summary>Gets the Cascaded Spatial Net, or <see langword="null"/> without +L.</summary>
    public CascadedSpatialNet? SpatialNet => csnet;

    /// <summary>
    /// Saves the whole model in one file: weights, options, class and tag names, backbone, stage and the installed
    /// hierarchy (a safetensors file; see <see cref="VscNetModelFile"/>). <see cref="Load"/> rebuilds it in one call.
    /// </summary>
    /// <param name="path">The file to write (conventionally <c>.safetensors</c>).</param>
    public void Save(string path) => VscNetModelFile.Save(this, path);

    /// <summary>Loads a model written by <see cref="Save"/>: rebuilt from its saved options, weights checked and copied,
    /// hierarchy installed (and owned), evaluation mode, saved stage.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">"cpu", "cuda" or "auto"; default "cpu".</param>
    /// <returns>The model (the caller owns it).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a VSCNet model file or does not fit the rebuilt model (the
    /// message names each parameter and both shapes).</exception>
    public static VscNet Load(string path, string device = "cpu") => VscNetModelFile.Load(path, device);

    /// <summary>
    /// Predicts image files: each is decoded (PNG/JPEG/BMP/PNM/GIF) to RGB in [0, 1], passed through
    /// <paramref name="transform"/> and classified in evaluation mode in the current stage.
    /// </summary>
    /// <param name="imageFiles">The image files.</param>
    /// <param name="top">Classes and tags returned per image; default 5.</param>
    /// <param name="transform">The evaluation transform the model was trained with (e.g. <see cref="VscNetTrainer.EvalTransform"/>);
    /// <see langword="null"/> resizes to the backbone's image size (<see cref="VscBackboneOptions.Options"/>) and nothing else,
    /// which is what <see cref="VscNetTrainer"/> does without transforms.</param>
    /// <returns>One prediction per file, in order.</returns>
    /// <exception cref="InvalidDataException">A file is missing, unreadable or not a decodable image (the message names it).</exception>
    /// <exception cref="InvalidOperationException">The backbone reads cached feature maps, not images.</exception>
    public IReadOnlyList<VscNetPrediction> Predict(IReadOnlyList<string> imageFiles, int top = 5, Imaging.Transforms.IImageTransform? transform = null)
    {
        ArgumentNullException.ThrowIfNull(imageFiles);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        if (backbone is PrecomputedBackbone)
        {
            throw new InvalidOperationException("This VSCNet reads cached feature maps (PrecomputedBackbone); call it on maps, or rebuild it on an image backbone.");
        }

        var size = options.Backbone.Options.ImageSize;
        transform ??= new Imaging.Transforms.Resize(size, size);
        var results = new List<VscNetPrediction>(imageFiles.Count);
        var wasTraining = training;
        eval();
        try
        {
            var device = visualClassifier.weight!.device;
            foreach (var file in imageFiles)
            {
                var image = transform.Apply(Imaging.ImageDecoder.DecodeFile(file), new Random(0));
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                using var o = call(image.ToTensor().unsqueeze(0).to(device));
                var probs = o.Probabilities[0].to(ScalarType.Float64).cpu().data<double>().ToArray();
                var classes = probs.Select((p, i) => (classNames[i], p)).OrderByDescending(x => x.p).Take(top).ToList();
                var tags = new List<(string, double)>();
                if (o.TagProbabilities is { } t)
                {
                    var tp = t[0].amax(0).to(ScalarType.Float64).cpu().data<double>().ToArray();
                    tags = [.. tp.Select((p, i) => (tagNames[i], p)).OrderByDescending(x => x.p).Take(top)];
                }

                results.Add(new VscNetPrediction(file, classes, tags));
            }
        }
        finally
        {
            train(wasTraining);
        }

        return results;
    }

    /// <summary>Gets the installed hierarchy, or <see langword="null"/>.</summary>
    public ExemplarHierarchy? Hierarchy => hierarchy;

    /// <summary>Gets the tag vocabulary (M names).</summary>
    public IReadOnlyList<string> TagNames => tagNames;

    /// <summary>Gets the class names (S).</summary>
    public IReadOnlyList<string> ClassNames => classNames;

    /// <summary>Gets the tag vocabulary size M.</summary>
    public int TagCount => tagNames.Length;

    /// <summary>Gets the number of classes S.</summary>
    public int ClassCount => classNames.Length;

    /// <summary>Gets the number of regions J (0 without +L).</summary>
    public int Regions => csnet?.Steps ?? 0;

    /// <summary>Gets the options the model was built with, as given (the builder's own instance; treat it as read-only).
    /// The modules were built from copies of the component options with the derived fields filled in (e.g.
    /// <see cref="CimOptions"/>); after construction the forward pass reads <see cref="VscNetOptions.Prediction"/>, the
    /// prototype matching and the fusion weights, and <see cref="VscNetLoss"/> and <see cref="VscNetTrainer"/> the
    /// training section and the FVA loss.</summary>
    public VscNetOptions Options => options;

    /// <summary>Gets a value indicating whether the ablation has <paramref name="component"/>.</summary>
    /// <param name="component">A single component flag.</param>
    /// <returns>Whether it is on.</returns>
    public bool Has(VscNetAblation component) => (Ablation & component) == component;

    /// <summary>Gets a value indicating whether training has a second stage (any component beyond Base).</summary>
    public bool HasStage2 => Has(VscNetAblation.Locating);

    /// <summary>Selects what <see cref="forward"/> computes and which parameters are trainable: stage 1 trains the
    /// backbone, CSNet and visual classifier; stage 2 freezes the CSNet (and, with
    /// <see cref="VscTrainingOptions.FreezeBackboneInStage2"/>, the backbone and visual classifier).</summary>
    /// <param name="stage">The stage.</param>
    /// <exception cref="ArgumentException">The stage is undefined.</exception>
    /// <exception cref="InvalidOperationException">Stage 2 is requested for the Base model, or +K is on and no hierarchy is installed.</exception>
    public void SetStage(VscNetStage stage)
    {
        if (!Enum.IsDefined(stage))
        {
            throw new ArgumentException($"Undefined stage {(int)stage}.", nameof(stage));
        }

        if (stage == VscNetStage.Classification)
        {
            if (!HasStage2)
            {
                throw new InvalidOperationException("The Base model has no stage 2: it is trained in stage 1 only.");
            }

            RequireHierarchy();
        }

        Stage = stage;
        if (training)
        {
            train(true);
        }

        var stage1 = new HashSet<Parameter>(Stage1Parameters(), ReferenceEqualityComparer.Instance);
        var stage2 = new HashSet<Parameter>(Stage2Parameters(), ReferenceEqualityComparer.Instance);
        foreach (var p in parameters())
        {
            p.requires_grad = stage == VscNetStage.Alignment ? stage1.Contains(p) : stage2.Contains(p);
        }
    }

    /// <summary>Sets training or evaluation mode. In stage 2 the frozen parts stay in evaluation mode even in training
    /// mode: the CSNet and, with <see cref="VscTrainingOptions.FreezeBackboneInStage2"/>, the backbone (so BatchNorm
    /// statistics do not drift away from the features the hierarchy was clustered from).</summary>
    /// <param name="on">Training mode when <see langword="true"/>.</param>
    public override void train(bool on = true)
    {
        base.train(on);
        if (on && Stage == VscNetStage.Classification)
        {
            csnet?.eval();
            if (options.Training.FreezeBackboneInStage2)
            {
                backbone.eval();
                visualClassifier.eval();
            }
        }
    }

    /// <summary>The parameters trained in stage 1: backbone, CSNet and the classifier on F_v (Base: backbone and classifier).</summary>
    /// <returns>The parameters.</returns>
    public IEnumerable<Parameter> Stage1Parameters()
    {
        foreach (var p in backbone.parameters())
        {
            yield return p;
        }

        foreach (var p in visualClassifier.parameters())
        {
            yield return p;
        }

        if (csnet is not null)
        {
            foreach (var p in csnet.parameters())
            {
                yield return p;
            }
        }
    }

    /// <summary>The parameters trained in stage 2: everything but the CSNet (and the backbone and visual classifier
    /// when <see cref="VscTrainingOptions.FreezeBackboneInStage2"/>).</summary>
    /// <returns>The parameters.</returns>
    public IEnumerable<Parameter> Stage2Parameters()
    {
        var frozen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        if (csnet is not null)
        {
            frozen.UnionWith(csnet.parameters());
        }

        if (options.Training.FreezeBackboneInStage2)
        {
            frozen.UnionWith(backbone.parameters());
            frozen.UnionWith(visualClassifier.parameters());
        }

        return parameters().Where(p => !frozen.Contains(p)).ToArray();
    }

    /// <summary>Installs a hierarchy that the model disposes with itself (a loaded model file's).</summary>
    /// <param name="value">The hierarchy.</param>
    internal void OwnHierarchy(ExemplarHierarchy value)
    {
        try
        {
            SetHierarchy(value);
        }
        catch
        {
            value.Dispose();
            throw;
        }

        ownedHierarchy?.Dispose();
        ownedHierarchy = value;
    }

    /// <summary>Installs the visual-semantic exemplar hierarchy built after stage 1 (eq. 5). The model does not take
    /// ownership.</summary>
    /// <param name="value">The hierarchy; its tag count, class count and feature size must match the model.</param>
    /// <exception cref="ArgumentException">The hierarchy is empty or does not match the model.</exception>
    /// <exception cref="InvalidOperationException">The model has no +K.</exception>
    public void SetHierarchy(ExemplarHierarchy value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!Has(VscNetAblation.Knowledge))
        {
            throw new InvalidOperationException($"The model's ablation ({Ablation}) has no Knowledge component: it uses no hierarchy.");
        }

        if (value.Count == 0)
        {
            throw new ArgumentException($"The hierarchy is empty: no cluster passed the purity/size filter (of {value.ClusterCount} clusters). Lower HierarchyOptions.PurityThreshold or MinMembers, or train stage 1 longer.", nameof(value));
        }

        if (value.TagCount != TagCount || value.ClassCount != ClassCount)
        {
            throw new ArgumentException($"The hierarchy has {value.TagCount} tags and {value.ClassCount} classes but the model {TagCount} and {ClassCount}.", nameof(value));
        }

        if (value.FeatureDimension != csnet!.HiddenSize)
        {
            throw new ArgumentException($"The hierarchy clusters {value.FeatureDimension}-dimensional features but the model's hidden states have {csnet.HiddenSize}.", nameof(value));
        }

        prototypeTagIds?.Dispose();
        hierarchy = value;
        prototypeTagIds = tensor(value.PrototypeTags.ToArray(), dtype: ScalarType.Int64, device: value.Prototypes.device);
    }

    /// <summary>Runs the model on a batch.</summary>
    /// <param name="images">Images <c>[B, C, H, W]</c>, finite.</param>
    /// <returns>The output (owned by the caller).</returns>
    /// <exception cref="ArgumentException">The images have the wrong rank, channel count or non-finite values.</exception>
    /// <exception cref="InvalidOperationException">Stage 2 with +K but no hierarchy installed.</exception>
    public override VscNetOutput forward(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != backbone.InChannels)
        {
            throw new ArgumentException($"images must have shape [B, {backbone.InChannels}, H, W] but has shape [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (images.shape[0] == 0)
        {
            throw new ArgumentException("images holds no image (batch size 0).", nameof(images));
        }

        if (!images.is_floating_point())
        {
            throw new ArgumentException($"images must be floating point but is {images.dtype}.", nameof(images));
        }

        var stage2 = Stage == VscNetStage.Classification;
        if (stage2)
        {
            RequireHierarchy();
        }

        using var scope = NewDisposeScope();
        using var features = backbone.call(images);
        var fv = features.Pooled.alias();
        var visualLogits = visualClassifier.call(fv);
        CascadedSpatialNetOutput? fva = csnet?.call(fv, features.Map);
        if (!stage2)
        {
            var probs0 = MultiLabel ? visualLogits.sigmoid() : visualLogits.softmax(-1);
            return Keep(new VscNetOutput { Logits = visualLogits.alias(), Probabilities = probs0, VisualLogits = visualLogits, VisualFeatures = fv, Fva = fva });
        }

        var tagProbs = fva!.TagLogits.softmax(-1);
        Tensor? matched = null, matchSim = null, knowledge = null, similarity = null;
        if (Has(VscNetAblation.Knowledge))
        {
            var h = hierarchy!;
            var match = PrototypeMatching.Match(h, fva.HiddenStates, fva.TagLogits, tagProbs, options.PrototypeSimilarity, options.CandidateTags);
            (similarity, matched, matchSim) = (match.Similarity, match.Matched, match.MatchSimilarity);
            using var refined = refinement!.Refine(fva.TagLogits, match.PrototypeTags.to(fva.TagLogits.device));
            tagProbs = refined.Refined.alias();
            knowledge = vote!.Vote(similarity, tagProbs, prototypeTagIds!, h.ClassDistribution);
        }

        Tensor graphFeature;
        Tensor? graphTagIds = null, graphProtoIds = null, adjacency = null, nodeMask = null, edgeMask = null;
        Tensor? causalLogits = null, trivialLogits = null, interventionLogits = null, permutation = null;
        if (Has(VscNetAblation.Graph))
        {
            var inputs = new VseGraphInputs
            {
                RegionFeatures = regionProjection!.call(fva.RegionFeatures),
                RefinedTagProbabilities = tagProbs,
                TagEmbeddings = tagEmbedding!.weight!,
                PrototypeFeatures = prototypeProjection?.call(hierarchy!.Prototypes),
                MatchedPrototypes = matched,
                MatchSimilarity = matchSim?.clamp_min(0),
                PrototypeTagDistribution = Has(VscNetAblation.Knowledge) ? hierarchy!.TagDistribution : null,
            };
            using var vse = graphBuilder!.Build(inputs);
            graphTagIds = vse.TagIds.alias();
            graphProtoIds = vse.PrototypeIds.alias();
            adjacency = vse.Graph.Adjacency.alias();
            if (Has(VscNetAblation.Causal))
            {
                // The permutation comes from the global generator (with Cim.Seed unset, the default), so a restored RNG replays it.
                using var c = cim!.call(vse.Graph);
                nodeMask = c.NodeMask.alias();
                edgeMask = c.EdgeMask.alias();
                causalLogits = c.CausalLogits.alias();
                trivialLogits = c.TrivialLogits.alias();
                interventionLogits = c.InterventionLogits.alias();
                permutation = c.Confounders == CimConfounders.RandomPermutation ? c.Permutation?.alias() : null;
                graphFeature = c.CausalFeatures.alias();
            }
            else
            {
                graphFeature = graphEncoder!.call(vse.Graph);
            }
        }
        else
        {
            graphFeature = einsum("bjm,mw->bw", tagProbs, tagEmbedding!.weight!) / Regions;
        }

        var withVote = Has(VscNetAblation.Fusion);
        Tensor logits;
        Tensor probs;
        if (options.Prediction == VscPredictionHead.Tags)
        {
            // Classify from the predicted (refined) tags alone: no F_v, no graph, no P_k.
            logits = tagClassifier!.call(tagProbs.mean([1L]).clamp_min(1e-6).log());
            probs = MultiLabel ? logits.sigmoid() : logits.softmax(-1);
            return Keep(Output(logits, probs));
        }

        if (options.Prediction == VscPredictionHead.CausalClassifier)
        {
            // The causal classifier alone: f_c(F_c), without F_v or P_k.
            logits = causalLogits!.alias();
            probs = MultiLabel ? logits.sigmoid() : logits.softmax(-1);
            return Keep(Output(logits, probs));
        }

        using var fused = fusion!.call(graphFeature, fv, withVote ? knowledge!.to(fv.device) : null);
        logits = fused.Logits.alias();
        var we = options.Fusion.EvidenceWeight;
        var wk = withVote ? options.Fusion.KnowledgeWeight : 0.0;
        if (!MultiLabel)
        {
            // eq. 14's sum w_e softmax(P_e) + w_k P_k, rescaled to a distribution.
            probs = fused.Probabilities / (we + wk);
        }
        else
        {
            var pk = withVote ? (options.Fusion.Knowledge == KnowledgeInput.Logits ? knowledge!.softmax(-1) : knowledge!) : null;
            probs = pk is null ? logits.sigmoid() : ScalarSafe.Add(logits.sigmoid() * we, pk * wk) / (we + wk);
        }

        return Keep(Output(logits, probs));

        VscNetOutput Output(Tensor logits, Tensor probs) => new()
        {
            Logits = logits,
            Probabilities = probs,
            VisualLogits = visualLogits,
            VisualFeatures = fv,
            Fva = fva,
            TagProbabilities = tagProbs,
            MatchedPrototypes = matched,
            MatchSimilarity = matchSim,
            KnowledgeVote = knowledge,
            GraphTagIds = graphTagIds,
            GraphPrototypeIds = graphProtoIds,
            Adjacency = adjacency,
            GraphFeatures = graphFeature,
            NodeMask = nodeMask,
            EdgeMask = edgeMask,
            CausalLogits = causalLogits,
            TrivialLogits = trivialLogits,
            InterventionLogits = interventionLogits,
            Permutation = permutation,
        };
    }

    /// <summary>Runs the model in evaluation mode without gradients and returns one explanation per image.</summary>
    /// <param name="images">Images <c>[B, C, H, W]</c>.</param>
    /// <param name="topTags">How many tags per region to list.</param>
    /// <returns>The explanations.</returns>
    /// <exception cref="ArgumentException">Bad images or <paramref name="topTags"/> &lt; 1.</exception>
    public IReadOnlyList<VscNetExplanation> Explain(Tensor images, int topTags = 3) => VscNetExplanation.Create(this, images, topTags);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var (_, m) in named_children())
            {
                m.Dispose();
            }

            prototypeTagIds?.Dispose();
            ownedHierarchy?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static VscNetOutput Keep(VscNetOutput o)
    {
        o.Logits.MoveToOuterDisposeScope();
        o.Probabilities.MoveToOuterDisposeScope();
        o.VisualLogits.MoveToOuterDisposeScope();
        o.VisualFeatures.MoveToOuterDisposeScope();
        if (o.Fva is { } f)
        {
            f.Thetas.MoveToOuterDisposeScope();
            f.RegionFeatures.MoveToOuterDisposeScope();
            f.HiddenStates.MoveToOuterDisposeScope();
            f.TagLogits.MoveToOuterDisposeScope();
        }

        foreach (var t in new[] { o.TagProbabilities, o.MatchedPrototypes, o.MatchSimilarity, o.KnowledgeVote, o.GraphTagIds, o.GraphPrototypeIds, o.Adjacency, o.GraphFeatures, o.NodeMask, o.EdgeMask, o.CausalLogits, o.TrivialLogits, o.InterventionLogits, o.Permutation })
        {
            t?.MoveToOuterDisposeScope();
        }

        return o;
    }

    private void RequireHierarchy()
    {
        if (Has(VscNetAblation.Knowledge) && hierarchy is null)
        {
            throw new InvalidOperationException("Stage 2 of a model with the Knowledge component needs the exemplar hierarchy: train stage 1, build it (VscNetTrainer.BuildHierarchy or ExemplarHierarchy.Build) and call SetHierarchy first.");
        }
    }
}
