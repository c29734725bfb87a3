// Fluent, single-use builder of VSCNet (Meng et al., AAAI 2025): backbone, regions J, tag vocabulary M, classes S,
// ablation (Table 3 rows) and options; validates everything at Build() and lists every problem at once. Like
// CausalLabelModelBuilder it leaves TorchSharp's global generator alone unless asked (WithSeed).
using CausalVision.Backbones;
using CausalVision.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Vscnet;

/// <summary>Builds a ready <see cref="VscNet"/>.</summary>
/// <example>
/// <code>
/// using var model = new VscNetBuilder()
///     .WithBackbone("resnet18")
///     .WithRegions(10)
///     .WithTagVocabulary(info.Tags)
///     .WithClasses(info.Classes)
///     .WithAblation(VscNetAblation.Full)
///     .WithSeed(0)
///     .Configure(o => o.Refinement.AlphaF = 0.2)
///     .Build();
/// </code>
/// </example>
public sealed class VscNetBuilder
{
    private readonly VscNetOptions options;
    private readonly DependencyInjection.IBackboneFactory? factory;
    private Backbone? backbone;
    private string? backboneName;
    private string[]? tags;
    private string[]? classes;
    private bool multiLabel;
    private long? seed;
    private bool built;

    /// <summary>Initializes a new instance of the <see cref="VscNetBuilder"/> class.</summary>
    /// <param name="defaults">Options to start from (copied); null for the defaults.</param>
    /// <param name="backboneFactory">Creates named backbones (seed, device) and sets the device of the model and of its
    /// training (<see cref="VscTrainingOptions.Device"/>); null for <see cref="BackboneRegistry"/> on the CPU.
    /// Dependency injection passes the registered one (<c>AddCausalVision</c>).</param>
    public VscNetBuilder(VscNetOptions? defaults = null, DependencyInjection.IBackboneFactory? backboneFactory = null)
    {
        options = defaults?.Clone() ?? new VscNetOptions();
        factory = backboneFactory;
    }

    /// <summary>Uses a backbone from the registry (see <c>BackboneRegistry.Names</c>), created with
    /// <see cref="VscBackboneOptions.Options"/>.</summary>
    /// <param name="name">The registry name, e.g. "resnet18".</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithBackbone(string name)
    {
        ThrowIfBuilt();
        backboneName = name;
        backbone = null;
        return this;
    }

    /// <summary>Uses an existing backbone; the model takes ownership of it.</summary>
    /// <param name="instance">The backbone.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithBackbone(Backbone instance)
    {
        ThrowIfBuilt();
        backbone = instance ?? throw new ArgumentNullException(nameof(instance));
        backboneName = null;
        return this;
    }

    /// <summary>Sets the number J of located regions (CSNet steps).</summary>
    /// <param name="regions">J; the paper selects it from {5, 10, 15}.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithRegions(int regions)
    {
        ThrowIfBuilt();
        options.Fva.Steps = regions;
        return this;
    }

    /// <summary>Sets the tag vocabulary (M names, distinct).</summary>
    /// <param name="names">The tag names in id order.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithTagVocabulary(IEnumerable<string> names)
    {
        ThrowIfBuilt();
        tags = (names ?? throw new ArgumentNullException(nameof(names))).ToArray();
        return this;
    }

    /// <summary>Sets the number of classes (named "0".."S-1").</summary>
    /// <param name="count">S.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithClasses(int count)
    {
        ThrowIfBuilt();
        classes = count < 0 ? new string[0] : Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return this;
    }

    /// <summary>Sets the class names (S, distinct).</summary>
    /// <param name="names">The class names in id order.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithClasses(IEnumerable<string> names)
    {
        ThrowIfBuilt();
        classes = (names ?? throw new ArgumentNullException(nameof(names))).ToArray();
        return this;
    }

    /// <summary>Marks the classes as multi-label (sigmoid probabilities, BCE class loss).</summary>
    /// <param name="value">Whether the task is multi-label.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithMultiLabel(bool value = true)
    {
        ThrowIfBuilt();
        multiLabel = value;
        return this;
    }

