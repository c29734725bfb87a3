// Options of the whole VSCNet (Meng et al., "Causal Inference over Visual-Semantic-Aligned Graph for Image
// Classification", AAAI 2025): FVA (eq. 1-4), HAR (eq. 5-9), CIM (eq. 10-13), fusion (eq. 14) and the two-stage
// schedule (eq. 15-16). Defaults: the paper where it gives a value ("Implementation Details"), else the authors'
// public code (yibuxulong/Fine-grained-visual-semantic-causal), else CAL
// (yongduosui/CAL) for the CIM sizes; every property says which.
using System.ComponentModel.DataAnnotations;
using CausalVision.Backbones;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Vscnet.Fva;
using CausalVision.Graph.Cim;
using CausalVision.Graph.Conv;
using CausalVision.Graph.Hetero;
using CausalVision.Vscnet.Har;

namespace CausalVision.Vscnet;

/// <summary>The components of VSCNet that an ablation (Table 3 of the paper) switches on.</summary>
[Flags]
public enum VscNetAblation
{
    /// <summary>Base: the backbone and a linear classifier on F_v only.</summary>
    Base = 0,

    /// <summary>+L: the Cascaded Spatial Net trained with the locating loss (eq. 1-4, 15); classes are predicted from the
    /// predicted tags (pooled tag embeddings) added to F_v.</summary>
    Locating = 1,

    /// <summary>+K: the exemplar hierarchy refines the tags (eq. 5-7). Requires <see cref="Locating"/>.</summary>
    Knowledge = 2,

    /// <summary>+G: the heterogeneous graph (G_a of eq. 8 without +K, G_h of eq. 9 with it) encoded by a GCN.
    /// Requires <see cref="Locating"/>.</summary>
    Graph = 4,

    /// <summary>+C: causal node/edge masks, backdoor intervention and L_gf (eq. 10-13). Requires <see cref="Graph"/>.</summary>
    Causal = 8,

    /// <summary>+F: the final prediction fuses softmax(P_e) with the hierarchy's class vote P_k (eq. 14). Requires
    /// <see cref="Knowledge"/>.</summary>
    Fusion = 16,

    /// <summary>The full model (+L+K+G+C+F).</summary>
    Full = Locating | Knowledge | Graph | Causal | Fusion,
}

/// <summary>How region-to-prototype similarity phi_K (eq. 6) is computed in the projected prototype space.</summary>
public enum PrototypeSimilarityKind
{
    /// <summary>Fuzzy Jaccard |h AND w| / |h OR w| (the authors' code).</summary>
    FuzzyJaccard,

    /// <summary>Cosine similarity.</summary>
    Cosine,
}

/// <summary>Which tag a training region is clustered under when the hierarchy is built (eq. 5).</summary>
public enum HierarchyTagSource
{
    /// <summary>The region's ground-truth step target (the j-th present tag; the authors' code). Steps without a
    /// target are skipped.</summary>
    GroundTruth,

    /// <summary>The region's predicted tag (eq. 5 reads <c>Cluster(r, t^, y)</c>).</summary>
    Predicted,
}

/// <summary>How the supervised terms of L_gf (eq. 13) compare a classifier's output with the label.</summary>
public enum CausalLossKind
{
    /// <summary>Squared L2 distance between softmax (sigmoid for multi-label) probabilities and the one-hot
    /// (multi-hot) target (eq. 13: "L2 norm loss").</summary>
    L2,

    /// <summary>Cross-entropy (BCE for multi-label), as CAL.</summary>
    CrossEntropy,
}

/// <summary>Options of VSCNet: model, FVA, HAR, graph, CIM, fusion and training.</summary>
/// <remarks>Call <see cref="Validate"/> (the builder and the trainer do) to get every problem listed at once.</remarks>
public sealed class VscNetOptions
{
    /// <summary>Gets or sets the backbone options (name and stem).</summary>
    /// <value>Default: a new <see cref="VscBackboneOptions"/> (ResNet-18).</value>
    public VscBackboneOptions Backbone { get; set; } = new();

