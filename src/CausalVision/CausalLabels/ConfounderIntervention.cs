// The "Causal" module of paper B: backdoor adjustment P(Y|do(X)) = sum_c P(Y|X, c) P(c), with the
// dictionary entering per label feature the way the public reference implementations let it in
// (VC R-CNN CausalPredictor.z_dic: softmax over the K confounders of W_y x . W_z c / sqrt(d),
// times the prior P(c), summed over the confounders; IFSL get_d_feature; CCD_MLIC tde_classifier):
//     z_i = x_i + sum_c softmax_c(W_q x_i . W_k c / sqrt(d)) P(c) W_v c,
//     y_j = sigmoid( fc2_j( cross_attn(q_j, Z, Z) ) ),   Z = [z_1 .. z_L].
// The slides' literal form Z_c = X + c (one centre added to every key) and its LayerNorm patch are
// kept as InterventionForm.Literal and InterventionForm.LayerNorm for the ablation.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// Confounder intervention (paper B, "Effective modeling by cross-attention"). The default
/// <see cref="InterventionForm.Grounded"/> form:
/// z_i = x_i + sum_c softmax_c(W_q x_i . W_k c / sqrt(d)) P(c) W_v c, s_j = fc2_j(CA(q_j, Z, Z)).
/// The ablation forms: <see cref="InterventionForm.Literal"/>
/// s_j = sum_c P(c) fc2_j(CA(q_j, X + c, X + c)) and <see cref="InterventionForm.LayerNorm"/>
/// s_j = sum_c P(c) fc2_j(CA(q_j, LN(X + c), LN(X + c))); all K confounders are evaluated in one
/// batched pass. Returns the logits s [B, L].
/// </summary>
/// <remarks>
/// <para>Interpretation and choices (the slides leave them open):</para>
/// <list type="bullet">
/// <item>X is the label-specific feature matrix [B, L, d]; q_j is label j's learnable query
/// embedding by default, or x_j itself (<see cref="InterventionQuery"/>); the caller passes the
/// queries.</item>
/// <item>The dictionary (centres C [K, Dc], prior P(c) [K]) is fixed data, held in buffers
/// <c>centres</c> and <c>prior</c> so it travels with the state dict. Before
/// <see cref="SetDictionary"/> the centres are zero and P(c) uniform.</item>
/// <item>Grounded form: as in VC R-CNN's z_dic the attention weights over the K confounders are a
/// softmax of the scaled dot product, multiplied by P(c) and NOT renormalised, so
/// sum_c softmax_c P(c) &lt;= max_c P(c). W_q (d -&gt; d, bias) and W_k (Dc -&gt; d, bias) follow
/// VC R-CNN's Wy and Wz; W_v (Dc -&gt; d, no bias) maps the centres to the feature space (VC R-CNN
/// uses the raw entries because its dictionary has the feature dimension). The confounder term
/// differs per label feature, so it does not cancel in the cross-attention softmax, and the
/// cluster structure enters through weights that depend on x.</item>
/// <item>Literal form: adding the same c to every key shifts each score row by a constant, so the
/// softmax ignores it, the output shifts by W_o W_v c, and with sum P(c) = 1 the result equals
/// fc2(CA(q, X, X)) + w . W_o W_v E_P[c] for any dictionary with the same prior mean. The
/// LayerNorm form breaks that identity only at second order. A learnable bias-free
/// <c>conf_proj</c> maps Dc to d in these two forms when Dc != d.</item>
/// <item>fc2 is a group-wise linear layer (one weight vector per label, like the baseline).</item>
/// <item>Dropout inside the attention applies in training only; the batched and the
/// per-confounder paths agree in evaluation mode.</item>
/// </list>
/// <para>Shapes: features [B, L, d]; queries [L, d] or [B, L, d] -&gt; logits [B, L]. Memory: the
/// grounded form holds the weights [B, L, K]; the literal and LayerNorm forms hold K copies of the
/// features, [B K, L, d], and the attention weights [B K, h, L, L].</para>
/// </remarks>
public sealed class ConfounderIntervention : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "conf_proj")]
    private readonly Linear? confProj;

    [ComponentName(Name = "memory_norm")]
    private readonly LayerNorm? memoryNorm;

    [ComponentName(Name = "w_q")]
    private readonly Linear? wq;

    [ComponentName(Name = "w_k")]
    private readonly Linear? wk;

    [ComponentName(Name = "w_v")]
    private readonly Linear? wv;

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
    /// <param name="form">How the dictionary enters; default <see cref="InterventionForm.Grounded"/>.</param>
    /// <param name="dropout">Attention dropout in training; default 0.1.</param>
    /// <exception cref="ArgumentException">Non-positive sizes or heads not dividing d.</exception>
    public ConfounderIntervention(int numLabels, int dim, int heads = 8, int numConfounders = 80, int? confounderDim = null, InterventionForm form = InterventionForm.Grounded, double dropout = 0.1)
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

        if (!Enum.IsDefined(form))
        {
            throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown intervention form.");
        }

        NumLabels = numLabels;
        Form = form;
        Dim = dim;
        ConfounderDim = dc;
        crossAttn = new LabelAttention(dim, heads, dropout);
        fc2 = new GroupWiseLinear(numLabels, dim);
        if (form is InterventionForm.Grounded or InterventionForm.GroundedNormalized)
        {
            wq = nn.Linear(dim, dim);
            wk = nn.Linear(dc, dim);
            wv = nn.Linear(dc, dim, hasBias: false);
        }
        else
        {
            confProj = dc == dim ? null : nn.Linear(dc, dim, hasBias: false);
            memoryNorm = form == InterventionForm.LayerNorm ? nn.LayerNorm(dim) : null;
        }

        register_buffer("centres", torch.zeros(numConfounders, dc));
        register_buffer("prior", torch.full(numConfounders, 1.0 / numConfounders));
        RegisterComponents();
    }

    /// <summary>Gets the number of labels L.</summary>
    public int NumLabels { get; }

    /// <summary>Gets the feature dimension d.</summary>
    public int Dim { get; }

    /// <summary>Gets how the dictionary enters the intervention.</summary>
    public InterventionForm Form { get; }

    private bool IsGrounded => Form is InterventionForm.Grounded or InterventionForm.GroundedNormalized;

    /// <summary>Gets the number of confounders K (the dictionary's current size; see <see cref="SwapDictionary"/>).</summary>
    public int NumConfounders => (int)Centres.shape[0];

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

    /// <summary>
    /// Replaces the dictionary by one of any size K' (same Dc), e.g. for a test-time swap to a random
    /// dictionary or to a single centre at E_P[c]: the learned weights do not depend on K. The
    /// buffers take the new shape (so does the state dict).
    /// </summary>
    /// <param name="centres">Centres [K', Dc].</param>
    /// <param name="prior">Prior [K'], summing to 1.</param>
    /// <exception cref="ArgumentException">See <see cref="ValidateDictionary"/> (with K = K').</exception>
    public void SwapDictionary(Tensor centres, Tensor prior)
    {
        ArgumentNullException.ThrowIfNull(centres);
        if (centres.dim() != 2 || centres.shape[0] < 1)
        {
            throw new ArgumentException($"Confounder centres must be [K, Dc] with K >= 1; got shape [{string.Join(", ", centres.shape)}].", nameof(centres));
        }

        ValidateDictionary(centres, prior, (int)centres.shape[0], ConfounderDim);
        using var noGrad = torch.no_grad();
        using var c = centres.detach().to(Centres.dtype, Centres.device).clone();
        using var p = prior.detach().to(Prior.dtype, Prior.device).clone();
        Centres.set_(c);
        Prior.set_(p);
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
        if (IsGrounded)
        {
            var grounded = GroundedMemory(features);                              // [B, L, d]
            return fc2.call(crossAttn.call(q, grounded, grounded)).MoveToOuterDisposeScope();
        }

        var k = NumConfounders;
        var c = ProjectedCentres();                                               // [K, d]
        var z = ScalarSafe.Add(features.unsqueeze(1), c.view(1, k, 1, Dim));      // [B, K, L, d]
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
        if (IsGrounded)
        {
            var grounded = GroundedMemoryPerConfounder(features);
            return fc2.call(crossAttn.ForwardExplicit(q, grounded, grounded)).MoveToOuterDisposeScope();
        }

        var c = ProjectedCentres();
        var prior = Prior;
        Tensor? sum = null;
        for (var i = 0; i < NumConfounders; i++)
        {
            var z = ScalarSafe.Add(features, c[i]);                               // Z_c = X + c
            var memory = memoryNorm is null ? z : memoryNorm.call(z);
            var logits = fc2.call(crossAttn.ForwardExplicit(q, memory, memory)) * prior[i].to(features.dtype);
            sum = sum is null ? logits : ScalarSafe.Add(sum, logits);
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
            wq?.Dispose();
            wk?.Dispose();
            wv?.Dispose();
            crossAttn.Dispose();
            fc2.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// The grounded memory z_i = x_i + sum_c softmax_c(W_q x_i . W_k c / sqrt(d)) P(c) W_v c
    /// (<see cref="InterventionForm.GroundedNormalized"/>: the weights divided by their sum).
    /// </summary>
    /// <param name="features">X [B, L, d].</param>
    /// <returns>Z [B, L, d] (a fresh tensor).</returns>
    /// <exception cref="InvalidOperationException">The form is not grounded.</exception>
    public Tensor GroundedMemory(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (!IsGrounded)
        {
            throw new InvalidOperationException($"The grounded memory exists only in the grounded form; this module is {Form}.");
        }

        using var scope = NewDisposeScope();
        var centres = Centres.to(features.dtype);                                 // [K, Dc]
        var keys = wk!.call(centres);                                             // [K, d]
        var values = wv!.call(centres);                                           // [K, d]
        var scores = torch.matmul(wq!.call(features), keys.t()) / Math.Sqrt(Dim); // [B, L, K]
        var weights = Form == InterventionForm.GroundedNormalized
            ? ScalarSafe.Add(scores, Prior.to(features.dtype).clamp_min(1e-30).log()).softmax(-1) // softmax_c P(c) / sum
            : scores.softmax(-1) * Prior.to(features.dtype);                      // [B, L, K]
        return ScalarSafe.Add(features, torch.matmul(weights, values)).MoveToOuterDisposeScope();
    }

    private Tensor GroundedMemoryPerConfounder(Tensor features)
    {
        var centres = Centres.to(features.dtype);
        var query = wq!.call(features);                                           // [B, L, d]
        var scale = 1.0 / Math.Sqrt(Dim);
        var scores = new Tensor[NumConfounders];
        Tensor? max = null;
        for (var i = 0; i < NumConfounders; i++)
        {
            var key = wk!.call(centres[i].unsqueeze(0)).squeeze(0);               // [d]
            scores[i] = (query * key).sum(-1) * scale;                            // [B, L]
            max = max is null ? scores[i] : torch.maximum(max, scores[i]);
        }

        Tensor? denominator = null;
        var exps = new Tensor[NumConfounders];
        for (var i = 0; i < NumConfounders; i++)
        {
            exps[i] = (scores[i] - max!).exp();
            denominator = denominator is null ? exps[i] : ScalarSafe.Add(denominator, exps[i]);
        }

        // GroundedNormalized: divide by sum_c softmax_c P(c), so the weights sum to 1.
        Tensor? normaliser = null;
        if (Form == InterventionForm.GroundedNormalized)
        {
            for (var i = 0; i < NumConfounders; i++)
            {
                var w = exps[i] / denominator! * Prior[i].to(features.dtype);
                normaliser = normaliser is null ? w : ScalarSafe.Add(normaliser, w);
            }
        }

        var z = features.alias();
        for (var i = 0; i < NumConfounders; i++)
        {
            var value = wv!.call(centres[i].unsqueeze(0)).squeeze(0);             // [d]
            var weight = exps[i] / denominator! * Prior[i].to(features.dtype);    // [B, L]
            if (Form == InterventionForm.GroundedNormalized)
            {
                weight = weight / normaliser!;
            }

            z = ScalarSafe.Add(z, weight.unsqueeze(-1) * value);
        }

        return z;
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
