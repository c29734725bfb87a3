// GCN layer with edge weights: Kipf & Welling, ICLR 2017, eq. 2,
// H' = D̃^-1/2 (A + w·I) D̃^-1/2 H Θ + b, in PyG GCNConv's form (lin without bias, then
// propagation, then bias; state-dict keys "lin.weight" and "bias"). CAL (yongduosui/CAL) runs
// one per branch with the learned edge mask as edge weights; VSCNet's delta_c / delta_n
// (Meng et al., AAAI 2025, eq. 10-11) are built from it (see GcnEncoder).
using CausalVision.Runtime;
using CausalVision.Graph.Hetero;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Graph.Conv;

/// <summary>
/// Graph convolution with symmetric normalisation over a padded batch of weighted graphs.
/// </summary>
/// <remarks>
/// <c>out = mask ⊙ (Â (X Θ) + b)</c>, <c>Â = D̃^-1/2 (A ⊙ (m mᵀ) + w·diag(m)) D̃^-1/2</c>
/// (see <see cref="Gcn"/>). Padded nodes get no messages, send none and output zero (the bias
/// is not added to them). Defaults: bias on, self-loop weight 1, <see cref="GcnPropagation.Auto"/>
/// with threshold <see cref="Gcn.DefaultSparseDensityThreshold"/>; Θ Glorot-uniform, b zero.
/// Shapes:
/// <list type="bullet">
/// <item>x: [B, N, F_in]; adj: [B, N, N] (row = receiver, weights ≥ 0); mask: [B, N] bool or null.</item>
/// <item>output: [B, N, F_out].</item>
/// </list>
/// </remarks>
public sealed class GcnConv : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly Linear lin;
    private readonly Parameter? bias;

    /// <summary>Initializes a new instance of the <see cref="GcnConv"/> class.</summary>
    /// <param name="inFeatures">Input width F_in (&gt; 0).</param>
    /// <param name="outFeatures">Output width F_out (&gt; 0).</param>
    /// <param name="bias">Whether to learn an additive bias. Default <c>true</c>.</param>
    /// <param name="selfLoopWeight">Weight of the added self loops (default 1; 2 = PyG's <c>improved</c>; 0 = none).</param>
    /// <param name="propagation">Dense, sparse or automatic product (default <see cref="GcnPropagation.Auto"/>).</param>
    /// <param name="sparseDensityThreshold">Density below which Auto goes sparse (default 0.01).</param>
    /// <param name="device">Device for the parameters (default CPU).</param>
    /// <param name="dtype">Parameter dtype (default float32).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or weight is out of range.</exception>
    public GcnConv(long inFeatures, long outFeatures, bool bias = true, double selfLoopWeight = 1.0, GcnPropagation propagation = GcnPropagation.Auto, double sparseDensityThreshold = Gcn.DefaultSparseDensityThreshold, Device? device = null, ScalarType? dtype = null)
        : base(nameof(GcnConv))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        Gcn.CheckSelfLoopWeight(selfLoopWeight);
        if (!(sparseDensityThreshold >= 0 && sparseDensityThreshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(sparseDensityThreshold), sparseDensityThreshold, "sparseDensityThreshold must lie in [0, 1].");
        }

        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        SelfLoopWeight = selfLoopWeight;
        Propagation = propagation;
        SparseDensityThreshold = sparseDensityThreshold;
        lin = nn.Linear(inFeatures, outFeatures, hasBias: false, device: device, dtype: dtype);
        if (bias)
        {
            this.bias = nn.Parameter(zeros(outFeatures, dtype: dtype, device: device));
        }

        reset_parameters();
        RegisterComponents();
    }

    /// <summary>Gets the input width F_in.</summary>
    public long InFeatures { get; }

    /// <summary>Gets the output width F_out.</summary>
    public long OutFeatures { get; }

    /// <summary>Gets the self-loop weight w.</summary>
    public double SelfLoopWeight { get; }

    /// <summary>Gets the propagation path.</summary>
    public GcnPropagation Propagation { get; }

    /// <summary>Gets the density below which <see cref="GcnPropagation.Auto"/> goes sparse.</summary>
    public double SparseDensityThreshold { get; }

    /// <summary>
    /// Gets or sets a value indicating whether forward checks the contents of its inputs
    /// (NaN/Inf, negative weights; one host sync each). Shapes are always checked. Default <c>true</c>.
    /// </summary>
    public bool CheckContents { get; set; } = true;

    /// <summary>Re-initialises Θ (Glorot uniform, as PyG) and zeroes the bias.</summary>
    public void reset_parameters()
    {
        using var noGrad = no_grad();
        nn.init.xavier_uniform_(lin.weight!);
        if (bias is not null)
        {
            nn.init.zeros_(bias);
        }
    }

    /// <summary>Applies the layer.</summary>
    /// <param name="x">Node features [B, N, F_in].</param>
    /// <param name="adj">Adjacency [B, N, N].</param>
    /// <param name="mask">Padding mask [B, N] or null.</param>
    /// <returns>[B, N, F_out], zero on padded nodes.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices or contents.</exception>
    public override Tensor forward(Tensor x, Tensor adj, Tensor? mask)
    {
        Gcn.CheckInputs(x, adj, mask, CheckContents);
        if (x.shape[2] != InFeatures)
        {
            throw new ArgumentException($"x has {x.shape[2]} features per node but this GcnConv expects {InFeatures}.", nameof(x));
        }

        using var scope = NewDisposeScope();
        var h = Gcn.PropagateUnchecked(lin.call(x), adj, mask, SelfLoopWeight, Propagation, SparseDensityThreshold);
        if (bias is not null)
        {
            h = ScalarSafe.Add(h, bias);
        }

        if (mask is not null)
        {
            h = h * mask.unsqueeze(2).to(h.dtype);
        }

        return h.MoveToOuterDisposeScope();
    }

    /// <summary>Applies the layer to a graph batch's features, adjacency and mask.</summary>
    /// <param name="graph">The batch.</param>
    /// <returns>[B, N, F_out].</returns>
    public Tensor call(HeteroGraphBatch graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return call(graph.X, graph.Adjacency, graph.Mask);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lin.Dispose();
            bias?.Dispose();
        }

        base.Dispose(disposing);
    }
}
