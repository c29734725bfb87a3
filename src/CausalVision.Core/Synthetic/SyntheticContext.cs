namespace CausalVision.Synthetic;

/// <summary>One background context: a texture family with a palette and a base period.</summary>
/// <param name="Id">The context id.</param>
/// <param name="Family">The texture family.</param>
/// <param name="Variant">The variant within the family (context id / number of families).</param>
/// <param name="Name">A readable name, e.g. "stripes-0".</param>
public sealed record SyntheticContext(int Id, TextureFamily Family, int Variant, string Name);