    /// <summary>Gets or sets the components switched on (Table 3 rows).</summary>
    /// <value>Default <see cref="VscNetAblation.Full"/>.</value>
    public VscNetAblation Ablation { get; set; } = VscNetAblation.Full;

    /// <summary>Gets or sets the FVA (Cascaded Spatial Net) options; <see cref="FvaOptions.Steps"/> is J.</summary>
    /// <value>Default: a new <see cref="FvaOptions"/> (J = 10 from the paper's grid {5, 10, 15}).</value>
    public FvaOptions Fva { get; set; } = new();

    /// <summary>Gets or sets the HAR options (hierarchy, matching, refinement, class vote).</summary>
    /// <value>Default: a new <see cref="VscHarOptions"/>.</value>
    public VscHarOptions Har { get; set; } = new();

    /// <summary>Gets or sets the graph options (G_a / G_h construction, node width, GCN of the non-causal rows).</summary>
    /// <value>Default: a new <see cref="VscGraphOptions"/>.</value>
    public VscGraphOptions Graph { get; set; } = new();

    /// <summary>Gets or sets the CIM options.</summary>
    /// <value>Default: a new <see cref="VscCimOptions"/>.</value>
    public VscCimOptions Cim { get; set; } = new();

    /// <summary>Gets or sets the fusion options (eq. 14).</summary>
    /// <value>Default: a new <see cref="VscFusionOptions"/>.</value>
    public VscFusionOptions Fusion { get; set; } = new();

    /// <summary>Gets or sets the training schedule (eq. 15-16).</summary>
    /// <value>Default: a new <see cref="VscTrainingOptions"/>.</value>
    public VscTrainingOptions Training { get; set; } = new();

    /// <summary>Returns a deep copy (through the JSON form the model file stores, so every option travels).</summary>
    /// <returns>The copy.</returns>
    public VscNetOptions Clone() =>
        System.Text.Json.JsonSerializer.Deserialize<VscNetOptions>(System.Text.Json.JsonSerializer.Serialize(this, CloneJson), CloneJson)!;

    private static readonly System.Text.Json.JsonSerializerOptions CloneJson = new()
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Makes <paramref name="to"/> share every component of these options (what a builder's Configure
    /// needs to rebuild a model from saved or given options).</summary>
    /// <param name="to">The options to overwrite.</param>
    internal void ShareInto(VscNetOptions to)
    {
        to.Backbone = Backbone;
        to.Ablation = Ablation;
        to.Fva = Fva;
        to.Har = Har;
        to.Graph = Graph;
        to.Cim = Cim;
        to.Fusion = Fusion;
        to.Training = Training;
    }

    /// <summary>Checks every option and the ablation's dependencies.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists every problem.</exception>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid VscNetOptions: " + string.Join(" ", problems));
        }
    }

    /// <summary>Lists every problem without throwing.</summary>
    /// <returns>The problems (empty when the options are valid).</returns>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        void Check(string section, object? value, Action validate)
        {
            if (value is null)
            {
                p.Add($"{section} must not be null.");
                return;
            }

            try
            {
                validate();
            }
            catch (ArgumentException e)
            {
                p.Add($"{section}: {e.Message}");
            }
        }

        Check(nameof(Backbone), Backbone, () => Backbone.Validate());
        Check(nameof(Fva), Fva, () => Fva.Validate());
        Check(nameof(Har), Har, () => Har.Validate());
        Check(nameof(Graph), Graph, () => Graph.Validate());
        Check(nameof(Cim), Cim, () => Cim.Validate());
        Check(nameof(Fusion), Fusion, () => Fusion.Validate());
        Check(nameof(Training), Training, () => Training.Validate());
        if (((int)Ablation & ~(int)VscNetAblation.Full) != 0)
        {
            p.Add($"Ablation {(int)Ablation} holds undefined flags.");
        }

        void Needs(VscNetAblation flag, VscNetAblation required, string why)
        {
            if (Ablation.HasFlag(flag) && !Ablation.HasFlag(required))
            {
                p.Add($"Ablation {flag} requires {required} ({why}).");
            }
        }

        Needs(VscNetAblation.Knowledge, VscNetAblation.Locating, "the hierarchy clusters the located regions");
        Needs(VscNetAblation.Graph, VscNetAblation.Locating, "the graph's nodes are the located regions and their tags");
        Needs(VscNetAblation.Causal, VscNetAblation.Graph, "the masks act on the graph");
        Needs(VscNetAblation.Fusion, VscNetAblation.Knowledge, "P_k is the hierarchy's class vote");
        if (Fusion is not null && Fusion.Prediction == VscPredictionHead.CausalClassifier && !Ablation.HasFlag(VscNetAblation.Causal))
        {
            p.Add($"Fusion.Prediction {VscPredictionHead.CausalClassifier} requires {VscNetAblation.Causal} (f_c is CIM's classifier).");
        }

        if (Fusion is not null && Fusion.Prediction == VscPredictionHead.Tags && !Ablation.HasFlag(VscNetAblation.Locating))
        {
            p.Add($"Fusion.Prediction {VscPredictionHead.Tags} requires {VscNetAblation.Locating} (the tags are the FVA's).");
        }
        return p;
    }
}

