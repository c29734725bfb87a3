// The backbone registry: names -> factories, with timm-style aliases and pretrained loading.
using CausalVision.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// Creates backbones by name: <c>resnet18</c>, <c>resnet50</c>, <c>vit_tiny_patch16</c>,
/// <c>vit_small_patch16</c>, <c>vit_base_patch16</c>, the pretrained <c>resnet18-imagenet</c>
/// (<see cref="ImageNetResNet18"/>, whose PretrainedPath is its ONNX file), plus any registered with <see cref="Register"/>.
/// Names are case-insensitive; timm aliases such as <c>vit_tiny_patch16_224</c> or tagged names such as
/// <c>resnet50.tv_in1k</c> resolve to the canonical name.
/// </summary>
/// <remarks>Thread-safe. <see cref="Backbone.Create"/> is a shortcut to <see cref="Create"/>.</remarks>
public static class BackboneRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Func<BackboneOptions, Backbone>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["resnet18"] = o => ResNet.ResNet18(o),
        ["resnet50"] = o => ResNet.ResNet50(o),
        ["vit_tiny_patch16"] = o => VisionTransformer.VitTiny(o),
        ["vit_small_patch16"] = o => VisionTransformer.VitSmall(o),
        ["vit_base_patch16"] = o => VisionTransformer.VitBase(o),
        [ImageNetResNet18.RegistryName] = o => ImageNetResNet18.Create(o),
    };

    private static readonly HashSet<string> BuiltIn = new(Factories.Keys, StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the canonical registered names, sorted.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate)
            {
                return Factories.Keys.Order(StringComparer.Ordinal).ToArray();
            }
        }
    }

    /// <summary>Returns whether <paramref name="name"/> (or an alias of it) is registered.</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when <see cref="Create"/> would find a factory.</returns>
    public static bool Contains(string name) => TryResolve(name, out _);

    /// <summary>
    /// Creates a backbone and, when <see cref="BackboneOptions.PretrainedPath"/> is set, loads its
    /// weights strictly (head keys dropped when <see cref="BackboneOptions.NumClasses"/> is 0, a
    /// <c>module.</c> prefix stripped, a ViT <c>pos_embed</c> resampled to the configured grid).
    /// </summary>
    /// <param name="name">A registered name or alias.</param>
    /// <param name="options">Options (validated); null for defaults.</param>
    /// <returns>The backbone, in training mode; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones) or invalid options.</exception>
    /// <exception cref="InvalidDataException">The weights file is corrupt or does not match.</exception>
    public static Backbone Create(string name, BackboneOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        options ??= new BackboneOptions();
        options.Validate();
        if (!TryResolve(name, out var factory))
        {
            throw new ArgumentException($"Unknown backbone '{name}'. Known backbones: {string.Join(", ", Names)}. Register others with BackboneRegistry.Register.", nameof(name));
        }

        var backbone = factory(options) ?? throw new InvalidOperationException($"The factory registered for backbone '{name}' returned null.");
        if (options.PretrainedPath is { } path && backbone is not ImageNetResNet18)
        {
            try
            {
                LoadPretrained(backbone, path);
            }
            catch
            {
                backbone.Dispose();
                throw;
            }
        }

        return backbone;
    }

    /// <summary>Registers a user backbone factory under <paramref name="name"/>.</summary>
    /// <param name="name">Letters, digits, '_' or '-'; must not be registered yet.</param>
    /// <param name="factory">Builds a backbone from validated options.</param>
    /// <exception cref="ArgumentException">The name is invalid or already registered.</exception>
    public static void Register(string name, Func<BackboneOptions, Backbone> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ArgumentException($"Backbone name '{name}' may only contain ASCII letters, digits, '_' and '-'.", nameof(name));
        }

        lock (Gate)
        {
            if (!Factories.TryAdd(name, factory))
            {
                throw new ArgumentException($"A backbone named '{name}' is already registered.", nameof(name));
            }
        }
    }

    /// <summary>Removes a user-registered backbone; built-in names cannot be removed.</summary>
    /// <param name="name">The name given to <see cref="Register"/>.</param>
    /// <returns>True when it was removed.</returns>
    /// <exception cref="ArgumentException">The name is a built-in backbone.</exception>
    public static bool Unregister(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (BuiltIn.Contains(name))
        {
            throw new ArgumentException($"'{name}' is a built-in backbone and cannot be unregistered.", nameof(name));
        }

        lock (Gate)
        {
            return Factories.Remove(name);
        }
    }

    private static bool TryResolve(string name, out Func<BackboneOptions, Backbone> factory)
    {
        var n = name.Trim();
        var dot = n.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            n = n[..dot]; // timm pretrained tag, e.g. "vit_base_patch16_224.augreg_in21k".
        }

        lock (Gate)
        {
            if (Factories.TryGetValue(n, out factory!))
            {
                return true;
            }

            // timm spells the ViTs with their training size: vit_tiny_patch16_224.
            if (n.EndsWith("_224", StringComparison.Ordinal) && n.StartsWith("vit_", StringComparison.OrdinalIgnoreCase)
                && Factories.TryGetValue(n[..^4], out factory!))
            {
                return true;
            }
        }

        factory = null!;
        return false;
    }

    private static void LoadPretrained(Backbone backbone, string path)
    {
        var options = new StateDictLoadOptions { Strict = true };
        options.StripPrefixes.Add("module.");
        if (backbone.NumClasses == 0 && backbone.HeadPrefix is { } head)
        {
            options.IgnoreSourcePrefixes.Add(head + ".");
        }

        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using var tensors = SafeTensors.Load(path);
            var remapped = StateDictLoader.RemapKeys(tensors, options);
            backbone.AdaptStateDict(remapped);
            try
            {
                StateDictLoader.Load(backbone, remapped, new StateDictLoadOptions { Strict = true }, path);
            }
            catch (StateDictMismatchException ex)
            {
                throw new InvalidDataException($"Weights file '{path}' does not match backbone {backbone.BackboneName}: {ex.Report}.", ex);
            }
            finally
            {
                foreach (var (key, tensor) in remapped)
                {
                    if (!tensors.TryGetValue(key, out var original) || !ReferenceEquals(original, tensor))
                    {
                        tensor.Dispose();
                    }
                }
            }
        }
        else
        {
            StateDictLoader.LoadTorchSharp(backbone, path, strict: backbone.NumClasses > 0);
        }
    }
}
