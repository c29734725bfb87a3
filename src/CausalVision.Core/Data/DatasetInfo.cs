namespace CausalVision.Data;

/// <summary>
/// What a dataset's targets mean: class names, tag (privileged semantic) vocabulary, and whether
/// each image carries one class (single-label, e.g. Food-101) or a set of labels (multi-label,
/// e.g. NUS-WIDE concepts or COCO categories).
/// </summary>
/// <param name="Name">A display name, e.g. "food101" or "synthetic-recipes".</param>
/// <param name="Classes">Class (or label) names; index = class id.</param>
/// <param name="Tags">Tag vocabulary; index = tag id. Empty when the dataset has no tags.</param>
/// <param name="MultiLabel">True when samples carry label sets (<see cref="ImageSample.Labels"/>).</param>
public sealed record DatasetInfo(string Name, IReadOnlyList<string> Classes, IReadOnlyList<string> Tags, bool MultiLabel)
{
    /// <summary>Gets the number of classes (labels).</summary>
    public int ClassCount => Classes.Count;

    /// <summary>Gets the size of the tag vocabulary.</summary>
    public int TagCount => Tags.Count;
}