/// <summary>Backbone choice for VSCNet.</summary>
public sealed class VscBackboneOptions
{
    /// <summary>Gets or sets the registry name of the backbone (see <c>BackboneRegistry.Names</c>).</summary>
    /// <value>Default "resnet18" (the paper's RN18).</value>
    public string Name { get; set; } = "resnet18";

    /// <summary>Gets or sets the options passed to <see cref="Backbone.Create(string, BackboneOptions?)"/>.</summary>
    /// <value>Default: a new <see cref="BackboneOptions"/> (224 px, ImageNet stem).</value>
    public BackboneOptions Options { get; set; } = new();

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">The name is empty or the backbone options are invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("Backbone.Name must not be empty.", nameof(Name));
        }

        ArgumentNullException.ThrowIfNull(Options, nameof(Options));
        Options.Validate();
    }
}

/// <summary>Options of the heterogeneous association refinement (HAR, eq. 5-7) and the class vote P_k.</summary>
public sealed class VscHarOptions
{
    /// <summary>Gets or sets the hierarchy (constrained AM-ART) options; <c>Art.Vigilance</c> is the paper's
    /// "clustering parameter" chosen from 0.8 to 0.9.</summary>
    /// <value>Default: a new <see cref="HierarchyOptions"/> (vigilance 0.85, beta 0.5, purity 0.6: the authors' code).</value>
    public HierarchyOptions Hierarchy { get; set; } = new();

    /// <summary>Gets or sets which tag a training region is clustered under.</summary>
    /// <value>Default <see cref="HierarchyTagSource.GroundTruth"/> (the authors' code).</value>
    public HierarchyTagSource TagSource { get; set; } = HierarchyTagSource.GroundTruth;

    /// <summary>Gets or sets the matching similarity phi_K.</summary>
    /// <value>Default <see cref="PrototypeSimilarityKind.FuzzyJaccard"/> (the authors' code; the paper does not name it).</value>
    public PrototypeSimilarityKind Similarity { get; set; } = PrototypeSimilarityKind.FuzzyJaccard;

    /// <summary>Gets or sets how many of each region's most probable tags are compared with prototypes of that tag.</summary>
    /// <value>Default 5 (the authors' <c>top_pos</c>).</value>
    [Range(1, 1024)]
    public int CandidateTags { get; set; } = 5;

    /// <summary>Gets or sets alpha_f of eq. 7, the weight of the matched prototypes' tag distribution.</summary>
    /// <value>Default 0.1 (the authors' code; the paper selects it from 0.1 to 0.5).</value>
    [Range(0.1, 0.5)]
    public double AlphaF { get; set; } = 0.1;

