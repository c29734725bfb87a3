// Slides' Table 6 "Label" confounders: one per label, the mean feature of its images (VC R-CNN / CCD).
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>
/// Builds the class-mean dictionary (slides' Table 6 "Label"): each image's feature is the mean of
/// its spatial features (= the global-average-pooled backbone feature); centre l is the mean over
/// the images with label l; P(c_l) = label frequency / total label count. K = L, so the model must
/// be built with K equal to the number of labels.
/// </summary>
public sealed class ClassMeanConfounderDictionaryBuilder : IConfounderDictionaryBuilder
{
    /// <inheritdoc/>
    public string Name => "label";

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A batch without targets, inconsistent shapes, an empty stream or a label no image has.</exception>
    public ConfounderDictionary Build(IEnumerable<ConfounderFeatureBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        using var scope = NewDisposeScope();
        var features = new List<Tensor>();
        var targets = new List<Tensor>();
        foreach (var batch in batches)
        {
            batch.Validate();
            if (batch.Targets is null)
            {
                throw new ArgumentException("The class-mean (Label) dictionary needs the targets of every batch.", nameof(batches));
            }

            if (features.Count > 0 && (batch.Tokens.shape[2] != features[0].shape[1] || batch.Targets.shape[1] != targets[0].shape[1]))
            {
                throw new ArgumentException($"Inconsistent batches: D {batch.Tokens.shape[2]} vs {features[0].shape[1]}, L {batch.Targets.shape[1]} vs {targets[0].shape[1]}.", nameof(batches));
            }

            features.Add(batch.Tokens.detach().to(float64).mean([1L]).cpu());
            targets.Add(batch.Targets.detach().cpu().to(float32));
        }

        if (features.Count == 0)
        {
            throw new ArgumentException("The feature stream is empty.", nameof(batches));
        }

        return ConfounderDictionary.FromClassMeans(torch.cat(features, 0), torch.cat(targets, 0));
    }
}
