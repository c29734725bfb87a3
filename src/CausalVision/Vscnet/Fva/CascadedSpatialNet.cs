// VSCNet's Cascaded Spatial Net (CSNet), the FVA module of Meng et al., "Causal Inference over
// Visual-Semantic-Aligned Graph for Image Classification", AAAI 2025, eq. 1-2. Behaviour details
// (theta regressor layout and initialisation, sampling the backbone's feature map, pooling, tag head
// on the hidden state) follow the authors' public code (yibuxulong/Fine-grained-visual-semantic-causal,
// build_model.py: word_decoder_STN / STN / ARL); no code was copied.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Vscnet.Fva;

/// <summary>
/// The Cascaded Spatial Net: a GRU cell that, for j = 1..J, regresses an affine matrix from the global feature and
/// the previous hidden state, samples a region of the backbone's feature map with it, feeds the pooled region to the
/// GRU and predicts the region's tag.
/// </summary>
/// <remarks>
/// <para>For every step j (eq. 1-2), starting from <c>H_0</c> (zero, or learnable with
/// <see cref="FvaOptions.LearnableInitialHidden"/>):</para>
/// <code>
/// theta_j = Linear(W, 6)(LeakyReLU(Linear(D + H, W)([F_v ; H_{j-1}])))      reshaped to 2 x 3
/// r_j     = pool(grid_sample(X, affine_grid(theta_j, X.size, align_corners = false)))
/// H_j     = GRUCell(r_j, H_{j-1})
/// t^_j    = Linear(H, M)(H_j)          (or of r_j with TagHeadInput.Region)
/// </code>
/// <para>The paper writes the region as <c>T_theta(F_v, H_{j-1})</c>; like the authors' code, the grid samples the
/// backbone's spatial feature map X (not the image), and the GRU input is the pooled region r_j. The last theta
/// layer's bias starts at <c>[s, 0, 0, 0, s, 0]</c> (s = <see cref="FvaOptions.InitialScale"/>, default 0.5:
/// a centred half-size crop) and, by default, its weight at zero, as in the code. With
/// <see cref="FvaOptions.RegionInit"/> = <see cref="RegionInit.Distinct"/> (ours) theta_j gets a learnable per-step offset
/// <c>b_j</c> (<c>theta_j = Linear(...) + b_j</c>) whose shifts start on a grid inside the map, and the last layer's weight
/// starts small and random, so the regions differ across steps and images from the start.</para>
/// <para>Defaults: J = 10, H = D, W = 128, H_0 = 0, average pooling, zero padding, bilinear sampling.</para>
/// <para>Shapes:</para>
/// <list type="bullet">
/// <item><description>input <c>globalFeature</c> F_v: <c>[B, D]</c> (the backbone's pooled feature);</description></item>
/// <item><description>input <c>featureMap</c> X: <c>[B, D, h, w]</c> (the backbone's last spatial map);</description></item>
/// <item><description>output: <see cref="CascadedSpatialNetOutput"/> with thetas <c>[B, J, 2, 3]</c>, region features
/// <c>[B, J, D]</c>, hidden states <c>[B, J, H]</c>, tag logits <c>[B, J, M]</c>.</description></item>
/// </list>
/// <para>State-dict keys: <c>gru.*</c>, <c>fc_loc.0.*</c>, <c>fc_loc.2.*</c>, <c>word_classifier.*</c> and, when learnable,
/// <c>h0</c> (the authors' names, without their <c>word_decoder.STN.</c> prefixes), and <c>step_offset</c> with distinct
/// regions.</para>
/// </remarks>
public sealed class CascadedSpatialNet : nn.Module<Tensor, Tensor, CascadedSpatialNetOutput>
{
    [ComponentName(Name = "gru")]
    private readonly GRUCell gru;

    [ComponentName(Name = "fc_loc")]
    private readonly ThetaRegressor thetaRegressor;

    [ComponentName(Name = "word_classifier")]
    private readonly Linear tagHead;

    [ComponentName(Name = "h0")]
    private readonly Parameter? initialHidden;

    [ComponentName(Name = "step_offset")]
    private readonly Parameter? stepOffset;

    private readonly FvaOptions options;

