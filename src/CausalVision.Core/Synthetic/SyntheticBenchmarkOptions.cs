// Options of the built-in synthetic benchmark with known causal structure.
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Synthetic;

/// <summary>
/// Options of <see cref="SyntheticBenchmark.Generate(SyntheticBenchmarkOptions)"/>. Every default
/// is documented; <see cref="Validate"/> (called by <c>Generate</c>) rejects bad values with a
/// message naming the option.
/// </summary>
public sealed class SyntheticBenchmarkOptions : IValidatableObject
{
    /// <summary>The largest object vocabulary: 6 shapes x 8 colours.</summary>
    public const int MaxShapes = 6;

    /// <summary>The number of colours available for objects.</summary>
    public const int MaxColors = 8;

    /// <summary>Gets or sets the dataset name written to the manifest.</summary>
    /// <value>Default <c>"synthetic-recipes"</c> (<c>"synthetic-multilabel"</c> is a good name for the multi-label variant).</value>
    [Required(ErrorMessage = "SyntheticBenchmarkOptions.Name must be a non-empty name.")]
    public string Name { get; set; } = "synthetic-recipes";

    /// <summary>Gets or sets the image side in pixels (images are square, RGB).</summary>
    /// <value>Default 64. Range [16, 1024].</value>
    [Range(16, 1024)]
    public int ImageSize { get; set; } = 64;

    /// <summary>Gets or sets the number of classes (recipes) of the single-label variant.</summary>
    /// <value>Default 10. Range [2, 1000].</value>
    [Range(2, 1000)]
    public int ClassCount { get; set; } = 10;

    /// <summary>Gets or sets how many shapes the object vocabulary uses, in the order of <see cref="SyntheticShape"/>.</summary>
    /// <value>Default 6 (circle, square, triangle, cross, ring, diamond). Range [1, 6].</value>
    [Range(1, MaxShapes)]
    public int ShapeCount { get; set; } = 6;

    /// <summary>Gets or sets how many colours the object vocabulary uses (red, green, blue, yellow, magenta, cyan, orange, purple).</summary>
    /// <value>Default 4 (red, green, blue, yellow), giving 6 x 4 = 24 objects (= tags). Range [1, 8].</value>
    [Range(1, MaxColors)]
    public int ColorCount { get; set; } = 4;

    /// <summary>Gets or sets the smallest number of objects in a class recipe.</summary>
    /// <value>Default 2. Range [1, 8].</value>
    [Range(1, 8)]
    public int RecipeSizeMin { get; set; } = 2;

    /// <summary>Gets or sets the largest number of objects in a class recipe.</summary>
    /// <value>Default 3. Range [1, 8]; at least <see cref="RecipeSizeMin"/>, at most <see cref="MaxObjectsPerImage"/>.</value>
    [Range(1, 8)]
    public int RecipeSizeMax { get; set; } = 3;

    /// <summary>Gets or sets the fewest objects drawn in one image.</summary>
    /// <value>Default 1. Range [1, 16].</value>
    [Range(1, 16)]
    public int MinObjectsPerImage { get; set; } = 1;

    /// <summary>Gets or sets the most objects drawn in one image (recipe objects plus distractors).</summary>
    /// <value>Default 4. Range [1, 16].</value>
    [Range(1, 16)]
    public int MaxObjectsPerImage { get; set; } = 4;

    /// <summary>
    /// Gets or sets the probability that one recipe object is left out of an image (only for
    /// recipes of 2 or more objects), so that recipe objects are "mostly present".
    /// </summary>
    /// <value>Default 0.1. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double RecipeObjectDropProbability { get; set; } = 0.1;

    /// <summary>Gets or sets the texture families that contexts cycle through.</summary>
    /// <value>Default all six: stripes, checks, dots, noise, gradient, waves. Must be non-empty and without duplicates.</value>
    public IList<TextureFamily> ContextFamilies { get; set; } =
        [TextureFamily.Stripes, TextureFamily.Checks, TextureFamily.Dots, TextureFamily.Noise, TextureFamily.Gradient, TextureFamily.Waves];

    /// <summary>
    /// Gets or sets the number of contexts (background textures). Context k uses family
    /// <c>ContextFamilies[k % families]</c> with palette/frequency variant <c>k / families</c>.
    /// Class y is tied to context <c>y % ContextCount</c>.
    /// </summary>
    /// <value>Default null: one context per class (<see cref="ClassCount"/>). Range [2, 1000].</value>
    [Range(2, 1000)]
    public int? ContextCount { get; set; }

    /// <summary>
    /// Gets or sets p, the spurious correlation. Single-label: P(context = tied context of the class)
    /// in train and test_iid (test_ood: context uniform, independent of the class). Multi-label:
    /// P(c present | b present) for every biased pair (b, c) in train and test_iid.
    /// </summary>
    /// <value>Default 0.9. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double SpuriousCorrelation { get; set; } = 0.9;

