// Paper B's multi-label head: "Decouple" (label-query decoder + group-wise baseline classifier)
// and "Causal" (confounder intervention), fused as CausalLabelOptions.Fusion says.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// The causal label head: X = Decoder(tokens); baseline = GroupWise(X);
/// causal = sum_c P(c) fc2(CA(q, Z_c, Z_c)) (see <see cref="ConfounderIntervention"/>);
/// logits = fuse(baseline, causal) per <see cref="CausalFusion"/>.
/// </summary>
/// <remarks>
/// Two-stage use (the slides): train the backbone and decoder, cluster spatial features of a
/// pre-trained backbone into K centres with their prior (<see cref="ConfounderDictionary"/>), call
/// <see cref="SetDictionary(ConfounderDictionary)"/>, train with the intervention. The dictionary lives in the buffers
/// <c>intervention.centres</c> and <c>intervention.prior</c> of the state dict.
/// Shapes: tokens [B, N, Dv] -&gt; logits [B, L].
/// Keys: <c>decoder.*</c>, <c>baseline.W/b</c>, <c>intervention.*</c>, <c>fusion_weight</c> (LearnedWeight only).
/// </remarks>
public sealed class CausalLabelHead : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "decoder")]
    private readonly LabelQueryDecoder decoder;

    [ComponentName(Name = "baseline")]
    private readonly GroupWiseLinear baseline;

    [ComponentName(Name = "intervention")]
    private readonly ConfounderIntervention? intervention;

    [ComponentName(Name = "fusion_weight")]
    private readonly Parameter? fusionWeight;

    private readonly CausalLabelOptions options;

    /// <summary>Initializes a new instance of the <see cref="CausalLabelHead"/> class.</summary>
    /// <param name="options">Options; validated and copied.</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public CausalLabelHead(CausalLabelOptions options)
        : base(nameof(CausalLabelHead))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options.Clone();
        var o = this.options;
        decoder = new LabelQueryDecoder(o.NumLabels, o.InputDim, o.ModelDim, o.Heads, o.DecoderLayers, o.FeedForwardDim, o.Dropout, o.Norm);
        baseline = new GroupWiseLinear(o.NumLabels, o.ModelDim);
        if (o.UseIntervention)
        {
            intervention = new ConfounderIntervention(o.NumLabels, o.ModelDim, o.Heads, o.NumConfounders, o.EffectiveConfounderDim, o.InterventionForm, o.Dropout);
            if (o.Fusion == CausalFusion.LearnedWeight)
            {
                fusionWeight = new Parameter(torch.zeros(1));
            }
        }

        RegisterComponents();
    }

    /// <summary>Gets a copy of the options the head was built with.</summary>
    public CausalLabelOptions Options => options.Clone();

    /// <summary>Gets the label-query decoder.</summary>
    public LabelQueryDecoder Decoder => decoder;

    /// <summary>Gets the intervention module, or null when <see cref="CausalLabelOptions.UseIntervention"/> is false.</summary>
    public ConfounderIntervention? Intervention => intervention;

    /// <summary>Installs the confounder dictionary (stage 2).</summary>
    /// <param name="centres">Centres [K, Dc].</param>
    /// <param name="prior">P(c) [K], summing to 1.</param>
    /// <exception cref="InvalidOperationException">The head has no intervention branch.</exception>
    /// <exception cref="ArgumentException">A dictionary of the wrong size or dimension, or a prior that does not sum to 1.</exception>
    public void SetDictionary(Tensor centres, Tensor prior)
    {
        if (intervention is null)
        {
            throw new InvalidOperationException("This head was built with UseIntervention = false; it has no confounder dictionary.");
        }

        intervention.SetDictionary(centres, prior);
    }

    /// <summary>Installs a confounder dictionary (stage 2).</summary>
    /// <param name="dictionary">The dictionary.</param>
    /// <exception cref="InvalidOperationException">The head has no intervention branch.</exception>
    /// <exception cref="ArgumentException">See <see cref="SetDictionary(Tensor, Tensor)"/>.</exception>
    public void SetDictionary(ConfounderDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        SetDictionary(dictionary.Centres, dictionary.Prior);
    }

    /// <summary>Predicts fused logits.</summary>
    /// <param name="tokens">Backbone spatial tokens [B, N, Dv].</param>
    /// <returns>Logits [B, L].</returns>
    /// <exception cref="ArgumentException">Wrong shape or non-finite tokens.</exception>
    public override Tensor forward(Tensor tokens)
    {
        using var parts = ForwardParts(tokens);
        return parts.Logits.alias();
    }

    /// <summary>Predicts fused logits and returns every part.</summary>
    /// <param name="tokens">Backbone spatial tokens [B, N, Dv].</param>
    /// <param name="intervene">Whether to run the intervention branch; default true. False skips it
    /// (stage 1 of training: logits = baseline logits, <see cref="CausalLabelOutput.CausalLogits"/> null).</param>
    /// <returns>The parts; the caller disposes them.</returns>
    /// <exception cref="ArgumentException">Wrong shape or non-finite tokens.</exception>
    public CausalLabelOutput ForwardParts(Tensor tokens, bool intervene = true)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.dim() != 3 || tokens.shape[2] != options.InputDim || tokens.shape[0] < 1 || tokens.shape[1] < 1)
        {
            throw new ArgumentException($"Expected tokens [B, N, {options.InputDim}] with B, N >= 1; got [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        }

        using var scope = NewDisposeScope();
        if (!torch.isfinite(tokens).all().item<bool>())
        {
            throw new ArgumentException("The tokens contain NaN or Inf.", nameof(tokens));
        }

        var x = decoder.call(tokens);
        var baseLogits = baseline.call(x);
        Tensor? causal = null;
        Tensor logits;
        if (intervention is null || !intervene)
        {
            logits = baseLogits.alias();
        }
        else
        {
            var queries = options.Query == InterventionQuery.LabelEmbedding ? decoder.Queries : x;
            causal = intervention.call(x, queries);
            logits = options.Fusion switch
            {
                CausalFusion.SumLogits => ScalarSafe.Add(baseLogits, causal),
                CausalFusion.AverageProbabilities => AverageInProbability(baseLogits, causal),
                CausalFusion.LearnedWeight => Mix(baseLogits, causal),
                CausalFusion.CausalOnly => causal.alias(),
                _ => throw new InvalidOperationException($"Unknown fusion {options.Fusion}."),
            };
        }

        return new CausalLabelOutput(logits.MoveToOuterDisposeScope(), baseLogits.MoveToOuterDisposeScope(), causal?.MoveToOuterDisposeScope(), x.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            decoder.Dispose();
            baseline.Dispose();
            intervention?.Dispose();
            fusionWeight?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// logit((sigmoid(a) + sigmoid(b)) / 2) in log space, log(s(a) + s(b)) - log(s(-a) + s(-b)),
    /// so that no clamp creates ties at saturation.
    /// </summary>
    private static Tensor AverageInProbability(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var positive = torch.logaddexp(nn.functional.logsigmoid(a), nn.functional.logsigmoid(b));
        var negative = torch.logaddexp(nn.functional.logsigmoid(-a), nn.functional.logsigmoid(-b));
        return (positive - negative).MoveToOuterDisposeScope();
    }

    private Tensor Mix(Tensor baseLogits, Tensor causal)
    {
        var w = fusionWeight!.sigmoid();
        return ScalarSafe.Add(baseLogits * (1 - w), causal * w);
    }
}
