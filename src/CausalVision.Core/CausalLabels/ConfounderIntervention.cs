// The "Causal" module of paper B: backdoor adjustment P(Y|do(X)) = sum_c P(Y|X, c) P(c) with the
// normalised weighted geometric mean (NWGM) approximation E_c[sigmoid(f)] ~ sigmoid(E_c[f]), and
// the slides' cross-attention model of f:
//     Z_c = X + c,   y_j = sigmoid( sum_c fc2( cross_attn(q_j, Z_c, Z_c) ) P(c) ).
// No public code exists. Interpretation (documented on the class): X = the label-specific features
// [B, L, d] from the label-query decoder; Z_c adds one confounder centre to every label feature;
// the attention for label j runs over the L confounded label features (that is how the slides'
// f_merge over P(Y_j | do(X_1..X_N)) becomes one cross-attention); q_j is the label query.
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// Confounder intervention (paper B, "Effective modeling by cross-attention"):
/// s_j = sum_c P(c) fc2_j(CA(q_j, M_c, M_c)), M_c = LN(X + P_c c) (LN optional), y_j = sigmoid(s_j).
/// Returns the logits s [B, L]; all K confounders are evaluated in one batched pass (K folded into
/// the batch dimension).
/// </summary>
/// <remarks>
/// <para>Interpretation and choices (the slides leave them open):</para>
/// <list type="bullet">
/// <item>X is the label-specific feature matrix [B, L, d] ("Where X denote the label-specific
/// features"); q_j (the slides' y_j inside f_cross_atten) is label j's learnable query embedding by
/// default, or x_j itself (<see cref="InterventionQuery"/>); the caller passes the queries.</item>
/// <item>The dictionary (centres C [K, Dc], prior P(c) [K]) is fixed data, held in buffers
/// <c>centres</c> and <c>prior</c> so it travels with the state dict. K-means on spatial features
/// of a pre-trained backbone, P(c) from cluster sizes (the authors' answer to a reviewer).
/// Before <see cref="SetDictionary"/> the centres are zero and P(c) uniform.</item>
/// <item>When Dc != d a learnable bias-free projection <c>conf_proj</c> maps centres to d.</item>
/// <item><c>memory_norm</c>: LayerNorm of Z_c (default on). Without it the confounder cannot change
/// the attention weights (q . W_k c is constant over the keys) and the output only shifts by
/// W_o W_v c, so the sum collapses to fc2(CA(q, X, X)) plus a bias from E[c].</item>
/// <item>fc2 is a group-wise linear layer (one weight vector per label, like the baseline);
/// because it is affine and sum P(c) = 1, applying it before or after the sum is the same.</item>
/// <item>Dropout inside the attention applies in training only; the batched and the
/// per-confounder paths agree in evaluation mode.</item>
/// </list>
/// <para>Shapes: features [B, L, d]; queries [L, d] or [B, L, d] -&gt; logits [B, L]. Memory: the
/// batched pass holds K copies of the features, [B K, L, d], and the attention weights [B K, h, L, L].</para>
/// </remarks>
public sealed class ConfounderIntervention : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "conf_proj")]
    private readonly Linear? confProj;

    [ComponentName(Name = "memory_norm")]
    private readonly LayerNorm? memoryNorm;

    [ComponentName(Name = "cross_attn")]
    private readonly LabelAttention crossAttn;

    [ComponentName(Name = "fc2")]
    private readonly GroupWiseLinear fc2;

    /// <summary>Initializes a new instance of the <see cref="ConfounderIntervention"/> class.</summary>
    /// <param name="numLabels">Labels L.</param>
    /// <param name="dim">Feature dimension d.</param>
    /// <param name="heads">Attention heads; default 8.</param>
    /// <param name="numConfounders">Confounders K; default 80.</param>
    /// <param name="confounderDim">Dictionary dimension Dc; default null (= d).</param>
    /// <param name="normalizeMemory">LayerNorm on Z_c; default true.</param>
    /// <param name="dropout">Attention dropout in training; default 0.1.</param>
    /// <exception cref="ArgumentException">Non-positive sizes or heads not dividing d.</exception>
    public ConfounderIntervention(int numLabels, int dim, int heads = 8, int numConfounders = 80, int? confounderDim = null, bool normalizeMemory = true, double dropout = 0.1)
        : base(nameof(ConfounderIntervention))
    {
        if (numConfounders < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numConfounders), numConfounders, "At least one confounder is needed.");
        }

        var dc = confounderDim ?? dim;
        if (dc < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(confounderDim), confounderDim, "The confounder dimension must be at least 1.");
        }

        NumLabels = numLabels;
        Dim = dim;
        NumConfounders = numConfounders;
        ConfounderDim = dc;
        crossAttn = new LabelAttention(dim, heads, dropout);
        fc2 = new GroupWiseLinear(numLabels, dim);
        confProj = dc == dim ? null : nn.Linear(dc, dim, hasBias: false);
        memoryNorm = normalizeMemory ? nn.LayerNorm(dim) : null;
        register_buffer("centres", torch.zeros(numConfounders, dc));
        register_buffer("prior", torch.full(numConfounders, 1.0 / numConfounders));
        RegisterComponents();
    }

    /// <summary>Gets the number of labels L.</summary>
    public int NumLabels { get; }

    /// <summary>Gets the feature dimension d.</summary>
    public int Dim { get; }

    /// <summary>Gets the number of confounders K.</summary>
    public int NumConfounders { get; }

    /// <summary>Gets the dictionary's feature dimension Dc.</summary>
    public int ConfounderDim { get; }

    /// <summary>Gets the confounder centres buffer [K, Dc] (live; do not dispose).</summary>
    public Tensor Centres => get_buffer("centres")!;

    /// <summary>Gets the prior P(c) buffer [K] (live; do not dispose).</summary>
    public Tensor Prior => get_buffer("prior")!;

    /// <summary>
    /// Checks a confounder dictionary: centres [K, Dc] and prior [K], finite, P(c) &gt;= 0 and
    /// sum P(c) = 1 within 1e-4.
    /// </summary>
    /// <param name="centres">Centres [K, Dc].</param>
    /// <param name="prior">Prior [K].</param>
    /// <param name="numConfounders">Expected K.</param>
    /// <param name="confounderDim">Expected Dc.</param>
    /// <exception cref="ArgumentException">Any violation; the message names it.</exception>
    public static void ValidateDictionary(Tensor centres, Tensor prior, int numConfounders, int confounderDim)
    {
        ArgumentNullException.ThrowIfNull(centres);
        ArgumentNullException.ThrowIfNull(prior);
        if (centres.dim() != 2)
        {
            throw new ArgumentException($"Confounder centres must be [K, Dc]; got shape [{string.Join(", ", centres.shape)}].", nameof(centres));
        }

        if (centres.shape[1] != confounderDim)
        {
            throw new ArgumentException($"The confounder dictionary has feature dimension {centres.shape[1]} but the model expects {confounderDim} (set CausalLabelOptions.ConfounderDim to the dictionary's dimension, or cluster features of that size).", nameof(centres));
        }

        if (centres.shape[0] != numConfounders)
        {
            throw new ArgumentException($"The confounder dictionary has {centres.shape[0]} centres but the model was built for K = {numConfounders}.", nameof(centres));
        }

        if (prior.dim() != 1 || prior.shape[0] != numConfounders)
        {
            throw new ArgumentException($"The prior P(c) must be [K] = [{numConfounders}]; got shape [{string.Join(", ", prior.shape)}].", nameof(prior));
        }

        using var scope = NewDisposeScope();
        if (!torch.isfinite(centres).all().item<bool>())
        {
            throw new ArgumentException("The confounder centres contain NaN or Inf.", nameof(centres));
        }

        var p = prior.detach().to(float64);
        if (!torch.isfinite(p).all().item<bool>() || (p < 0).any().item<bool>())
        {
            throw new ArgumentException("The prior P(c) must be finite and non-negative.", nameof(prior));
        }

        var sum = p.sum().item<double>();
        if (Math.Abs(sum - 1.0) > 1e-4)
        {
            throw new ArgumentException($"The prior P(c) must sum to 1; it sums to {sum:G6}.", nameof(prior));
        }
    }

    /// <summary>Copies a validated dictionary into the buffers (device and dtype of the module are kept).</summary>
    /// <param name="centres">Centres [K, Dc].</param>
    /// <param name="prior">Prior [K], summing to 1.</param>
    /// <exception cref="ArgumentException">See <see cref="ValidateDictionary"/>.</exception>
    public void SetDictionary(Tensor centres, Tensor prior)
    {
        ValidateDictionary(centres, prior, NumConfounders, ConfounderDim);
        using var noGrad = torch.no_grad();
        Centres.copy_(centres);
        Prior.copy_(prior);
    }

    /// <summary>The batched intervention: all K confounders in one pass.</summary>
    /// <param name="features">Label-specific features X [B, L, d].</param>
    /// <param name="queries">Label queries [L, d] or [B, L, d].</param>
    /// <returns>Causal logits s [B, L] (apply sigmoid for P(Y_j | do(X))).</returns>
    /// <exception cref="ArgumentException">Wrong shapes.</exception>
    public override Tensor forward(Tensor features, Tensor queries)
    {
        var (b, shared) = Check(features, queries);
        using var scope = NewDisposeScope();
        var q = shared ? queries.unsqueeze(0) : queries;
        var k = NumConfounders;
        var c = ProjectedCentres();                                               // [K, d]
        var z = features.unsqueeze(1) + c.view(1, k, 1, Dim);                     // [B, K, L, d]
        var memory = (memoryNorm is null ? z : memoryNorm.call(z)).reshape(b * k, NumLabels, Dim);
        var attended = crossAttn.call(q, memory, memory);                         // [B K, L, d]
        var perConfounder = fc2.call(attended).view(b, k, NumLabels);             // [B, K, L]
        var prior = Prior.to(perConfounder.dtype).view(1, k, 1);
        return (perConfounder * prior).sum(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The slow reference: a C# loop over the K confounders with an explicit-softmax attention.
    /// For tests and benchmarks only; equals <see cref="forward"/> in evaluation mode.
    /// </summary>
    /// <param name="features">X [B, L, d].</param>
    /// <param name="queries">[L, d] or [B, L, d].</param>
    /// <returns>Causal logits [B, L].</returns>
    public Tensor ForwardPerConfounder(Tensor features, Tensor queries)
    {
        var (_, shared) = Check(features, queries);
        using var scope = NewDisposeScope();
        var q = shared ? queries.unsqueeze(0) : queries;
        var c = ProjectedCentres();
        var prior = Prior;
        Tensor? sum = null;
        for (var i = 0; i < NumConfounders; i++)
        {
            var z = features + c[i];                                              // Z_c = X + c
            var memory = memoryNorm is null ? z : memoryNorm.call(z);
            var logits = fc2.call(crossAttn.ForwardExplicit(q, memory, memory)) * prior[i].to(features.dtype);
            sum = sum is null ? logits : sum + logits;
        }

        return sum!.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            confProj?.Dispose();
            memoryNorm?.Dispose();
            crossAttn.Dispose();
            fc2.Dispose();
        }

        base.Dispose(disposing);
    }

    private Tensor ProjectedCentres()
    {
        var centres = Centres.to(fc2.parameters().First().dtype);
        return confProj is null ? centres.alias() : confProj.call(centres);
    }

    private (long Batch, bool SharedQueries) Check(Tensor features, Tensor queries)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(queries);
        if (features.dim() != 3 || features.shape[1] != NumLabels || features.shape[2] != Dim || features.shape[0] < 1)
        {
            throw new ArgumentException($"Expected label features [B, {NumLabels}, {Dim}] with B >= 1; got [{string.Join(", ", features.shape)}].", nameof(features));
        }

        var b = features.shape[0];
        if (queries.dim() == 2 && queries.shape[0] == NumLabels && queries.shape[1] == Dim)
        {
            return (b, true);
        }

        if (queries.dim() == 3 && queries.shape[0] == b && queries.shape[1] == NumLabels && queries.shape[2] == Dim)
        {
            return (b, false);
        }

        throw new ArgumentException($"Expected queries [{NumLabels}, {Dim}] or [{b}, {NumLabels}, {Dim}]; got [{string.Join(", ", queries.shape)}].", nameof(queries));
    }
}