    /// <summary>Gets or sets the number of training samples.</summary>
    /// <value>Default 5000. Range [1, 100000000].</value>
    [Range(1, 100_000_000)]
    public int TrainSize { get; set; } = 5000;

    /// <summary>Gets or sets the number of test_iid samples.</summary>
    /// <value>Default 1000. Range [1, 100000000].</value>
    [Range(1, 100_000_000)]
    public int TestIidSize { get; set; } = 1000;

    /// <summary>Gets or sets the number of test_ood samples.</summary>
    /// <value>Default 1000. Range [1, 100000000].</value>
    [Range(1, 100_000_000)]
    public int TestOodSize { get; set; } = 1000;

    /// <summary>
    /// Gets or sets the number of validation samples ("val"): drawn like training (same p), its own
    /// samples, for model selection and early stopping. 0 leaves the split out (as before it existed).
    /// </summary>
    /// <value>Default 0. Range [0, 100000000].</value>
    [Range(0, 100_000_000)]
    public int ValidationSize { get; set; }

    /// <summary>Gets or sets the seed: the same seed gives the same recipes, contexts and pixels.</summary>
    /// <value>Default 0.</value>
    public int Seed { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether to build the multi-label variant (paper-B
    /// protocol): labels are the objects present, biased object pairs co-occur with
    /// probability <see cref="SpuriousCorrelation"/> in training.
    /// </summary>
    /// <value>Default false.</value>
    public bool MultiLabel { get; set; }

    /// <summary>Gets or sets the number of biased object pairs (b, c) of the multi-label variant; pairs are disjoint.</summary>
    /// <value>Default 4. Range [1, 24]; 2 x pairs must not exceed the vocabulary.</value>
    [Range(1, 24)]
    public int BiasedPairCount { get; set; } = 4;

    /// <summary>Gets or sets P(c present | b present) in the multi-label test_ood split (balanced exclusive / co-occur cases).</summary>
    /// <value>Default 0.5. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double OodCooccurrence { get; set; } = 0.5;

    /// <summary>Gets or sets the smallest object radius as a fraction of <see cref="ImageSize"/>.</summary>
    /// <value>Default 0.09 (about 6 pixels at 64). Range [0.02, 0.5].</value>
    [Range(0.02, 0.5)]
    public double ObjectScaleMin { get; set; } = 0.09;

    /// <summary>Gets or sets the largest object radius as a fraction of <see cref="ImageSize"/>.</summary>
    /// <value>Default 0.15 (about 10 pixels at 64). Range [0.02, 0.5]; at least <see cref="ObjectScaleMin"/>.</value>
    [Range(0.02, 0.5)]
    public double ObjectScaleMax { get; set; } = 0.15;

    /// <summary>Gets or sets a value indicating whether shape edges are anti-aliased (one-pixel coverage ramp).</summary>
    /// <value>Default true.</value>
    public bool AntiAlias { get; set; } = true;

    /// <summary>Gets the number of objects in the vocabulary (<see cref="ShapeCount"/> x <see cref="ColorCount"/>).</summary>
    public int ObjectCount => ShapeCount * ColorCount;

    /// <summary>Gets the effective number of contexts (<see cref="ContextCount"/> or <see cref="ClassCount"/>).</summary>
    public int EffectiveContextCount => ContextCount ?? ClassCount;

    /// <summary>Checks every option (the attribute rules, via <see cref="SyntheticBenchmarkOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new SyntheticBenchmarkOptionsValidator(), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        // Cross-field rules; the per-property ranges are attributes. The vocabulary rules only make sense
        // once ShapeCount and ColorCount are in range (else the range failure is the one to report).
        var vocabulary = ShapeCount >= 1 && ColorCount >= 1;
        if (RecipeSizeMin > RecipeSizeMax)
        {
            yield return Bad(nameof(RecipeSizeMin), $"RecipeSizeMin ({RecipeSizeMin}) must not exceed RecipeSizeMax ({RecipeSizeMax}).");
        }

        if (MinObjectsPerImage > MaxObjectsPerImage)
        {
            yield return Bad(nameof(MinObjectsPerImage), $"MinObjectsPerImage ({MinObjectsPerImage}) must not exceed MaxObjectsPerImage ({MaxObjectsPerImage}).");
        }

        if (!MultiLabel && RecipeSizeMax > MaxObjectsPerImage)
        {
            yield return Bad(nameof(RecipeSizeMax), $"RecipeSizeMax ({RecipeSizeMax}) must not exceed MaxObjectsPerImage ({MaxObjectsPerImage}): a full recipe must fit in one image.");
        }

        if (!MultiLabel && RecipeSizeMax < 2)
        {
            yield return Bad(nameof(RecipeSizeMax), $"RecipeSizeMax ({RecipeSizeMax}) must be at least 2 so that classes can share objects and still differ.");
        }

        if (vocabulary && MaxObjectsPerImage > ObjectCount)
        {
            yield return Bad(nameof(MaxObjectsPerImage), $"MaxObjectsPerImage ({MaxObjectsPerImage}) exceeds the object vocabulary ({ShapeCount} shapes x {ColorCount} colours = {ObjectCount}).");
        }

        if (vocabulary && !MultiLabel && RecipeSizeMax >= ObjectCount)
        {
            yield return Bad(nameof(RecipeSizeMax), $"the object vocabulary ({ObjectCount}) must be larger than RecipeSizeMax ({RecipeSizeMax}) so that classes can share objects and still differ.");
        }

        if (ObjectScaleMin > ObjectScaleMax)
        {
            yield return Bad(nameof(ObjectScaleMin), $"ObjectScaleMin ({ObjectScaleMin.ToString(CultureInfo.InvariantCulture)}) must not exceed ObjectScaleMax ({ObjectScaleMax.ToString(CultureInfo.InvariantCulture)}).");
        }

        if (ContextFamilies is null || ContextFamilies.Count == 0)
        {
            yield return Bad(nameof(ContextFamilies), "at least one texture family is required.");
        }
        else
        {
            if (ContextFamilies.Distinct().Count() != ContextFamilies.Count)
            {
                yield return Bad(nameof(ContextFamilies), "texture families must not repeat (use ContextCount for more contexts per family).");
            }

            if (ContextFamilies.Any(f => !Enum.IsDefined(f)))
            {
                yield return Bad(nameof(ContextFamilies), "contains an undefined texture family.");
            }
        }

        if (vocabulary && MultiLabel && 2 * BiasedPairCount > ObjectCount)
        {
            yield return Bad(nameof(BiasedPairCount), $"{BiasedPairCount} disjoint biased pairs need {2 * BiasedPairCount} objects, but the vocabulary has {ObjectCount}.");
        }

        if (MultiLabel && MaxObjectsPerImage < 2)
        {
            yield return Bad(nameof(MaxObjectsPerImage), "the multi-label variant needs MaxObjectsPerImage >= 2 so that pairs can co-occur.");
        }

        static ValidationResult Bad(string option, string message) => new($"SyntheticBenchmarkOptions.{option}: {message}", [option]);
    }

    /// <summary>
    /// Today's defaults (10 classes, p = 0.9, objects of radius 0.09-0.15 x size, no validation
    /// split): the benchmark the QuickStart and the README figures use. Same as <c>new()</c>; named
    /// so that code which must reproduce old figures says so.
    /// </summary>
    /// <returns>New options with the default values.</returns>
    public static SyntheticBenchmarkOptions Legacy() => new();

    /// <summary>
    /// The robustness-evaluation preset: 6 classes tied to 6 contexts (one per texture family, 36
    /// (class, context) groups), objects of radius 8-12 px at 64 px (<see cref="ObjectScaleMin"/>
    /// 0.125, <see cref="ObjectScaleMax"/> 0.1875), p = 0.95, 4000 training, 1000 validation,
    /// 1000 test_iid and 3000 test_ood samples (about 83 per group in test_ood, so that
    /// worst-group accuracy is not dominated by tiny groups).
    /// </summary>
    /// <param name="spuriousCorrelation">p, the spurious correlation of train, val and test_iid.</param>
    /// <returns>New options.</returns>
    public static SyntheticBenchmarkOptions Robustness(double spuriousCorrelation = 0.95) => new()
    {
        Name = "synthetic-robustness",
        ClassCount = 6,
        ObjectScaleMin = 0.125,
        ObjectScaleMax = 0.1875,
        SpuriousCorrelation = spuriousCorrelation,
        TrainSize = 4000,
        ValidationSize = 1000,
        TestIidSize = 1000,
        TestOodSize = 3000,
    };

    /// <summary>
    /// A copy with the shortcut removed from every split: p = 1 / contexts, so the context is
    /// uniform and independent of the class (the "unbiased" variant that trains the ceiling).
    /// Recipes, contexts and object vocabulary are the same as this options' (they depend on the
    /// seed, not on p).
    /// </summary>
    /// <returns>The unbiased copy.</returns>
    public SyntheticBenchmarkOptions Unbiased()
    {
        var copy = Clone();
        copy.SpuriousCorrelation = 1.0 / EffectiveContextCount;
        return copy;
    }

    /// <summary>Returns a shallow copy (the family list is copied too).</summary>
    /// <returns>The copy.</returns>
    public SyntheticBenchmarkOptions Clone()
    {
        var copy = (SyntheticBenchmarkOptions)MemberwiseClone();
        copy.ContextFamilies = ContextFamilies is null ? null! : [.. ContextFamilies];
        return copy;
    }
}

/// <summary>Source-generated validator of <see cref="SyntheticBenchmarkOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class SyntheticBenchmarkOptionsValidator : IValidateOptions<SyntheticBenchmarkOptions>
{
}
