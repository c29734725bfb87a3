// Options of the whole VSCNet (Meng et al., "Causal Inference over Visual-Semantic-Aligned Graph for Image
// Classification", AAAI 2025): FVA (eq. 1-4), HAR (eq. 5-9), CIM (eq. 10-13), fusion (eq. 14) and the two-stage
// schedule (eq. 15-16). Each component's own options are nested as they are; VSCNet adds only what no component has
// (the ablation, the prediction head, the node width, the prototype matching) and fills in the fields it derives from
// the data and the backbone. Defaults: the component's, except where VSCNet's differ (each property says which).
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using CausalVision.Validation;
using Microsoft.Extensions.Options;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Graph.Cim;
using CausalVision.Graph.Conv;
using CausalVision.Graph.Hetero;
using CausalVision.Vscnet.Fusion;
using CausalVision.Vscnet.Fva;
using CausalVision.Vscnet.Har;

namespace CausalVision.Vscnet;

/// <summary>Options of VSCNet: the component options of each module, nested as they are, and what VSCNet adds.</summary>
/// <remarks>
/// <para>Call <see cref="Validate"/> (the builder and the trainer do) to get every problem listed at once. Each setting is
/// checked once, by its component's own validation; VSCNet adds the checks of its own settings and of the ablation.</para>
/// <para>Derived fields: VSCNet sets some component fields itself, from the ablation, the data and the backbone. Leave
/// the numeric ones at 0 (their default); another value is accepted only when it equals the derived one, otherwise the
/// builder reports it: <see cref="GcnEncoderOptions.InFeatures"/> and <see cref="CimOptions.InFeatures"/>
/// (= <see cref="NodeFeatures"/>), <see cref="CimOptions.Classes"/> and <see cref="FusionOptions.Classes"/> (the class
/// count), <see cref="FusionOptions.VisualFeatures"/> (the backbone's feature width) and
/// <see cref="FusionOptions.CausalFeatures"/> (the graph feature width: <see cref="NodeFeatures"/> without +G,
/// <see cref="CimOptions.HiddenFeatures"/> with +C, else <see cref="GcnEncoderOptions.HiddenFeatures"/>).
/// <see cref="VseGraphOptions.IncludePrototypes"/> follows the ablation (G_h of eq. 9 with +K, G_a of eq. 8 without):
/// its value here is overwritten, and <see langword="false"/> with +K+G is reported.</para>
/// </remarks>
/// <example>
/// <code>
/// var options = new VscNetOptions { Ablation = VscNetAblation.Full, NodeFeatures = 128 };
/// options.Refinement.AlphaF = 0.2;            // eq. 7 (TagRefinementOptions)
/// options.Hierarchy.Art.Vigilance = 0.9;      // eq. 5 (HierarchyOptions)
/// options.Graph.TagTagWeight = 0.3;           // eq. 8-9 (VseGraphOptions)
/// options.Cim = CimOptions.Selective(0, 0);   // eq. 10-13 (CimOptions; InFeatures and Classes are derived)
/// options.Fusion.KnowledgeWeight = 0.3;       // eq. 14 (FusionOptions)
/// </code>
/// </example>
public sealed class VscNetOptions : IValidatableObject
{
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Gets or sets the backbone options (name and the backbone's own options).</summary>
    /// <value>Default: a new <see cref="VscBackboneOptions"/> (ResNet-18).</value>
    [Required]
    [ValidateObjectMembers(typeof(VscBackboneOptionsValidator))]
    public VscBackboneOptions Backbone { get; set; } = new();

    /// <summary>Gets or sets the components switched on (Table 3 rows).</summary>
    /// <value>Default <see cref="VscNetAblation.Full"/>.</value>
    public VscNetAblation Ablation { get; set; } = VscNetAblation.Full;

    /// <summary>Gets or sets what the stage-2 prediction is made from.</summary>
    /// <value>Default <see cref="VscPredictionHead.Fusion"/> (eq. 14, the paper). Choose between it and
    /// <see cref="VscPredictionHead.CausalClassifier"/> by validation accuracy on an OOD-like validation split.</value>
    [EnumDataType(typeof(VscPredictionHead))]
    public VscPredictionHead Prediction { get; set; } = VscPredictionHead.Fusion;

    /// <summary>Gets or sets the FVA (Cascaded Spatial Net) options; <see cref="FvaOptions.Steps"/> is J and
    /// <see cref="FvaLossOptions.LocatingLossWeight"/> of <see cref="FvaOptions.Loss"/> is alpha_l of eq. 15.</summary>
    /// <value>Default: a new <see cref="FvaOptions"/> (J = 10 from the paper's grid {5, 10, 15}).</value>
    [Required]
    [ValidateObjectMembers(typeof(FvaOptionsValidator))]
    public FvaOptions Fva { get; set; } = new();

    /// <summary>Gets or sets the exemplar hierarchy (constrained AM-ART, eq. 5) options; <c>Art.Vigilance</c> is the
    /// paper's "clustering parameter", which the paper tunes from 0.8 to 0.9 (any vigilance ART accepts is accepted).</summary>
    /// <value>Default: a new <see cref="HierarchyOptions"/> (vigilance 0.85, beta 0.5, purity 0.6: the authors' code).</value>
    [Required]
    [ValidateObjectMembers(typeof(HierarchyOptionsValidator))]
    public HierarchyOptions Hierarchy { get; set; } = new();

    /// <summary>Gets or sets which tag a training region is clustered under when the hierarchy is built.</summary>
    /// <value>Default <see cref="Vscnet.HierarchyTagSource.GroundTruth"/> (the authors' code).</value>
    [EnumDataType(typeof(HierarchyTagSource))]
    public HierarchyTagSource HierarchyTagSource { get; set; } = HierarchyTagSource.GroundTruth;

    /// <summary>Gets or sets the matching similarity phi_K of eq. 6.</summary>
    /// <value>Default <see cref="PrototypeSimilarityKind.FuzzyJaccard"/> (the authors' code; the paper does not name it).</value>
    [EnumDataType(typeof(PrototypeSimilarityKind))]
    public PrototypeSimilarityKind PrototypeSimilarity { get; set; } = PrototypeSimilarityKind.FuzzyJaccard;

    /// <summary>Gets or sets how many of each region's most probable tags are compared with the prototypes of that tag
    /// when a region's prototype is matched (eq. 6). The class vote's own candidate count is
    /// <see cref="ClassVoteOptions.TopTagsPerStep"/>.</summary>
    /// <value>Default 5 (the authors' <c>top_pos</c>).</value>
    [Range(1, 1024)]
    public int CandidateTags { get; set; } = 5;

    /// <summary>Gets or sets the tag refinement (eq. 7) options: <see cref="TagRefinementOptions.AlphaF"/> (alpha_f),
    /// <see cref="TagRefinementOptions.PrototypeTemperature"/> (τ) and <see cref="TagRefinementOptions.TopK"/> (the
    /// refined tags kept per region, at most the vocabulary). VSCNet refines each region's tags:
    /// <see cref="TagRefinementOptions.StepAggregation"/> must stay <see cref="TagStepAggregation.PerStep"/>.</summary>
    /// <value>Default: a new <see cref="TagRefinementOptions"/> (alpha_f = 0.1, τ = 1, top 9).</value>
    [Required]
    [ValidateObjectMembers(typeof(TagRefinementOptionsValidator))]
    public TagRefinementOptions Refinement { get; set; } = new();

    /// <summary>Gets or sets the class vote options (P_k).</summary>
    /// <value>Default: a new <see cref="ClassVoteOptions"/> (each step's best prototype votes).</value>
    [Required]
    [ValidateObjectMembers(typeof(ClassVoteOptionsValidator))]
    public ClassVoteOptions Vote { get; set; } = new();

    /// <summary>Gets or sets the common node width W: region features, tag embeddings and prototype features are
    /// projected to it by one linear layer each (the paper concatenates the three node kinds without a width). It is
    /// the graph encoders' input width (<see cref="GcnEncoderOptions.InFeatures"/>, <see cref="CimOptions.InFeatures"/>).</summary>
    /// <value>Default 256 (our choice).</value>
    [Range(1, 65536)]
    public int NodeFeatures { get; set; } = 256;

    /// <summary>Gets or sets the heterogeneous graph construction options (G_a / G_h, eq. 8-9);
    /// <see cref="VseGraphOptions.IncludePrototypes"/> follows the ablation.</summary>
    /// <value>Default: a new <see cref="VseGraphOptions"/> (9 tag nodes, top-5 tags per region, 0.2 tag-tag weight).</value>
    [Required]
    [ValidateObjectMembers(typeof(VseGraphOptionsValidator))]
    public VseGraphOptions Graph { get; set; } = new();

    /// <summary>Gets or sets the GCN encoder of the graph without +C (with +C the encoders are CIM's, <see cref="Cim"/>);
    /// <see cref="GcnEncoderOptions.InFeatures"/> is derived (<see cref="NodeFeatures"/>).</summary>
    /// <value>Default: a new <see cref="GcnEncoderOptions"/> (width 128, one layer, BatchNorm, sum readout: CAL).</value>
#pragma warning disable SYSLIB1212 // not [ValidateObjectMembers]: its derived fields may be 0 here; IValidatableObject checks it with placeholders
    [Required]
    public GcnEncoderOptions GraphEncoder { get; set; } = new();
#pragma warning restore SYSLIB1212

    /// <summary>Gets or sets the CIM options (eq. 10-13: masks, encoders, heads, intervention, L_gf);
    /// <see cref="CimOptions.InFeatures"/> and <see cref="CimOptions.Classes"/> are derived. The intervention at evaluation
    /// is <see cref="CimOptions.EvaluationConfounders"/> (default none: CAL intervenes only in training).</summary>
    /// <value>Default: a new <see cref="CimOptions"/> (eq. 13's L2 terms and unit weights, CAL's sizes) with
    /// <see cref="CimOptions.MaskBudget"/> = 0.3 (VSCNet's default, the budget of <see cref="CimOptions.Selective()"/>; the
    /// component's is 0.5; used only when <see cref="CimOptions.MaskBudgetWeight"/> &gt; 0).</value>
#pragma warning disable SYSLIB1212 // not [ValidateObjectMembers]: its derived fields may be 0 here; IValidatableObject checks it with placeholders
    [Required]
    public CimOptions Cim { get; set; } = new() { MaskBudget = 0.3 };
#pragma warning restore SYSLIB1212

    /// <summary>Gets or sets the multi-view fusion options (eq. 14); <see cref="FusionOptions.CausalFeatures"/>,
    /// <see cref="FusionOptions.VisualFeatures"/> and <see cref="FusionOptions.Classes"/> are derived. With multi-label
    /// classes P_f is <c>(w_e sigmoid(P_e) + w_k P_k) / (w_e + w_k)</c>, without <see cref="FusionOptions.KnowledgeTopOne"/>.</summary>
    /// <value>Default: a new <see cref="FusionOptions"/> with <see cref="FusionOptions.FusedFeatures"/> = 512 (VSCNet's
    /// default, ResNet-18's feature width; the component's 0 means the backbone's width).</value>
#pragma warning disable SYSLIB1212 // not [ValidateObjectMembers]: its derived fields may be 0 here; IValidatableObject checks it with placeholders
    [Required]
    public FusionOptions Fusion { get; set; } = new() { FusedFeatures = 512 };
#pragma warning restore SYSLIB1212

    /// <summary>Gets or sets the training schedule (eq. 15-16).</summary>
    /// <value>Default: a new <see cref="VscTrainingOptions"/>.</value>
    [Required]
    [ValidateObjectMembers(typeof(VscTrainingOptionsValidator))]
    public VscTrainingOptions Training { get; set; } = new();

    /// <summary>Gets the width of the graph feature F_c that the fusion reads: <see cref="NodeFeatures"/> without +G,
    /// CIM's hidden width with +C, else the graph encoder's.</summary>
    internal long GraphFeatures => !Ablation.HasFlag(VscNetAblation.Graph) ? NodeFeatures
        : Ablation.HasFlag(VscNetAblation.Causal) ? Cim.HiddenFeatures : GraphEncoder.HiddenFeatures;

    /// <summary>Returns a deep copy (through the JSON form the model file stores, so every option, nested component
    /// options included, travels).</summary>
    /// <returns>The copy.</returns>
    public VscNetOptions Clone() => Copy(this);

    /// <summary>Makes <paramref name="to"/> share every section of these options (what a builder's Configure
    /// needs to rebuild a model from saved or given options).</summary>
    /// <param name="to">The options to overwrite.</param>
    internal void ShareInto(VscNetOptions to)
    {
        to.Backbone = Backbone;
        to.Ablation = Ablation;
        to.Prediction = Prediction;
        to.Fva = Fva;
        to.Hierarchy = Hierarchy;
        to.HierarchyTagSource = HierarchyTagSource;
        to.PrototypeSimilarity = PrototypeSimilarity;
        to.CandidateTags = CandidateTags;
        to.Refinement = Refinement;
        to.Vote = Vote;
        to.NodeFeatures = NodeFeatures;
        to.Graph = Graph;
        to.GraphEncoder = GraphEncoder;
        to.Cim = Cim;
        to.Fusion = Fusion;
        to.Training = Training;
    }

    /// <summary>Checks every option and the ablation's dependencies.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists every problem.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new VscNetOptionsValidator(), this);

    /// <summary>Lists every problem without throwing.</summary>
    /// <returns>The problems (empty when the options are valid).</returns>
    public IReadOnlyList<string> Problems()
    {
        var result = new VscNetOptionsValidator().Validate(null, this);
        return result.Failed ? [.. result.Failures ?? [result.FailureMessage]] : [];
    }

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) => CrossFieldProblems()
        .Select(problem => new ValidationResult(problem));

