// Decision making with multi-view fusion: VSCNet (Meng et al., "Causal Inference over
// Visual-Semantic-Aligned Graph for Image Classification", AAAI 2025), eq. 14 and the text before
// it: F_e = F_c ⊕ F_v ("linear projection in both features and follows an add operation"),
// P_e = φ(F_e) with φ a linear classifier, P_f = Softmax(P_e) ⊗ Softmax(P_k), ⊗ = summation.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Vscnet.Fusion;

/// <summary>VSCNet's multi-view fusion of the causal graph feature F_c with the global visual feature F_v (eq. 14).</summary>
/// <remarks>
/// <c>F_e = s_c·(W_c F_c + b_c) + s_v·(W_v F_v + b_v)</c> (two Linear layers to width W; s_c = s_v = 1 in the paper),
/// <c>P_e = φ(F_e)</c> (Linear W→C), <c>P_f = w_e·softmax(P_e) + w_k·K(P_k)</c> with K the identity
/// for probability votes and softmax for logits, applied to the one-hot of P_k's argmax when
/// <see cref="FusionOptions.KnowledgeTopOne"/> (see <see cref="FusionOptions"/>); without P_k,
/// <c>P_f = w_e·softmax(P_e)</c>.
/// State-dict keys: <c>causal_proj.*</c>, <c>visual_proj.*</c>, <c>classifier.*</c>.
/// Shapes: F_c [B, H]; F_v [B, D_v]; P_k [B, C] or null → <see cref="FusionOutput"/> (F_e [B, W], P_e and P_f [B, C]).
/// </remarks>
public sealed class MultiViewFusion : nn.Module<Tensor, Tensor, Tensor?, FusionOutput>
{
    private readonly Linear causal_proj;
    private readonly Linear visual_proj;
    private readonly Linear classifier;