    /// <summary>Takes tags, classes and the multi-label flag from a dataset's description.</summary>
    /// <param name="info">The dataset description.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder ForDataset(DatasetInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return WithTagVocabulary(info.Tags).WithClasses(info.Classes).WithMultiLabel(info.MultiLabel);
    }

    /// <summary>Sets the components (a Table 3 row).</summary>
    /// <param name="ablation">The components.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithAblation(VscNetAblation ablation)
    {
        ThrowIfBuilt();
        options.Ablation = ablation;
        return this;
    }

    /// <summary>Switches one component on or off.</summary>
    /// <param name="component">The component flag.</param>
    /// <param name="enabled">Whether it is on.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithComponent(VscNetAblation component, bool enabled = true)
    {
        ThrowIfBuilt();
        options.Ablation = enabled ? options.Ablation | component : options.Ablation & ~component;
        return this;
    }

    /// <summary>Seeds TorchSharp's global generator right before the modules are created (reproducible initialisation),
    /// and the backbone with the same seed unless <see cref="VscBackboneOptions.Options"/> has its own
    /// (<see cref="BackboneOptions.Seed"/>). Without it the builder leaves the global generator's state as it finds it
    /// (creating modules draws from it). <see cref="VscTrainingOptions.Seed"/> is the training run's seed, not this one.</summary>
    /// <param name="value">The seed.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder WithSeed(long value)
    {
        ThrowIfBuilt();
        seed = value;
        return this;
    }

    /// <summary>Edits the options.</summary>
    /// <param name="configure">The edit.</param>
    /// <returns>This builder.</returns>
    public VscNetBuilder Configure(Action<VscNetOptions> configure)
    {
        ThrowIfBuilt();
        ArgumentNullException.ThrowIfNull(configure);
        configure(options);
        return this;
    }

    /// <summary>Validates everything and builds the model (in training mode, stage 1, on the CPU). The global generator
    /// is seeded only when <see cref="WithSeed"/> was called; the fields of the component options that VSCNet derives are
    /// filled in on the model's copies (see <see cref="VscNetOptions"/>).</summary>
    /// <returns>The model (owned by the caller).</returns>
    /// <exception cref="ArgumentException">The configuration is invalid; the message lists every problem.</exception>
    /// <exception cref="InvalidOperationException">The builder was already used.</exception>
    public VscNet Build()
    {
        Runtime.TorchRuntime.EnsureAvailable(); // one clear message (the fix) instead of a native trace
        ThrowIfBuilt();
        var problems = new List<string>(options.Problems());
        if (tags is null || tags.Length == 0)
        {
            problems.Add("The tag vocabulary is empty: call WithTagVocabulary(names).");
        }
        else
        {
            CheckNames(tags, "tag", problems);
        }

        if (classes is null || classes.Length < 2)
        {
            problems.Add($"At least 2 classes are needed (call WithClasses) but {classes?.Length ?? 0} were given.");
        }
        else
        {
            CheckNames(classes, "class", problems);
            problems.AddRange(options.DataProblems(classes.Length, backbone?.FeatureDim, multiLabel));
        }

        if (backbone is null && backboneName is null)
        {
            backboneName = options.Backbone?.Name;
        }

        if (backbone is null && string.IsNullOrWhiteSpace(backboneName))
        {
            problems.Add("No backbone: call WithBackbone(name or instance).");
        }
        else if (backbone is null && !BackboneRegistry.Names.Contains(backboneName!, StringComparer.OrdinalIgnoreCase))
        {
            problems.Add($"Unknown backbone '{backboneName}'. Known backbones: {string.Join(", ", BackboneRegistry.Names)}.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Cannot build VscNet: " + string.Join(" ", problems));
        }

        built = true;
        if (seed is long s)
        {
            random.manual_seed(s);
        }

        var b = backbone;
        if (b is null)
        {
            var bo = options.Backbone!.Options.Clone();
            bo.NumClasses = 0;
            if (seed is long backboneSeed)
            {
                bo.Seed ??= backboneSeed;
            }

            b = factory is null ? Backbone.Create(backboneName!, bo) : factory.Create(backboneName!, bo);

            // The backbone's width is known now: the fusion's visual width must match it.
            var late = options.DataProblems(classes!.Length, b.FeatureDim, multiLabel).ToList();
            if (late.Count > 0)
            {
                b.Dispose();
                throw new ArgumentException("Cannot build VscNet: " + string.Join(" ", late));
            }
        }

        if (factory is not null)
        {
            options.Training.Device = factory.Device.ToString();
        }

        var model = new VscNet(b, tags!, classes!, multiLabel, options);
        if (factory is not null && factory.Device.type != DeviceType.CPU)
        {
            model.to(factory.Device);
        }

        return model;
    }

    private static void CheckNames(string[] names, string kind, List<string> problems)
    {
        if (names.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"A {kind} name is empty.");
        }

        var duplicate = names.Where(n => n is not null).GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            problems.Add($"The {kind} name '{duplicate.Key}' appears more than once.");
        }
    }

    private void ThrowIfBuilt()
    {
        if (built)
        {
            throw new InvalidOperationException("This VscNetBuilder has already built a model; builders are single-use.");
        }
    }
}
