namespace CausalVision.Synthetic;

/// <summary>One object drawn in one image (metadata for analysis, e.g. explanation maps).</summary>
/// <param name="ObjectId">The object (tag) id.</param>
/// <param name="CenterX">Centre x in pixels (0 = left edge of the image).</param>
/// <param name="CenterY">Centre y in pixels (0 = top edge).</param>
/// <param name="Radius">The circumradius in pixels: the shape lies inside this circle.</param>
/// <param name="Rotation">The rotation in radians (light jitter).</param>
/// <param name="Brightness">The colour gain (light jitter around 1).</param>
public sealed record SyntheticObjectInstance(int ObjectId, float CenterX, float CenterY, float Radius, float Rotation, float Brightness)
{
    /// <summary>Gets the left edge of the bounding box in pixels.</summary>
    public float X0 => CenterX - Radius;

    /// <summary>Gets the top edge of the bounding box in pixels.</summary>
    public float Y0 => CenterY - Radius;

    /// <summary>Gets the right edge of the bounding box in pixels.</summary>
    public float X1 => CenterX + Radius;

    /// <summary>Gets the bottom edge of the bounding box in pixels.</summary>
    public float Y1 => CenterY + Radius;
}
