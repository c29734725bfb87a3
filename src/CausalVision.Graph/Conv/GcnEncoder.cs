// Per-branch graph encoder: VSCNet (Meng et al., AAAI 2025) F_c = delta_c(G_c), F_n = delta_n(G_n)
// (text after eq. 11, "GCN layers"), in CAL's form (yongduosui/CAL model.py: BatchNorm ->
// GCNConv with the branch's edge weights -> ReLU, then global_add_pool). GCN: Kipf & Welling eq. 2.
using CausalVision.Graph.Hetero;
using CausalVision.Graph.Readout;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Graph.Conv;

/// <summary>
/// L layers of (norm → <see cref="GcnConv"/> → ReLU) followed by a padding-aware readout.
/// </summary>
/// <remarks>
/// <c>h⁰ = x; hˡ = ReLU(GcnConv_l(Norm_l(hˡ⁻¹), A, mask)); F = Readout(hᴸ, mask)</c>
/// (Norm_1 = identity with <see cref="GcnEncoderOptions.NormalizeInput"/> off).
/// BatchNorm statistics use real nodes only (padding is excluded), and BatchNorm starts at
/// weight 1, bias 1e-4 as in CAL. See <see cref="GcnEncoderOptions"/> for defaults.
/// Shapes: x [B, N, F_in], adj [B, N, N], mask [B, N] bool or null → [B, Hidden];
/// <see cref="EncodeNodes"/> → [B, N, Hidden] (zero on padding).
/// </remarks>
public sealed class GcnEncoder : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> norms;
    private readonly ModuleList<GcnConv> convs;
    private readonly GraphReadout readout;

    /// <summary>Initializes a new instance of the <see cref="GcnEncoder"/> class.</summary>
    /// <param name="options">The options (validated here).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="dtype">Parameter dtype (default float32).</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public GcnEncoder(GcnEncoderOptions options, Device? device = null, ScalarType? dtype = null)
        : base(nameof(GcnEncoder))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        InFeatures = options.InFeatures;
        HiddenFeatures = options.HiddenFeatures;
        Norm = options.Norm;
        norms = new ModuleList<nn.Module<Tensor, Tensor>>();
        convs = new ModuleList<GcnConv>();
        var width = options.InFeatures;
        for (var l = 0; l < options.Layers; l++)
        {
            norms.Add((l == 0 && !options.NormalizeInput ? GcnNorm.None : options.Norm) switch
            {
                GcnNorm.BatchNorm => InitBatchNorm(nn.BatchNorm1d(width, device: device, dtype: dtype)),
                GcnNorm.LayerNorm => nn.LayerNorm(width, device: device, dtype: dtype),
                _ => nn.Identity(),
            });
            // Inputs are checked once in EncodeNodes; the layers skip the per-layer content checks.
            convs.Add(new GcnConv(width, options.HiddenFeatures, options.Bias, options.SelfLoopWeight, options.Propagation, options.SparseDensityThreshold, device, dtype) { CheckContents = false });
            width = options.HiddenFeatures;
        }

        readout = new GraphReadout(options.Readout, options.HiddenFeatures, options.AttentionHidden, device, dtype);
        RegisterComponents();
    }

    /// <summary>Gets the node input width.</summary>
    public long InFeatures { get; }

    /// <summary>Gets the output width.</summary>
    public long HiddenFeatures { get; }

    /// <summary>Gets the normalisation kind.</summary>
    public GcnNorm Norm { get; }

    /// <summary>Encodes the nodes (no readout).</summary>
    /// <param name="x">Node features [B, N, F_in].</param>
    /// <param name="adj">Adjacency [B, N, N].</param>
    /// <param name="mask">Padding mask [B, N] or null.</param>
    /// <returns>[B, N, Hidden], zero on padded nodes.</returns>
    /// <exception cref="ArgumentException">Bad shapes or contents.</exception>
    public Tensor EncodeNodes(Tensor x, Tensor adj, Tensor? mask)
    {
        Gcn.CheckInputs(x, adj, mask);
        if (x.shape[2] != InFeatures)
        {
            throw new ArgumentException($"x has {x.shape[2]} features per node but this GcnEncoder expects {InFeatures}.", nameof(x));
        }

        using var scope = NewDisposeScope();
        var h = x;
        for (var l = 0; l < convs.Count; l++)
        {
            h = norms[l] is Identity ? h : ApplyNorm(Norm, norms[l], h, mask);
            h = nn.functional.relu(convs[l].call(h, adj, mask));
        }

        return h.MoveToOuterDisposeScope();
    }

    /// <summary>Encodes the graphs into one feature vector each.</summary>
    /// <param name="x">Node features [B, N, F_in].</param>
    /// <param name="adj">Adjacency [B, N, N].</param>
    /// <param name="mask">Padding mask [B, N] or null.</param>
    /// <returns>[B, Hidden].</returns>
    public override Tensor forward(Tensor x, Tensor adj, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var nodes = EncodeNodes(x, adj, mask);
        return readout.call(nodes, mask).MoveToOuterDisposeScope();
    }

    /// <summary>Encodes a graph batch.</summary>
    /// <param name="graph">The batch (e.g. G_c or G_n from <see cref="Masks.CausalGraphSplit"/>).</param>
    /// <returns>[B, Hidden].</returns>
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
            norms.Dispose();
            convs.Dispose();
            readout.Dispose();
        }

        base.Dispose(disposing);
    }

    internal static BatchNorm1d InitBatchNorm(BatchNorm1d bn)
    {
        using var noGrad = no_grad();
        bn.weight!.fill_(1.0);
        bn.bias!.fill_(1e-4);
        return bn;
    }

    // BatchNorm sees only the real nodes (flattened to [M, F]) so padding never shifts the
    // statistics; the result is scattered back with zeros on padding.
    internal static Tensor ApplyNorm(GcnNorm kind, nn.Module<Tensor, Tensor> norm, Tensor h, Tensor? mask)
    {
        if (kind == GcnNorm.None)
        {
            return h;
        }

        if (kind == GcnNorm.LayerNorm || mask is null)
        {
            var y = kind == GcnNorm.BatchNorm
                ? norm.call(h.reshape(-1, h.shape[2])).reshape(h.shape)
                : norm.call(h);
            return mask is null ? y : y * mask.unsqueeze(2).to(y.dtype);
        }

        var flat = h.reshape(-1, h.shape[2]);
        var index = mask.reshape(-1).nonzero().squeeze(1);
        var normed = norm.call(flat.index_select(0, index));
        return zeros_like(flat).index_copy(0, index, normed).reshape(h.shape);
    }
}
