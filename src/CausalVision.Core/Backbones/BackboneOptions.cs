// Options shared by every registered backbone factory.
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Backbones;

/// <summary>Options for <see cref="BackboneRegistry.Create"/>; validated by <see cref="Validate"/> when a backbone is created.</summary>
public sealed class BackboneOptions : IValidatableObject
{
    /// <summary>Gets or sets a weights file loaded after construction (<c>.safetensors</c>, else TorchSharp's own format).</summary>
    /// <value>Default <c>null</c> (random initialisation). Head keys (<c>fc.*</c>, <c>head.*</c>) are dropped when <see cref="NumClasses"/> is 0; everything else must match (strict). For <c>resnet18-imagenet</c> it is the <c>ResNet18.onnx</c> file (null: found in the NuGet package folder).</value>
    public string? PretrainedPath { get; set; }

    /// <summary>Gets or sets a value indicating whether ResNets use the CIFAR-style stem (3x3 stride-1 conv, no max-pool) for 32-64 px images.</summary>
    /// <value>Default <c>false</c> (torchvision's 7x7 stride-2 conv and max-pool). ViTs ignore it.</value>
    public bool SmallInputStem { get; set; }

    /// <summary>Gets or sets the training image size; sets the ViT position-embedding grid (ImageSize / 16). ResNets ignore it.</summary>
    /// <value>Default 224. Other input sizes still work: the ViT interpolates its position embeddings (bicubic).</value>
    [Range(16, 4096)]
    public int ImageSize { get; set; } = 224;

    /// <summary>Gets or sets the number of input channels.</summary>
    /// <value>Default 3.</value>
    [Range(1, 64)]
    public int InChannels { get; set; } = 3;

    /// <summary>Gets or sets the classes of the built-in head (torchvision <c>fc</c>, timm <c>head</c>); 0 builds none.</summary>
    /// <value>Default 0 (features only; <see cref="BackboneClassifier"/> adds its own head).</value>
    [Range(0, 1_000_000)]
    public int NumClasses { get; set; }

    /// <summary>Gets or sets the stochastic-depth rate of the last ViT block (linearly increasing from 0 over depth, as in timm).</summary>
    /// <value>Default 0. ResNets ignore it.</value>
    [Range(0.0, 0.99)]
    public double DropPathRate { get; set; }

    /// <summary>Gets or sets the dropout rate (ViT: after the position embedding, the attention projection and in the MLP).</summary>
    /// <value>Default 0. ResNets ignore it.</value>
    [Range(0.0, 0.99)]
    public double DropRate { get; set; }

    /// <summary>Gets or sets the attention-probability dropout rate of ViTs.</summary>
    /// <value>Default 0. ResNets ignore it.</value>
    [Range(0.0, 0.99)]
    public double AttentionDropRate { get; set; }

    /// <summary>Gets or sets a seed for the initial weights: when set, the global generator is seeded (<c>torch.manual_seed</c>) right before construction; null leaves it alone.</summary>
    /// <value>Default <c>null</c>.</value>
    public long? Seed { get; set; }

    /// <summary>Returns a shallow copy.</summary>
    /// <returns>The copy.</returns>
    public BackboneOptions Clone() => (BackboneOptions)MemberwiseClone();

    /// <summary>Checks every option (the attribute rules, via <see cref="BackboneOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new BackboneOptionsValidator(), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (PretrainedPath is null)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(PretrainedPath))
        {
            yield return new ValidationResult("BackboneOptions.PretrainedPath is empty; use null for random initialisation.", [nameof(PretrainedPath)]);
        }
        else if (!File.Exists(PretrainedPath))
        {
            yield return new ValidationResult($"BackboneOptions.PretrainedPath '{PretrainedPath}' does not exist.", [nameof(PretrainedPath)]);
        }
    }
}

/// <summary>Source-generated validator of <see cref="BackboneOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class BackboneOptionsValidator : IValidateOptions<BackboneOptions>
{
}