    /// <summary>Gets or sets the temperature τ of the prototypes' tag distribution in eq. 7, <c>softmax(t_r / τ)</c>
    /// (see <see cref="TagRefinementOptions.PrototypeTemperature"/>).</summary>
    /// <value>Default 1 (eq. 7 as written, which barely moves the ranking); 0.05 lets the prototypes re-rank tags.</value>
    [Range(1e-4, 1e4)]
    public double PrototypeTemperature { get; set; } = 1.0;

    /// <summary>Gets or sets how many refined tags are kept per region for explanations; the graph's own tag count is
    /// <see cref="VseGraphOptions.TopTags"/>.</summary>
    /// <value>Default 9 (the authors' <c>topk</c>).</value>
    [Range(1, 1024)]
    public int TopTags { get; set; } = 9;

    /// <summary>Gets or sets the class vote options (P_k).</summary>
    /// <value>Default: a new <see cref="ClassVoteOptions"/> (each step's best prototype votes).</value>
    public ClassVoteOptions Vote { get; set; } = new();

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Hierarchy, nameof(Hierarchy));
        Hierarchy.Validate();
        if (Hierarchy.Art.Vigilance < 0.8 || Hierarchy.Art.Vigilance > 0.9)
        {
            // The paper: "set the clustering parameter from 0.8 to 0.9". Other values are allowed by the
            // Clustering package; VSCNet keeps to the paper's range.
            throw new ArgumentException($"Har.Hierarchy.Art.Vigilance must lie in [0.8, 0.9] (the paper's range) but is {Hierarchy.Art.Vigilance}.", nameof(Hierarchy));
        }

        if (!Enum.IsDefined(TagSource))
        {
            throw new ArgumentException($"Har.TagSource {(int)TagSource} is not defined.", nameof(TagSource));
        }

        if (!Enum.IsDefined(Similarity))
        {
            throw new ArgumentException($"Har.Similarity {(int)Similarity} is not defined.", nameof(Similarity));
        }

        if (CandidateTags < 1 || CandidateTags > 1024)
        {
            throw new ArgumentException($"Har.CandidateTags must lie in [1, 1024] but is {CandidateTags}.", nameof(CandidateTags));
        }

        if (!(PrototypeTemperature >= 1e-4 && PrototypeTemperature <= 1e4))
        {
            throw new ArgumentException($"Har.PrototypeTemperature must lie in [1e-4, 1e4] but is {PrototypeTemperature}.", nameof(PrototypeTemperature));
        }

        if (!(AlphaF >= 0.1 && AlphaF <= 0.5))
        {
            throw new ArgumentException($"Har.AlphaF must lie in [0.1, 0.5] (the paper's range) but is {AlphaF}.", nameof(AlphaF));
        }

        if (TopTags < 1 || TopTags > 1024)
        {
            throw new ArgumentException($"Har.TopTags must lie in [1, 1024] but is {TopTags}.", nameof(TopTags));
        }

        ArgumentNullException.ThrowIfNull(Vote, nameof(Vote));
        Vote.Validate();
    }
}

/// <summary>Options of the heterogeneous graph (eq. 8-9) and of the graph encoder used without +C.</summary>
public sealed class VscGraphOptions
{
    /// <summary>Gets or sets the common node width W: region features, tag embeddings and prototype features are
    /// projected to it by one linear layer each (the paper concatenates the three node kinds without a width).</summary>
    /// <value>Default 256 (our choice).</value>
    [Range(1, 65536)]
    public int NodeFeatures { get; set; } = 256;

    /// <summary>Gets or sets the graph construction options.</summary>
    /// <value>Default: a new <see cref="VseGraphOptions"/> (9 tag nodes, top-5 tags per region, 0.2 tag-tag weight).</value>
    public VseGraphOptions Construction { get; set; } = new();

    /// <summary>Gets or sets the width of the GCN output (the graph feature; without +C the single encoder's).</summary>
    /// <value>Default 128 (CAL's <c>--hidden</c>).</value>
    [Range(1, 65536)]
    public int HiddenFeatures { get; set; } = 128;