    /// <summary>Initializes a new instance of the <see cref="CascadedSpatialNet"/> class.</summary>
    /// <param name="featureDim">Feature size D of the backbone (channels of the map = size of the pooled feature).</param>
    /// <param name="tagCount">Tag vocabulary size M.</param>
    /// <param name="options">Options; <see langword="null"/> means the defaults. They are validated and copied.</param>
    /// <param name="name">Module name.</param>
    /// <exception cref="ArgumentException">A size is not positive, or an option is out of range.</exception>
    public CascadedSpatialNet(int featureDim, int tagCount, FvaOptions? options = null, string name = "CascadedSpatialNet")
        : base(name)
    {
        if (featureDim <= 0)
        {
            throw new ArgumentException($"featureDim must be positive but is {featureDim}.", nameof(featureDim));
        }

        if (tagCount <= 0)
        {
            throw new ArgumentException($"tagCount must be positive (the tag vocabulary is empty) but is {tagCount}.", nameof(tagCount));
        }

        options ??= new FvaOptions();
        options.Validate();
        this.options = Copy(options);
        FeatureDim = featureDim;
        TagCount = tagCount;
        HiddenSize = this.options.HiddenSize ?? featureDim;

        gru = nn.GRUCell(featureDim, HiddenSize);
        thetaRegressor = new ThetaRegressor(featureDim + HiddenSize, this.options.ThetaHiddenWidth, this.options.ThetaLeakySlope);
        var headIn = this.options.TagHeadInput == TagHeadInput.Hidden ? HiddenSize : featureDim;
        tagHead = nn.Linear(headIn, tagCount);
        if (this.options.LearnableInitialHidden)
        {
            initialHidden = new Parameter(zeros(1, HiddenSize));
        }

        if (this.options.RegionInit == RegionInit.Distinct)
        {
            stepOffset = new Parameter(zeros(this.options.Steps, 6));
        }

        reset_parameters();
        RegisterComponents();
    }

    /// <summary>Gets the feature size D.</summary>
    public int FeatureDim { get; }

    /// <summary>Gets the tag vocabulary size M.</summary>
    public int TagCount { get; }

    /// <summary>Gets the hidden size H.</summary>
    public int HiddenSize { get; }

    /// <summary>Gets the number of steps J.</summary>
    public int Steps => options.Steps;

    /// <summary>Gets a copy of the options this module was built with.</summary>
    public FvaOptions Options => Copy(options);

    /// <summary>
    /// Samples the region of <paramref name="featureMap"/> that each affine matrix selects, at the map's own resolution:
    /// <c>grid_sample(X, affine_grid(theta, X.size, align_corners = false), bilinear)</c>. The identity matrix
    /// <c>[[1, 0, 0], [0, 1, 0]]</c> returns the map itself.
    /// </summary>
    /// <param name="featureMap">Map X, <c>[B, D, h, w]</c>.</param>
    /// <param name="theta">Affine matrices, <c>[B, 2, 3]</c>, in normalised coordinates (-1..1 spans the map).</param>
    /// <param name="padding">Value of sampling points outside the map.</param>
    /// <returns>The sampled regions, <c>[B, D, h, w]</c>.</returns>
    /// <exception cref="ArgumentException">Shapes or batch sizes do not match.</exception>
    public static Tensor SampleRegions(Tensor featureMap, Tensor theta, GridSamplePaddingMode padding = GridSamplePaddingMode.Zeros)
    {
        Guard.NonEmptyRank(featureMap, 4, nameof(featureMap), "[B, D, h, w]");
        Guard.Floating(featureMap, nameof(featureMap));
        Guard.NonEmptyRank(theta, 3, nameof(theta), "[B, 2, 3]");
        Guard.Floating(theta, nameof(theta));
        if (theta.shape[1] != 2 || theta.shape[2] != 3)
        {
            throw new ArgumentException($"theta must have shape [B, 2, 3] but has shape [{string.Join(", ", theta.shape)}].", nameof(theta));
        }

        Guard.Dim(theta, 0, featureMap.shape[0], nameof(theta), "matrices (batch size of featureMap)");
        return Sample(featureMap, theta, padding);
    }

