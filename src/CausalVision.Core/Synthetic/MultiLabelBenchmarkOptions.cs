// Options of the multi-label benchmark with headroom for label-correlation methods: enough exclusive
// (b without c) examples per biased pair to learn from and to score, objects large enough to see,
// and a common-cause variant whose confounder a dictionary could capture.
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Synthetic;

/// <summary>Where the training correlation between b and c comes from.</summary>
public enum MultiLabelBias
{
    /// <summary>b draws c: P(c | b) = <see cref="MultiLabelBenchmarkOptions.TrainCooccurrence"/> in training, <see cref="MultiLabelBenchmarkOptions.TestCooccurrence"/> at test.</summary>
    Direct,

    /// <summary>
    /// A hidden context (the background texture of pair k) raises both P(b_k) and P(c_k) to
    /// <see cref="MultiLabelBenchmarkOptions.ContextHigh"/> in training (b and c independent given the
    /// context); at test the context is uniform and b, c are independent draws with the training marginal.
    /// </summary>
    CommonCause,
}

/// <summary>Options of <see cref="MultiLabelBenchmark"/>. Defaults give 64 px images, radii 8-11 px, 8 pairs,
/// about 70 (direct) or 100 (common cause) exclusive training examples and 150-200 exclusive test positives per pair.</summary>
public sealed class MultiLabelBenchmarkOptions : IValidatableObject
{
    /// <summary>Gets or sets the dataset name.</summary>
    /// <value>Default <c>"synthetic-multilabel-headroom"</c>.</value>
    public string Name { get; set; } = "synthetic-multilabel-headroom";

    /// <summary>Gets or sets the bias variant.</summary>
    /// <value>Default <see cref="MultiLabelBias.Direct"/>.</value>
    [EnumDataType(typeof(MultiLabelBias))]
    public MultiLabelBias Bias { get; set; } = MultiLabelBias.Direct;

    /// <summary>Gets or sets the image side in pixels.</summary>
    /// <value>Default 64. Range [32, 512].</value>
    [Range(32, 512)]
    public int ImageSize { get; set; } = 64;

    /// <summary>Gets or sets the smallest object radius in pixels.</summary>
    /// <value>Default 8. Range [2, 64].</value>
    [Range(2, 64)]
    public double RadiusMin { get; set; } = 8;

    /// <summary>Gets or sets the largest object radius in pixels.</summary>
    /// <value>Default 11. Range [2, 64]; at least <see cref="RadiusMin"/>.</value>
    [Range(2, 64)]
    public double RadiusMax { get; set; } = 11;

    /// <summary>Gets or sets the number of biased pairs (b, c); the other objects are free.</summary>
    /// <value>Default 8. Range [1, 12] (24 objects: 6 shapes x 4 colours).</value>
    [Range(1, 12)]
    public int PairCount { get; set; } = 8;

    /// <summary>Gets or sets P(b) of each pair's b (direct variant, training and test).</summary>
    /// <value>Default 0.15. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double BiasedProbability { get; set; } = 0.15;

    /// <summary>Gets or sets P(c | b) in training (direct variant).</summary>
    /// <value>Default 0.8. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double TrainCooccurrence { get; set; } = 0.8;

    /// <summary>Gets or sets P(c | b) at test (direct variant).</summary>
    /// <value>Default 0.5. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double TestCooccurrence { get; set; } = 0.5;

    /// <summary>Gets or sets P(c | not b) (direct variant, training and test).</summary>
    /// <value>Default 0.05. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double ContextAloneProbability { get; set; } = 0.05;

    /// <summary>Gets or sets P(b_k) = P(c_k) under pair k's context in training (common-cause variant).</summary>
    /// <value>Default 0.8. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double ContextHigh { get; set; } = 0.8;

    /// <summary>Gets or sets P(b_k) = P(c_k) under any other context in training (common-cause variant).</summary>
    /// <value>Default 0.03. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double ContextLow { get; set; } = 0.03;

    /// <summary>Gets or sets the probability of each free (unpaired) object.</summary>
    /// <value>Default 0.1. Range [0, 1].</value>
    [Range(0.0, 1.0)]
    public double FreeProbability { get; set; } = 0.1;

    /// <summary>Gets or sets the most objects per image; a draw with more is redrawn.</summary>
    /// <value>Default 6. Range [2, 16].</value>
    [Range(2, 16)]
    public int MaxObjectsPerImage { get; set; } = 6;

    /// <summary>Gets or sets a value indicating whether training and validation follow the test
    /// distribution (the unbiased oracle that measures headroom).</summary>
    /// <value>Default false.</value>
    public bool UnbiasedTraining { get; set; }

    /// <summary>Gets or sets the training size.</summary>
    /// <value>Default 2400. Range [1, 10000000].</value>
    [Range(1, 10_000_000)]
    public int TrainSize { get; set; } = 2400;

    /// <summary>Gets or sets the validation size (training distribution; for model selection).</summary>
    /// <value>Default 600. Range [1, 10000000].</value>
    [Range(1, 10_000_000)]
    public int ValidationSize { get; set; } = 600;

    /// <summary>Gets or sets the test size.</summary>
    /// <value>Default 2000. Range [1, 10000000].</value>
    [Range(1, 10_000_000)]
    public int TestSize { get; set; } = 2000;

    /// <summary>Gets or sets a value indicating whether each split keeps its rendered images in memory
    /// after the first read (12 KiB floats per 64 px image; worth it when a split is read many times).</summary>
    /// <value>Default false.</value>
    public bool CacheImages { get; set; }

    /// <summary>Gets or sets the seed (objects, pairs and every sample derive from it).</summary>
    /// <value>Default 0.</value>
    public int Seed { get; set; }

    /// <summary>Checks every option (the attribute rules, via <see cref="MultiLabelBenchmarkOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new MultiLabelBenchmarkOptionsValidator(), this);

    /// <inheritdoc/>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (RadiusMax < RadiusMin)
        {
            yield return new ValidationResult($"MultiLabelBenchmarkOptions.RadiusMax ({RadiusMax}) must be at least RadiusMin ({RadiusMin}).", [nameof(RadiusMax)]);
        }

        if (2 * RadiusMax >= ImageSize)
        {
            yield return new ValidationResult($"MultiLabelBenchmarkOptions.RadiusMax ({RadiusMax}) must be below half the image side ({ImageSize}).", [nameof(RadiusMax)]);
        }
    }

    /// <summary>Copies the options.</summary>
    /// <returns>A shallow copy.</returns>
    public MultiLabelBenchmarkOptions Clone() => (MultiLabelBenchmarkOptions)MemberwiseClone();
}

/// <summary>Source-generated validator of <see cref="MultiLabelBenchmarkOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class MultiLabelBenchmarkOptionsValidator : IValidateOptions<MultiLabelBenchmarkOptions>
{
}