    /// <summary>Gets or sets the number of GCN layers per encoder.</summary>
    /// <value>Default 1 (CAL's per-branch encoder; the paper says "GCN layers").</value>
    [Range(1, 16)]
    public int Layers { get; set; } = 1;

    /// <summary>Gets or sets the normalisation inside the GCN encoders.</summary>
    /// <value>Default <see cref="GcnNorm.BatchNorm"/> (CAL).</value>
    public GcnNorm Norm { get; set; } = GcnNorm.BatchNorm;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (NodeFeatures < 1 || NodeFeatures > 65536)
        {
            throw new ArgumentException($"Graph.NodeFeatures must lie in [1, 65536] but is {NodeFeatures}.", nameof(NodeFeatures));
        }

        ArgumentNullException.ThrowIfNull(Construction, nameof(Construction));
        Construction.Validate();
        if (HiddenFeatures < 1 || HiddenFeatures > 65536)
        {
            throw new ArgumentException($"Graph.HiddenFeatures must lie in [1, 65536] but is {HiddenFeatures}.", nameof(HiddenFeatures));
        }

        if (Layers < 1 || Layers > 16)
        {
            throw new ArgumentException($"Graph.Layers must lie in [1, 16] but is {Layers}.", nameof(Layers));
        }

        if (!Enum.IsDefined(Norm))
        {
            throw new ArgumentException($"Graph.Norm {(int)Norm} is not defined.", nameof(Norm));
        }
    }
}

/// <summary>Options of the causal inference with graphical masking (CIM, eq. 10-13).</summary>
/// <remarks>The paper gives the loss but no sizes; the authors' code has no CIM, so these follow CAL where the paper is
/// silent (each property says so).</remarks>
public sealed class VscCimOptions
{
    /// <summary>Gets or sets the supervised loss of f_c and f_m in eq. 13.</summary>
    /// <value>Default <see cref="CausalLossKind.L2"/> (eq. 13); CAL uses cross-entropy.</value>
    public CausalLossKind LossKind { get; set; } = CausalLossKind.L2;

    /// <summary>Gets or sets the weight of KL(f_n(F_n) || U) in L_gf.</summary>
    /// <value>Default 1 (eq. 13); CAL 0.5.</value>
    [Range(0.0, 1e6)]
    public double KlWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the weight of the causal term of L_gf.</summary>
    /// <value>Default 1 (eq. 13 and CAL).</value>
    [Range(0.0, 1e6)]
    public double CausalWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the weight of the intervened term of L_gf.</summary>
    /// <value>Default 1 (eq. 13); CAL 0.5.</value>
    [Range(0.0, 1e6)]
    public double InterventionWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the number of GCN layers whose node states the masks read (0 = the node features X).</summary>
    /// <value>Default 1 (CAL). A GCN over a dense graph gives every node nearly the same state, hence the same mask; 0
    /// lets the masks tell nodes apart (<see cref="Selective"/>).</value>
    [Range(0, 64)]
    public int MaskEncoderLayers { get; set; } = 1;

    /// <summary>Gets or sets where the node mask acts relative to the encoders' normalisation.</summary>
    /// <value>Default <see cref="CimMaskPlacement.BeforeNorm"/> (eq. 10-11 literally);
    /// <see cref="CimMaskPlacement.AfterNorm"/> lets the mask survive BatchNorm.</value>
    public CimMaskPlacement MaskPlacement { get; set; } = CimMaskPlacement.BeforeNorm;

    /// <summary>Gets or sets the objective of the non-causal branch (with GCE, <see cref="KlWeight"/> weights the GCE term).</summary>
    /// <value>Default <see cref="CimTrivialObjective.KlToUniform"/> (eq. 13); DisC's GCE is the alternative.</value>
    public CimTrivialObjective TrivialObjective { get; set; } = CimTrivialObjective.KlToUniform;