    /// <summary>Re-initialises the parameters as the authors' code: first theta layer and tag head weights
    /// <c>N(0, LinearInitStd)</c>, last theta layer weight zero (or <c>N(0, LinearInitStd)</c>) and bias
    /// <c>[s, 0, 0, 0, s, 0]</c>, learnable H_0 zero; the GRU keeps PyTorch's uniform initialisation. With
    /// <see cref="RegionInit.Distinct"/> the first theta layer keeps PyTorch's default initialisation, the last one's weight
    /// is <c>N(0, ThetaOutputInitStd)</c>, its bias zero, and the per-step offsets start at <c>[s, 0, x_j, 0, s, y_j]</c> on
    /// a grid.</summary>
    public void reset_parameters()
    {
        using var noGrad = no_grad();
        var std = options.LinearInitStd;
        if (stepOffset is null)
        {
            nn.init.normal_(thetaRegressor.Hidden.weight, 0, std);
        }
        else
        {
            // Distinct regions: PyTorch's default (Kaiming-uniform) for the first theta layer, so that theta's dependence
            // on the image is not scaled down twice (N(0, 0.01) weights in both layers make it ~1e-4).
            nn.init.kaiming_uniform_(thetaRegressor.Hidden.weight, Math.Sqrt(5));
        }

        nn.init.normal_(tagHead.weight, 0, std);
        if (initialHidden is not null)
        {
            nn.init.zeros_(initialHidden);
        }

        if (stepOffset is not null)
        {
            nn.init.normal_(thetaRegressor.Output.weight, 0, options.ThetaOutputInitStd);
            nn.init.zeros_(thetaRegressor.Output.bias!);
            using var offsets = tensor(DistinctOffsets(options.Steps, options.InitialScale), new long[] { options.Steps, 6 });
            stepOffset.copy_(offsets);
            return;
        }

        if (options.ZeroInitThetaWeight)
        {
            nn.init.zeros_(thetaRegressor.Output.weight);
        }
        else
        {
            nn.init.normal_(thetaRegressor.Output.weight, 0, std);
        }

        var s = (float)options.InitialScale;
        using (var bias = tensor(new[] { s, 0f, 0f, 0f, s, 0f }))
        {
            thetaRegressor.Output.bias!.copy_(bias);
        }
    }

    /// <summary>
    /// The initial per-step offsets of <see cref="RegionInit.Distinct"/>: scale s on the diagonal and centres spread over a
    /// g x g grid (g = ceil(sqrt(J))) of cell centres inside <c>[-(1 - s), 1 - s]</c>, step j taking cell
    /// <c>floor(j g^2 / J)</c> so the J centres cover the grid evenly; a single step gets the centre.
    /// </summary>
    /// <param name="steps">J.</param>
    /// <param name="scale">s.</param>
    /// <returns>Row-major <c>[J, 6]</c> values <c>[s, 0, x_j, 0, s, y_j]</c>.</returns>
    internal static float[] DistinctOffsets(int steps, double scale)
    {
        var g = (int)Math.Ceiling(Math.Sqrt(steps));
        var span = 1.0 - scale;
        var values = new float[steps * 6];
        for (var j = 0; j < steps; j++)
        {
            var cell = (int)((long)j * g * g / steps);
            double Centre(int k) => g == 1 ? 0.0 : -span + (2.0 * span * (k + 0.5) / g);
            values[(j * 6) + 0] = (float)scale;
            values[(j * 6) + 2] = (float)Centre(cell % g);
            values[(j * 6) + 4] = (float)scale;
            values[(j * 6) + 5] = (float)Centre(cell / g);
        }

        return values;
    }