    // The rules attributes cannot say: the components with fields VSCNet derives (validated with a valid placeholder
    // in each derived field left at 0; their consistency with the model is checked below and by the builder), and the
    // ablation's and the prediction head's requirements.
    private List<string> CrossFieldProblems()
    {
        var p = new List<string>();
        void Component<T>(string section, T? value, IValidateOptions<T> validator, Action<T> placeholders)
            where T : class
        {
            if (value is null)
            {
                return; // [Required] reports it
            }

            var copy = Copy(value);
            placeholders(copy);
            var r = validator.Validate($"VscNetOptions.{section}", copy);
            if (r.Failed)
            {
                p.AddRange((r.Failures ?? [r.FailureMessage]).Select(f => $"{section}: {f}"));
            }
        }

        Component(nameof(GraphEncoder), GraphEncoder, new GcnEncoderOptionsValidator(), e => e.InFeatures = e.InFeatures == 0 ? 1 : e.InFeatures);
        Component(nameof(Cim), Cim, new CimOptionsValidator(), c =>
        {
            c.InFeatures = c.InFeatures == 0 ? 1 : c.InFeatures;
            c.Classes = c.Classes == 0 ? 2 : c.Classes;
        });
        Component(nameof(Fusion), Fusion, new FusionOptionsValidator(), f =>
        {
            f.CausalFeatures = f.CausalFeatures == 0 ? 1 : f.CausalFeatures;
            f.VisualFeatures = f.VisualFeatures == 0 ? 1 : f.VisualFeatures;
            f.Classes = f.Classes == 0 ? 2 : f.Classes;
        });

        // VSCNet's own settings.
        // Fields VSCNet derives: 0 (unset) or the derived value.
        if (Refinement is not null && Refinement.StepAggregation != TagStepAggregation.PerStep)
        {
            p.Add($"Refinement.StepAggregation must be {TagStepAggregation.PerStep}: VSCNet refines each region's tags (the graph's region-tag edges need them), not one aggregate per image.");
        }

        Derived("GraphEncoder.InFeatures", GraphEncoder?.InFeatures, NodeFeatures, "NodeFeatures");
        Derived("Cim.InFeatures", Cim?.InFeatures, NodeFeatures, "NodeFeatures");
        if (Cim is not null && GraphEncoder is not null)
        {
            Derived("Fusion.CausalFeatures", Fusion?.CausalFeatures, GraphFeatures, "the graph feature width");
        }

        if (Graph is not null && !Graph.IncludePrototypes && Ablation.HasFlag(VscNetAblation.Knowledge) && Ablation.HasFlag(VscNetAblation.Graph))
        {
            p.Add("Graph.IncludePrototypes follows the ablation: with Knowledge the graph is G_h (eq. 9, prototype nodes); remove Knowledge for G_a (eq. 8).");
        }

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
        if (Prediction == VscPredictionHead.CausalClassifier && !Ablation.HasFlag(VscNetAblation.Causal))
        {
            p.Add($"Prediction {VscPredictionHead.CausalClassifier} requires {VscNetAblation.Causal} (f_c is CIM's classifier).");
        }

        if (Prediction == VscPredictionHead.Tags && !Ablation.HasFlag(VscNetAblation.Locating))
        {
            p.Add($"Prediction {VscPredictionHead.Tags} requires {VscNetAblation.Locating} (the tags are the FVA's).");
        }

        return p;

        void Derived(string field, long? value, long derived, string from)
        {
            if (value is long v && v != 0 && v != derived)
            {
                p.Add($"{field} is derived by VSCNet ({from}, {derived}): leave it 0, not {v}.");
            }
        }
    }

