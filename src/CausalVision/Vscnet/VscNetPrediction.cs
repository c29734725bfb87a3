// What VscNet.Predict returns for one image.
namespace CausalVision.Vscnet;

/// <summary>The prediction of a <see cref="VscNet"/> for one image.</summary>
/// <param name="Source">The image file (or the index of a decoded image, as text).</param>
/// <param name="Classes">The top classes with their probabilities, best first.</param>
/// <param name="Tags">The top tags (the regions' most probable tags, max over regions) with their probabilities, best first;
/// empty without +L or in stage 1.</param>
public sealed record VscNetPrediction(string Source, IReadOnlyList<(string Label, double Score)> Classes, IReadOnlyList<(string Tag, double Score)> Tags);