    /// <summary>Runs the J cascaded steps (eq. 1-2).</summary>
    /// <param name="globalFeature">F_v, <c>[B, D]</c>.</param>
    /// <param name="featureMap">X, <c>[B, D, h, w]</c>.</param>
    /// <returns>The per-step thetas, region features, hidden states and tag logits (owned by the caller).</returns>
    /// <exception cref="ArgumentException">A shape, batch size or feature size does not match, or an input holds NaN/Inf.</exception>
    public override CascadedSpatialNetOutput forward(Tensor globalFeature, Tensor featureMap)
    {
        Guard.NonEmptyRank(globalFeature, 2, nameof(globalFeature), "[B, D]");
        Guard.Floating(globalFeature, nameof(globalFeature));
        Guard.NonEmptyRank(featureMap, 4, nameof(featureMap), "[B, D, h, w]");
        Guard.Floating(featureMap, nameof(featureMap));
        Guard.Dim(globalFeature, 1, FeatureDim, nameof(globalFeature), "features");
        Guard.Dim(featureMap, 1, FeatureDim, nameof(featureMap), "channels");
        if (globalFeature.shape[0] != featureMap.shape[0])
        {
            throw new ArgumentException($"Batch sizes differ: globalFeature has {globalFeature.shape[0]} rows, featureMap {featureMap.shape[0]}.", nameof(featureMap));
        }

        Guard.Finite(globalFeature, nameof(globalFeature));
        Guard.Finite(featureMap, nameof(featureMap));

        using var scope = NewDisposeScope();
        var batch = featureMap.shape[0];
        var hidden = initialHidden is not null
            ? initialHidden.expand(batch, HiddenSize)
            : zeros(new long[] { batch, HiddenSize }, dtype: globalFeature.dtype, device: globalFeature.device);

        var thetas = new Tensor[Steps];
        var regions = new Tensor[Steps];
        var hiddens = new Tensor[Steps];
        for (var j = 0; j < Steps; j++)
        {
            var raw = thetaRegressor.call(cat(new[] { globalFeature, hidden }, 1));
            if (stepOffset is not null)
            {
                raw = ScalarSafe.Add(raw, stepOffset[j]);
            }

            var theta = raw.view(batch, 2, 3);
            var sampled = Sample(featureMap, theta, options.SamplerPadding);
            var region = options.RegionPooling == RegionPooling.Average
                ? sampled.mean(new long[] { 2, 3 })
                : sampled.amax(new long[] { 2, 3 });
            hidden = gru.call(region, hidden);
            thetas[j] = theta;
            regions[j] = region;
            hiddens[j] = hidden;
        }

        var thetaAll = stack(thetas, 1);
        var regionAll = stack(regions, 1);
        var hiddenAll = stack(hiddens, 1);
        var headInput = options.TagHeadInput == TagHeadInput.Hidden ? hiddenAll : regionAll;
        if (options.TagHeadDropout > 0)
        {
            headInput = F.dropout(headInput, options.TagHeadDropout, training);
        }

        var logits = tagHead.call(headInput);
        return new CascadedSpatialNetOutput(
            thetaAll.MoveToOuterDisposeScope(),
            regionAll.MoveToOuterDisposeScope(),
            hiddenAll.MoveToOuterDisposeScope(),
            logits.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            gru.Dispose();
            thetaRegressor.Dispose();
            tagHead.Dispose();
            initialHidden?.Dispose();
            stepOffset?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static Tensor Sample(Tensor featureMap, Tensor theta, GridSamplePaddingMode padding)
    {
        using var scope = NewDisposeScope();
        var grid = F.affine_grid(theta, featureMap.shape, align_corners: false);
        return F.grid_sample(featureMap, grid, GridSampleMode.Bilinear, padding, align_corners: false).MoveToOuterDisposeScope();
    }

    private static FvaOptions Copy(FvaOptions o) => new()
    {
        Steps = o.Steps,
        HiddenSize = o.HiddenSize,
        ThetaHiddenWidth = o.ThetaHiddenWidth,
        ThetaLeakySlope = o.ThetaLeakySlope,
        InitialScale = o.InitialScale,
        ZeroInitThetaWeight = o.ZeroInitThetaWeight,
        RegionInit = o.RegionInit,
        ThetaOutputInitStd = o.ThetaOutputInitStd,
        LearnableInitialHidden = o.LearnableInitialHidden,
        RegionPooling = o.RegionPooling,
        SamplerPadding = o.SamplerPadding,
        TagHeadInput = o.TagHeadInput,
        TagHeadDropout = o.TagHeadDropout,
        LinearInitStd = o.LinearInitStd,
        Loss = o.Loss,
    };

    /// <summary>The theta regressor <c>Linear(in, W) -> LeakyReLU -> Linear(W, 6)</c>, keyed "0" and "2" like the
    /// authors' <c>nn.Sequential</c> so its state-dict keys read <c>fc_loc.0.*</c> / <c>fc_loc.2.*</c>.</summary>
    private sealed class ThetaRegressor : nn.Module<Tensor, Tensor>
    {
        [ComponentName(Name = "0")]
        private readonly Linear hidden;

        [ComponentName(Name = "2")]
        private readonly Linear output;

        private readonly double slope;

        public ThetaRegressor(int inputSize, int width, double slope)
            : base("fc_loc")
        {
            hidden = nn.Linear(inputSize, width);
            output = nn.Linear(width, 6);
            this.slope = slope;
            RegisterComponents();
        }

        public Linear Hidden => hidden;

        public Linear Output => output;

        public override Tensor forward(Tensor input)
        {
            using var h = hidden.call(input);
            using var a = F.leaky_relu(h, slope);
            return output.call(a);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                hidden.Dispose();
                output.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
