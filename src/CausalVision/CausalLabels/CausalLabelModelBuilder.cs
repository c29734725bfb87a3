// Fluent, single-use builder of the paper-B model (Polly-style: configure, validate at Build()).
using CausalVision.Backbones;
using CausalVision.DependencyInjection;
using TorchSharp;

namespace CausalVision.CausalLabels;

/// <summary>
/// Builds a <see cref="CausalLabelModel"/>: backbone (by name or instance), labels, K, d, heads,
/// decoder layers, fusion and the Table 3 variant. Everything is validated at <see cref="Build"/>;
/// a builder builds once.
/// </summary>
/// <example>
/// <code>
/// using var model = new CausalLabelModelBuilder()
///     .WithBackbone("resnet18", new BackboneOptions { SmallInputStem = true })
///     .WithLabels(24).WithConfounders(40).WithModelDim(64).WithHeads(4)
///     .WithVariant(CausalLabelVariant.Causal)
///     .Build();
/// </code>
/// </example>
public sealed class CausalLabelModelBuilder
{
    private readonly CausalLabelOptions options;
    private readonly IBackboneFactory? factory;
    private string? backboneName;
    private BackboneOptions? backboneOptions;
    private Backbone? backboneInstance;
    private IReadOnlyList<string>? labelNames;
    private CausalLabelVariant variant = CausalLabelVariant.Causal;
    private long? seed;
    private bool built;

    /// <summary>Initializes a new instance of the <see cref="CausalLabelModelBuilder"/> class.</summary>
    /// <param name="defaults">Starting head options (copied); null for <see cref="CausalLabelOptions"/> defaults.</param>
    /// <param name="backboneFactory">Creates named backbones (device, default name, seed from DI); null uses <see cref="Backbone.Create"/> on the CPU with "resnet18" as the default name.</param>
    public CausalLabelModelBuilder(CausalLabelOptions? defaults = null, IBackboneFactory? backboneFactory = null)
    {
        options = defaults?.Clone() ?? new CausalLabelOptions();
        factory = backboneFactory;
    }

    /// <summary>Uses a registered backbone (see <c>BackboneRegistry.Names</c>).</summary>
    /// <param name="name">The registry name.</param>
    /// <param name="backbone">Backbone options; null for defaults.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithBackbone(string name, BackboneOptions? backbone = null)
    {
        ThrowIfBuilt();
        backboneName = name;
        backboneOptions = backbone?.Clone();
        backboneInstance = null;
        return this;
    }

    /// <summary>Uses a backbone instance; the built model takes ownership of it.</summary>
    /// <param name="backbone">The backbone.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithBackbone(Backbone backbone)
    {
        ThrowIfBuilt();
        backboneInstance = backbone;
        backboneName = null;
        return this;
    }

    /// <summary>Sets the number of labels L.</summary>
    /// <param name="count">L.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithLabels(int count)
    {
        ThrowIfBuilt();
        options.NumLabels = count;
        labelNames = null;
        return this;
    }

    /// <summary>Sets the labels by name (L = their count).</summary>
    /// <param name="names">The label names.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithLabels(IReadOnlyList<string> names)
    {
        ThrowIfBuilt();
        labelNames = names;
        options.NumLabels = names?.Count ?? 0;
        return this;
    }

    /// <summary>Sets the number of confounders K (Causal variant).</summary>
    /// <param name="k">K; default 80.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithConfounders(int k)
    {
        ThrowIfBuilt();
        options.NumConfounders = k;
        return this;
    }

    /// <summary>Sets the model dimension d.</summary>
    /// <param name="dim">d; default 256.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithModelDim(int dim)
    {
        ThrowIfBuilt();
        options.ModelDim = dim;
        return this;
    }

    /// <summary>Sets the attention heads.</summary>
    /// <param name="heads">Heads; default 8; must divide d.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithHeads(int heads)
    {
        ThrowIfBuilt();
        options.Heads = heads;
        return this;
    }

    /// <summary>Sets the decoder layers.</summary>
    /// <param name="layers">Layers; default 2.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithDecoderLayers(int layers)
    {
        ThrowIfBuilt();
        options.DecoderLayers = layers;
        return this;
    }