    /// <summary>Gets or sets the node-mask budget r (share of a graph's nodes G_c may keep before the budget term costs).</summary>
    /// <value>Default 0.3 (used only when <see cref="MaskBudgetWeight"/> &gt; 0).</value>
    [Range(1e-3, 0.999)]
    public double MaskBudget { get; set; } = 0.3;

    /// <summary>Gets or sets the weight of the node-mask budget term (see <see cref="CimOptions.MaskBudgetWeight"/>).</summary>
    /// <value>Default 0 (neither the paper nor CAL has it).</value>
    [Range(0.0, 1e6)]
    public double MaskBudgetWeight { get; set; }

    /// <summary>Gets or sets a value indicating whether the intervention also pairs each causal feature with another
    /// sample's non-causal feature at evaluation (a random permutation); otherwise F_m = F_c at evaluation.</summary>
    /// <value>Default <see langword="false"/> (CAL intervenes only in training).</value>
    public bool InterveneAtEvaluation { get; set; }

    /// <summary>
    /// Creates CIM options whose masks select (ours; see <see cref="CimOptions.Selective"/>): masks read X, act after the
    /// normalisation, node-mask budget r = 0.3 with weight 1, cross-entropy supervised terms, eq. 13's KL on f_n.
    /// </summary>
    /// <returns>New options.</returns>
    public static VscCimOptions Selective() => new()
    {
        LossKind = CausalLossKind.CrossEntropy,
        MaskEncoderLayers = 0,
        MaskPlacement = CimMaskPlacement.AfterNorm,
        MaskBudget = 0.3,
        MaskBudgetWeight = 1.0,
    };

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(LossKind) || !Enum.IsDefined(MaskPlacement) || !Enum.IsDefined(TrivialObjective))
        {
            throw new ArgumentException($"Cim.LossKind, MaskPlacement or TrivialObjective is not defined.", nameof(LossKind));
        }

        if (MaskEncoderLayers < 0 || MaskEncoderLayers > 64 || !(MaskBudget >= 1e-3 && MaskBudget <= 0.999) || !(MaskBudgetWeight >= 0 && MaskBudgetWeight <= 1e6))
        {
            throw new ArgumentException($"Cim.MaskEncoderLayers must lie in [0, 64], MaskBudget in [0.001, 0.999] and MaskBudgetWeight in [0, 1e6]; got {MaskEncoderLayers}, {MaskBudget}, {MaskBudgetWeight}.", nameof(MaskBudget));
        }

        foreach (var (v, n) in new[] { (KlWeight, nameof(KlWeight)), (CausalWeight, nameof(CausalWeight)), (InterventionWeight, nameof(InterventionWeight)) })
        {
            if (!(v >= 0 && v <= 1e6))
            {
                throw new ArgumentException($"Cim.{n} must lie in [0, 1e6] but is {v}.", n);
            }
        }
    }
}

/// <summary>What VSCNet predicts from in stage 2.</summary>
public enum VscPredictionHead
{
    /// <summary>Eq. 14: <c>P_e = phi(W_c F_c + W_v F_v)</c>, blended with the class vote P_k under +F. F_v (the global
    /// feature) and P_k can carry the context shortcut.</summary>
    Fusion,

    /// <summary>
    /// Ours (CAL evaluates its causal branch this way): the causal classifier alone, <c>f_c(F_c)</c>, with F_c the
    /// encoding of the masked graph G_c; no F_v, no P_k. Requires +C. The stage-2 class loss then trains f_c (besides
    /// eq. 13's causal term); the fusion module is kept but unused.
    /// </summary>
    CausalClassifier,

    /// <summary>
    /// Ours, Table 3's "+L using solely the predicted tags" taken literally (a concept bottleneck, Koh et al., ICML 2020):
    /// <c>logits = W_t log(mean_j t_f[j])</c>, a linear classifier (state key <c>tag_classifier</c>) on the log of the regions'
    /// mean tag distribution (refined by eq. 7 with +K); no F_v, no graph, no P_k. Requires +L. The CSNet is frozen in stage 2, so
    /// stage 2 trains this classifier on fixed tag evidence.
    /// </summary>
    Tags,
}