    /// <summary>Lists the problems of the derived fields that depend on the data and the backbone.</summary>
    /// <param name="classes">The class count S.</param>
    /// <param name="visualFeatures">The backbone's feature width, or null while unknown.</param>
    /// <param name="multiLabel">Whether the classes are multi-label.</param>
    /// <returns>The problems.</returns>
    internal IEnumerable<string> DataProblems(int classes, long? visualFeatures, bool multiLabel)
    {
        if (Cim is { Classes: not 0 } c && c.Classes != classes)
        {
            yield return $"Cim.Classes is derived by VSCNet (the class count, {classes}): leave it 0, not {c.Classes}.";
        }

        if (Fusion is { Classes: not 0 } f && f.Classes != classes)
        {
            yield return $"Fusion.Classes is derived by VSCNet (the class count, {classes}): leave it 0, not {f.Classes}.";
        }

        if (visualFeatures is long d && Fusion is { VisualFeatures: not 0 } v && v.VisualFeatures != d)
        {
            yield return $"Fusion.VisualFeatures is derived by VSCNet (the backbone's feature width, {d}): leave it 0, not {v.VisualFeatures}.";
        }

        if (multiLabel && Fusion is { KnowledgeTopOne: true })
        {
            yield return "Fusion.KnowledgeTopOne is for single-label classes: with multi-label classes VSCNet blends the whole vote P_k with the sigmoid probabilities.";
        }
    }

