using CausalVision.Imaging;

namespace CausalVision.Data;

/// <summary>
/// A decoded sample held in managed memory (no tensor), as produced on loader worker threads.
/// </summary>
/// <param name="Id">The stable sample identifier.</param>
/// <param name="Image">The decoded image <c>[C, H, W]</c> in [0, 1].</param>
/// <param name="Label">The class id, or -1 for multi-label samples.</param>
/// <param name="Labels">The label ids (for single-label data, just <paramref name="Label"/>).</param>
/// <param name="Tags">The tag ids (may be empty).</param>
public sealed record RawImageSample(string Id, ImageBuffer Image, int Label, IReadOnlyList<int> Labels, IReadOnlyList<int> Tags);