/// <summary>Options of the multi-view fusion (eq. 14).</summary>
public sealed class VscFusionOptions
{
    /// <summary>Gets or sets the width of F_e = Lin(F_c) + Lin(F_v).</summary>
    /// <value>Default 512 (ResNet-18's feature width; the paper gives none).</value>
    [Range(1, 65536)]
    public int FusedFeatures { get; set; } = 512;

    /// <summary>Gets or sets w_e, the weight of softmax(P_e) in P_f.</summary>
    /// <value>Default 1 (eq. 14's plain sum).</value>
    [Range(0.0, 1e6)]
    public double EvidenceWeight { get; set; } = 1.0;

    /// <summary>Gets or sets w_k, the weight of softmax(P_k) in P_f.</summary>
    /// <value>Default 1 (eq. 14); the authors' code blends the hierarchy's decision with 0.3.</value>
    [Range(0.0, 1e6)]
    public double KnowledgeWeight { get; set; } = 1.0;

    /// <summary>Gets or sets a value indicating whether P_k (already a distribution from the class vote) goes through
    /// another softmax as eq. 14 writes; otherwise it is used as is.</summary>
    /// <value>Default <see langword="false"/>: P_k is a normalised vote, and a second softmax would flatten it to
    /// near-uniform (our reading; set <see langword="true"/> for eq. 14 literally).</value>
    public bool SoftmaxKnowledge { get; set; }

    /// <summary>Gets or sets what the stage-2 prediction is made from.</summary>
    /// <value>Default <see cref="VscPredictionHead.Fusion"/> (eq. 14, the paper). Choose between it and
    /// <see cref="VscPredictionHead.CausalClassifier"/> by validation accuracy on an OOD-like validation split.</value>
    public VscPredictionHead Prediction { get; set; } = VscPredictionHead.Fusion;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (FusedFeatures < 1 || FusedFeatures > 65536)
        {
            throw new ArgumentException($"Fusion.FusedFeatures must lie in [1, 65536] but is {FusedFeatures}.", nameof(FusedFeatures));
        }

        if (!(EvidenceWeight >= 0 && EvidenceWeight <= 1e6) || !(KnowledgeWeight >= 0 && KnowledgeWeight <= 1e6))
        {
            throw new ArgumentException($"Fusion weights must lie in [0, 1e6] but are {EvidenceWeight} and {KnowledgeWeight}.", nameof(EvidenceWeight));
        }

        if (!Enum.IsDefined(Prediction))
        {
            throw new ArgumentException($"Fusion.Prediction {(int)Prediction} is not defined.", nameof(Prediction));
        }

        if (EvidenceWeight + KnowledgeWeight <= 0)
        {
            throw new ArgumentException("Fusion.EvidenceWeight + KnowledgeWeight must be positive.", nameof(EvidenceWeight));
        }
    }
}

/// <summary>Options of the two-stage training (eq. 15-16) and its schedule.</summary>
public sealed class VscTrainingOptions
{
    /// <summary>Gets or sets the batch size.</summary>
    /// <value>Default 64 (the paper).</value>
    [Range(1, 65536)]
    public int BatchSize { get; set; } = 64;

    /// <summary>Gets or sets Adam's learning rate.</summary>
    /// <value>Default 5e-4 (the authors' code; the paper chooses it from 5e-5 to 5e-3).</value>
    [Range(1e-8, 1.0)]
    public double LearningRate { get; set; } = 5e-4;

    /// <summary>Gets or sets Adam's weight decay.</summary>
    /// <value>Default 1e-3 (the authors' code).</value>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; set; } = 1e-3;

    /// <summary>Gets or sets the factor the learning rate is multiplied by every <see cref="LearningRateDecayEvery"/> epochs.</summary>
    /// <value>Default 0.1 (the paper chooses 0.1 or 0.5).</value>
    [Range(1e-6, 1.0)]
    public double LearningRateDecay { get; set; } = 0.1;

