namespace CausalVision.Synthetic;

/// <summary>One entry of the object vocabulary: a shape in a colour. Objects are the tags (single-label) or the labels (multi-label).</summary>
/// <param name="Id">The object id (= tag id, or label id in the multi-label variant).</param>
/// <param name="Shape">The shape.</param>
/// <param name="ColorName">The colour name, e.g. "red".</param>
/// <param name="Red">Red component in [0, 1].</param>
/// <param name="Green">Green component in [0, 1].</param>
/// <param name="Blue">Blue component in [0, 1].</param>
public sealed record SyntheticObjectKind(int Id, SyntheticShape Shape, string ColorName, float Red, float Green, float Blue)
{
    /// <summary>Gets the tag name, e.g. "red_circle".</summary>
    public string Name => $"{ColorName}_{Shape.ToString().ToLowerInvariant()}";
}
