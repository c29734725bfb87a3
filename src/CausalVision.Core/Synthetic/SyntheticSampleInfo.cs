namespace CausalVision.Synthetic;

/// <summary>
/// Everything that determines one synthetic image, computed without rendering: class, context,
/// the objects with their boxes, and the texture jitter. Use it to check that the shortcut
/// exists, to select exclusive / co-occur cases, or to score explanation maps against boxes.
/// </summary>
public sealed class SyntheticSampleInfo
{
    /// <summary>Gets the split the sample belongs to.</summary>
    public required SyntheticSplitKind Split { get; init; }

    /// <summary>Gets the sample index within its split.</summary>
    public required int Index { get; init; }

    /// <summary>Gets the class id (single-label), or -1 (multi-label).</summary>
    public required int Label { get; init; }

    /// <summary>Gets the label ids: { Label } for single-label, the sorted object ids present for multi-label.</summary>
    public required IReadOnlyList<int> Labels { get; init; }

    /// <summary>Gets the tag ids: the sorted distinct objects present (in the multi-label variant they equal <see cref="Labels"/>).</summary>
    public required IReadOnlyList<int> Tags { get; init; }

    /// <summary>Gets the sorted distinct object ids present in the image.</summary>
    public required IReadOnlyList<int> ObjectIds { get; init; }

    /// <summary>Gets the objects in drawing order (later objects are painted over earlier ones).</summary>
    public required IReadOnlyList<SyntheticObjectInstance> Objects { get; init; }

    /// <summary>Gets the background context id.</summary>
    public required int ContextId { get; init; }

    /// <summary>
    /// Gets a value indicating whether the context is the one tied to the class (the shortcut is
    /// "on"). Always false for the multi-label variant, whose contexts are independent noise.
    /// </summary>
    public required bool ContextMatchesClass { get; init; }

    /// <summary>
    /// Gets the group id of a single-label sample, <c>Label * contexts + ContextId</c> (groups are
    /// (class, context) pairs, see <see cref="SyntheticBenchmark.GroupOf(int, int)"/>); -1 for the
    /// multi-label variant or when not set.
    /// </summary>
    public int GroupId { get; init; } = -1;

    /// <summary>Gets a value indicating whether one recipe object was left out of this image (single-label).</summary>
    public required bool RecipeObjectDropped { get; init; }

    /// <summary>Gets the texture phase in [0, 1).</summary>
    public required float TexturePhase { get; init; }

    /// <summary>Gets the second texture phase in [0, 1) (checks, dots).</summary>
    public required float TexturePhase2 { get; init; }

    /// <summary>Gets the texture angle jitter in radians.</summary>
    public required float TextureAngleJitter { get; init; }

    /// <summary>Gets the texture period gain (around 1).</summary>
    public required float TexturePeriodScale { get; init; }

    /// <summary>Gets the background brightness gain (around 1).</summary>
    public required float TextureBrightness { get; init; }

    /// <summary>Gets the seed of the noise texture lattice.</summary>
    public required ulong NoiseSeed { get; init; }
}
