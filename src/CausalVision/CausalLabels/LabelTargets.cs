// Multi-hot targets from per-image label sets, with the checks multi-label training needs.
using static TorchSharp.torch;

namespace CausalVision.CausalLabels;

/// <summary>Builds multi-hot target tensors.</summary>
public static class LabelTargets
{
    /// <summary>Turns per-image label sets into a multi-hot float32 tensor [N, L].</summary>
    /// <param name="labelSets">One set of label indices per image; duplicates are allowed.</param>
    /// <param name="numLabels">L.</param>
    /// <param name="allowEmptySets">Whether an image may have no label; default false (the usual
    /// MS-COCO / NUS-WIDE protocols drop such images, so one is most likely a data error).</param>
    /// <returns>[N, L] of 0/1.</returns>
    /// <exception cref="ArgumentException">No images, L &lt; 1, an empty label set (unless allowed), or a label outside [0, L).</exception>
    public static Tensor ToMultiHot(IReadOnlyList<IReadOnlyCollection<int>> labelSets, int numLabels, bool allowEmptySets = false)
    {
        ArgumentNullException.ThrowIfNull(labelSets);
        if (numLabels < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "The label space is empty: numLabels must be at least 1.");
        }

        if (labelSets.Count == 0)
        {
            throw new ArgumentException("There are no images (no label sets).", nameof(labelSets));
        }

        var values = new float[labelSets.Count * numLabels];
        for (var i = 0; i < labelSets.Count; i++)
        {
            var set = labelSets[i] ?? throw new ArgumentException($"The label set of image {i} is null.", nameof(labelSets));
            if (set.Count == 0 && !allowEmptySets)
            {
                throw new ArgumentException($"Image {i} has an empty label set; pass allowEmptySets: true if images without labels are intended.", nameof(labelSets));
            }

            foreach (var label in set)
            {
                if (label < 0 || label >= numLabels)
                {
                    throw new ArgumentException($"Image {i} has label {label}, outside [0, {numLabels}).", nameof(labelSets));
                }

                values[(i * numLabels) + label] = 1f;
            }
        }

        return tensor(values, new long[] { labelSets.Count, numLabels });
    }
}
