// How StateDictLoader maps and checks imported keys.
namespace CausalVision.Weights;

/// <summary>Options for <see cref="StateDictLoader"/>.</summary>
public sealed class StateDictLoadOptions
{
    /// <summary>Gets or sets a value indicating whether any missing, unexpected or shape-mismatched key throws (nothing is copied then).</summary>
    /// <value>Default <c>true</c>.</value>
    public bool Strict { get; set; } = true;

    /// <summary>Gets the source-key prefixes stripped (first match wins), e.g. <c>module.</c> (DataParallel) or <c>backbone.</c>.</summary>
    /// <value>Default empty.</value>
    public IList<string> StripPrefixes { get; } = new List<string>();

    /// <summary>Gets prefix renames applied after stripping (source prefix -> target prefix), e.g. <c>encoder.</c> -> <c>blocks.</c>.</summary>
    /// <value>Default empty.</value>
    public IDictionary<string, string> RenamePrefixes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets the (remapped) source-key prefixes dropped before matching, e.g. <c>fc.</c> to load a backbone without its head.</summary>
    /// <value>Default empty.</value>
    public IList<string> IgnoreSourcePrefixes { get; } = new List<string>();
}