    /// <summary>The graph construction options of the model: <see cref="Graph"/> with the prototype nodes of the ablation.</summary>
    /// <returns>A copy.</returns>
    internal VseGraphOptions GraphBuilderOptions()
    {
        var g = Copy(Graph);
        g.IncludePrototypes = Ablation.HasFlag(VscNetAblation.Knowledge);
        return g;
    }

    /// <summary>The options of the graph encoder without +C: <see cref="GraphEncoder"/> reading <see cref="NodeFeatures"/>.</summary>
    /// <returns>A copy.</returns>
    internal GcnEncoderOptions GraphEncoderOptions()
    {
        var e = Copy(GraphEncoder);
        e.InFeatures = NodeFeatures;
        return e;
    }

    /// <summary>The options of the CIM module: <see cref="Cim"/> reading <see cref="NodeFeatures"/>, for the classes.</summary>
    /// <param name="classes">The class count S.</param>
    /// <returns>A copy.</returns>
    internal CimOptions CimModuleOptions(int classes)
    {
        var c = Copy(Cim);
        c.InFeatures = NodeFeatures;
        c.Classes = classes;
        return c;
    }

    /// <summary>The options of the fusion module: <see cref="Fusion"/> with the model's widths and classes.</summary>
    /// <param name="visualFeatures">The backbone's feature width.</param>
    /// <param name="classes">The class count S.</param>
    /// <returns>A copy.</returns>
    internal FusionOptions FusionModuleOptions(long visualFeatures, int classes)
    {
        var f = Copy(Fusion);
        f.CausalFeatures = GraphFeatures;
        f.VisualFeatures = visualFeatures;
        f.Classes = classes;
        return f;
    }

    /// <summary>A deep copy of any options object through its JSON form (enums by name, as the model file writes them).</summary>
    /// <typeparam name="T">The options type.</typeparam>
    /// <param name="value">The options.</param>
    /// <returns>The copy.</returns>
    internal static T Copy<T>(T value)
        where T : class => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Json), Json)!;
}

/// <summary>Source-generated validator of <see cref="VscNetOptions"/>: the attributes, every nested component's own
/// generated validator, and the cross-field rules; lists every problem.</summary>
[OptionsValidator]
public sealed partial class VscNetOptionsValidator : IValidateOptions<VscNetOptions>
{
}