    /// <summary>Sets how the causal prediction fuses with the baseline (Causal variant).</summary>
    /// <param name="fusion">The fusion; default <see cref="CausalFusion.SumLogits"/>.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithFusion(CausalFusion fusion)
    {
        ThrowIfBuilt();
        options.Fusion = fusion;
        return this;
    }

    /// <summary>Sets the Table 3 variant.</summary>
    /// <param name="value">The variant; default <see cref="CausalLabelVariant.Causal"/>.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithVariant(CausalLabelVariant value)
    {
        ThrowIfBuilt();
        variant = value;
        return this;
    }

    /// <summary>Seeds TorchSharp's global generator right before the modules are created (reproducible initialisation).</summary>
    /// <param name="value">The seed.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder WithSeed(long value)
    {
        ThrowIfBuilt();
        seed = value;
        return this;
    }

    /// <summary>Edits any head option directly.</summary>
    /// <param name="configure">The edit.</param>
    /// <returns>This builder.</returns>
    public CausalLabelModelBuilder Configure(Action<CausalLabelOptions> configure)
    {
        ThrowIfBuilt();
        ArgumentNullException.ThrowIfNull(configure);
        configure(options);
        return this;
    }

    /// <summary>
    /// Validates and builds. <see cref="CausalLabelOptions.InputDim"/> and (when unset)
    /// <see cref="CausalLabelOptions.ConfounderDim"/> are taken from the backbone's feature dimension
    /// (the dictionary clusters the backbone's spatial features).
    /// </summary>
    /// <returns>The model (the caller disposes it).</returns>
    /// <exception cref="InvalidOperationException">The builder was already used.</exception>
    /// <exception cref="ArgumentException">Invalid settings; the message names the setting.</exception>
    public CausalLabelModel Build()
    {
        Runtime.TorchRuntime.EnsureAvailable(); // one clear message (the fix) instead of a native trace
        ThrowIfBuilt();
        built = true;

        // Every problem at once, before creating (possibly large) modules; the input and confounder dimensions are
        // placeholders until the backbone is known.
        var problems = new List<string>();
        if (options.NumLabels < 1)
        {
            problems.Add("the label set is empty; call WithLabels(count) or WithLabels(names) with at least one label.");
        }

        if (labelNames is not null && labelNames.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("a label name is null or blank.");
        }

        if (!Enum.IsDefined(variant))
        {
            problems.Add($"unknown variant {variant}.");
        }

        if (backboneName is not null && string.IsNullOrWhiteSpace(backboneName))
        {
            problems.Add("the backbone name is blank.");
        }

        var probe = options.Clone();
        probe.InputDim = 1;
        probe.NumLabels = Math.Max(1, probe.NumLabels);
        probe.UseIntervention = variant == CausalLabelVariant.Causal;
        if (!probe.UseIntervention)
        {
            probe.Fusion = CausalFusion.SumLogits;
        }

        problems.AddRange(probe.Problems());
        if (problems.Count > 0)
        {
            throw new ArgumentException("CausalLabelModelBuilder: " + string.Join(" ", problems));
        }

        if (seed is long s)
        {
            torch.manual_seed(s);
        }

        var backbone = backboneInstance ?? CreateBackbone();
        try
        {
            var o = options.Clone();
            o.InputDim = checked((int)backbone.FeatureDim);
            o.ConfounderDim ??= o.InputDim;
            var model = new CausalLabelModel(backbone, o, variant, labelNames);
            if (factory is not null && factory.Device.type != DeviceType.CPU)
            {
                model.to(factory.Device);
            }

            return model;
        }
        catch
        {
            if (backboneInstance is null)
            {
                backbone.Dispose();
            }

            throw;
        }
    }

    private void ThrowIfBuilt()
    {
        if (built)
        {
            throw new InvalidOperationException("CausalLabelModelBuilder is single-use: Build() was already called; create a new builder.");
        }
    }

    private Backbone CreateBackbone()
    {
        if (factory is not null)
        {
            return factory.Create(backboneName, backboneOptions);
        }

        var o = backboneOptions?.Clone() ?? new BackboneOptions();
        if (seed is long s)
        {
            o.Seed ??= s;
        }

        return Backbone.Create(backboneName ?? "resnet18", o);
    }
}
