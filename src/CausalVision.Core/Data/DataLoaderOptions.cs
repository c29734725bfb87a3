using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using Microsoft.Extensions.Options;

namespace CausalVision.Data;

/// <summary>Options of a <see cref="DataLoader"/>.</summary>
public sealed class DataLoaderOptions
{
    /// <summary>Gets or sets the batch size. <value>32</value>.</summary>
    [Range(1, int.MaxValue)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Gets or sets whether each epoch visits the samples in a seeded random order. <value>true</value>.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>
    /// Gets or sets the seed of the epoch permutations and of every sample's transform randomness
    /// (see <see cref="Imaging.Transforms.TransformPipeline.SampleSeed"/>). <value>0</value>.
    /// </summary>
    public int Seed { get; set; }

    /// <summary>Gets or sets whether a last, smaller batch is dropped. <value>false</value>.</summary>
    public bool DropLast { get; set; }

    /// <summary>
    /// Gets or sets the number of background decode workers; 0 decodes on the consumer thread
    /// with no prefetch. <value>0</value>.
    /// </summary>
    [Range(0, 256)]
    public int Workers { get; set; }

    /// <summary>
    /// Gets or sets how many decoded batches may wait ahead of the consumer in total (the bound of
    /// the prefetch channels; at least one per worker). <value>4</value>.
    /// </summary>
    [Range(1, 4096)]
    public int PrefetchBatches { get; set; } = 4;

    /// <summary>Returns a copy.</summary>
    /// <returns>The copy.</returns>
    public DataLoaderOptions Clone() => (DataLoaderOptions)MemberwiseClone();

    /// <summary>Checks every option (the attribute rules, via <see cref="DataLoaderOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new DataLoaderOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="DataLoaderOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class DataLoaderOptionsValidator : IValidateOptions<DataLoaderOptions>
{
}