    /// <summary>Initializes a new instance of the <see cref="MultiViewFusion"/> class.</summary>
    /// <param name="options">The options (validated here).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="dtype">Parameter dtype (default float32).</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public MultiViewFusion(FusionOptions options, Device? device = null, ScalarType? dtype = null)
        : base(nameof(MultiViewFusion))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CausalFeatures = options.CausalFeatures;
        VisualFeatures = options.VisualFeatures;
        Classes = options.Classes;
        CausalScale = options.CausalScale;
        VisualScale = options.VisualScale;
        FusedFeatures = options.FusedFeatures > 0 ? options.FusedFeatures : options.VisualFeatures;
        EvidenceWeight = options.EvidenceWeight;
        KnowledgeWeight = options.KnowledgeWeight;
        Knowledge = options.Knowledge;
        KnowledgeTopOne = options.KnowledgeTopOne;
        causal_proj = nn.Linear(options.CausalFeatures, FusedFeatures, device: device, dtype: dtype);
        visual_proj = nn.Linear(options.VisualFeatures, FusedFeatures, device: device, dtype: dtype);
        classifier = nn.Linear(FusedFeatures, options.Classes, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Gets the width H of F_c.</summary>
    public long CausalFeatures { get; }

    /// <summary>Gets the width D_v of F_v.</summary>
    public long VisualFeatures { get; }

    /// <summary>Gets the width W of F_e.</summary>
    public long FusedFeatures { get; }

    /// <summary>Gets the number of classes C.</summary>
    public int Classes { get; }

    /// <summary>Gets the factor s_c on the projected causal feature.</summary>
    public double CausalScale { get; }

    /// <summary>Gets the factor s_v on the projected visual feature.</summary>
    public double VisualScale { get; }

    /// <summary>Gets w_e.</summary>
    public double EvidenceWeight { get; }

    /// <summary>Gets w_k.</summary>
    public double KnowledgeWeight { get; }

    /// <summary>Gets how P_k is read.</summary>
    public KnowledgeInput Knowledge { get; }

    /// <summary>Gets a value indicating whether only the top-1 decision of P_k is used.</summary>
    public bool KnowledgeTopOne { get; }

    /// <summary>Fuses the two views and the hierarchy's vote.</summary>
    /// <param name="causal">F_c [B, H].</param>
    /// <param name="visual">F_v [B, D_v].</param>
    /// <param name="knowledge">P_k [B, C] or null.</param>
    /// <returns>F_e, P_e and P_f (owned by the caller).</returns>
    /// <exception cref="ArgumentException">Wrong shapes, batch-size mismatch, NaN/Inf, or a probability vote with negative entries.</exception>
    public override FusionOutput forward(Tensor causal, Tensor visual, Tensor? knowledge)
    {
        CheckMatrix(causal, nameof(causal), CausalFeatures, "H");
        CheckMatrix(visual, nameof(visual), VisualFeatures, "D_v");
        var b = causal.shape[0];
        if (visual.shape[0] != b)
        {
            throw new ArgumentException($"visual has batch size {visual.shape[0]} but causal has {b}; F_c and F_v must describe the same images.", nameof(visual));
        }

        if (!Guard.SameDevice(causal, visual) || (knowledge is not null && !Guard.SameDevice(causal, knowledge)))
        {
            throw new ArgumentException($"causal ({causal.device}), visual ({visual.device}) and knowledge ({knowledge?.device.ToString() ?? "none"}) must be on one device.", nameof(visual));
        }

        using var scope = NewDisposeScope();
        var fe = ScalarSafe.Add(causal_proj.call(causal) * CausalScale, visual_proj.call(visual) * VisualScale);
        var pe = classifier.call(fe);
        var pf = Fuse(pe, knowledge);
        return new FusionOutput(fe.MoveToOuterDisposeScope(), pe.MoveToOuterDisposeScope(), pf.MoveToOuterDisposeScope());
    }

    /// <summary>Eq. 14 alone: <c>P_f = w_e·softmax(P_e) + w_k·K(P_k)</c>.</summary>
    /// <param name="logits">P_e [B, C].</param>
    /// <param name="knowledge">P_k [B, C] or null (then <c>P_f = w_e·softmax(P_e)</c>).</param>
    /// <returns>P_f [B, C].</returns>
    /// <exception cref="ArgumentException">Wrong shapes, batch-size mismatch, NaN/Inf, or a probability vote with negative entries.</exception>
    public Tensor Fuse(Tensor logits, Tensor? knowledge)
    {
        CheckMatrix(logits, nameof(logits), Classes, "C");
        if (knowledge is not null)
        {
            CheckMatrix(knowledge, nameof(knowledge), Classes, "C");
            if (knowledge.shape[0] != logits.shape[0])
            {
                throw new ArgumentException($"knowledge (P_k) has batch size {knowledge.shape[0]} but the logits have {logits.shape[0]}.", nameof(knowledge));
            }

            if (Knowledge == KnowledgeInput.Probabilities)
            {
                using var negative = knowledge.lt(0).any();
                if (negative.item<bool>())
                {
                    throw new ArgumentException("knowledge (P_k) is read as probabilities but has negative entries; pass logits with FusionOptions.Knowledge = Logits.", nameof(knowledge));
                }
            }
        }

        using var scope = NewDisposeScope();
        var pf = logits.softmax(1) * EvidenceWeight;
        if (knowledge is not null)
        {
            var k = knowledge.to(logits.dtype);
            if (KnowledgeTopOne)
            {
                k = nn.functional.one_hot(k.argmax(1), Classes).to(logits.dtype);
            }

            if (Knowledge == KnowledgeInput.Logits)
            {
                k = k.softmax(1);
            }

            pf = ScalarSafe.Add(pf, k * KnowledgeWeight);
        }

        return pf.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            causal_proj.Dispose();
            visual_proj.Dispose();
            classifier.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void CheckMatrix(Tensor? t, string name, long width, string what)
    {
        Guard.Rank(t, 2, name, $"[B, {what}]");
        Guard.Floating(t!, name);
        if (t!.shape[0] == 0)
        {
            throw new ArgumentException($"{name} is empty (batch size 0).", name);
        }

        Guard.Dim(t, 1, width, name, what);
        Guard.Finite(t, name);
    }
}