    /// <summary>Gets or sets the decay interval in epochs.</summary>
    /// <value>Default 4 (the paper).</value>
    [Range(1, 100000)]
    public int LearningRateDecayEvery { get; set; } = 4;

    /// <summary>Gets or sets alpha_l of eq. 15 (replaces <see cref="FvaLossOptions.LocatingLossWeight"/>).</summary>
    /// <value>Default 1 (the paper gives no value; the authors' code adds the locating terms unweighted).</value>
    [Range(0.0, 1e6)]
    public double AlphaL { get; set; } = 1.0;

    /// <summary>Gets or sets alpha_gf of eq. 16.</summary>
    /// <value>Default 1 (the paper gives no value).</value>
    [Range(0.0, 1e6)]
    public double AlphaGf { get; set; } = 1.0;

    /// <summary>Gets or sets the epochs of stage 1 (backbone + CSNet + classifier, L_AL; the Base row trains the
    /// backbone classifier here).</summary>
    /// <value>Default 13 (the authors' code).</value>
    [Range(0, 100000)]
    public int Stage1Epochs { get; set; } = 13;

    /// <summary>Gets or sets the epochs of stage 2 (CSNet frozen, L_ff).</summary>
    /// <value>Default 13 (the authors' code).</value>
    [Range(0, 100000)]
    public int Stage2Epochs { get; set; } = 13;

    /// <summary>Gets or sets a value indicating whether the backbone is frozen with the CSNet in stage 2.</summary>
    /// <value>Default <see langword="true"/>: the hierarchy's prototypes were clustered from the stage-1 hidden states,
    /// which a moving backbone would change (the paper only says CSNet is frozen; our choice).</value>
    public bool FreezeBackboneInStage2 { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether each training epoch drops its last batch when it is smaller than
    /// <see cref="BatchSize"/> (when the training set holds more than one batch). A batch of one would leave the
    /// backbone's and the graph encoders' BatchNorm with one value per channel: non-finite running statistics.</summary>
    /// <value>Default <see langword="true"/> (as <c>TrainerOptions.DropLastIncompleteBatch</c>).</value>
    public bool DropLastIncompleteBatch { get; set; } = true;

    /// <summary>Gets or sets the k of P@k / R@k (multi-label) reported besides k = 1.</summary>
    /// <value>Default 5 (the paper reports top-1 and top-5).</value>
    [Range(1, 1000)]
    public int TopK { get; set; } = 5;

    /// <summary>Gets or sets the seed of weights, data order, and the intervention's permutations.</summary>
    /// <value>Default 0.</value>
    public int Seed { get; set; }

    /// <summary>Gets or sets the folder of the per-epoch checkpoints and the hierarchy; <see langword="null"/> = none.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Gets or sets the device ("cpu", "cuda", "auto").</summary>
    /// <value>Default "cpu".</value>
    public string Device { get; set; } = "cpu";

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        void R(double v, double lo, double hi, string n)
        {
            if (!(v >= lo && v <= hi))
            {
                problems.Add($"Training.{n} must lie in [{lo}, {hi}] but is {v}.");
            }
        }

        R(BatchSize, 1, 65536, nameof(BatchSize));
        R(LearningRate, 1e-8, 1.0, nameof(LearningRate));
        R(WeightDecay, 0, 1, nameof(WeightDecay));
        R(LearningRateDecay, 1e-6, 1, nameof(LearningRateDecay));
        R(LearningRateDecayEvery, 1, 100000, nameof(LearningRateDecayEvery));
        R(AlphaL, 0, 1e6, nameof(AlphaL));
        R(AlphaGf, 0, 1e6, nameof(AlphaGf));
        R(Stage1Epochs, 0, 100000, nameof(Stage1Epochs));
        R(Stage2Epochs, 0, 100000, nameof(Stage2Epochs));
        R(TopK, 1, 1000, nameof(TopK));
        if (string.IsNullOrWhiteSpace(Device))
        {
            problems.Add("Training.Device must not be empty.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }
    }
}
