namespace CausalVision.Synthetic;

/// <summary>
/// A biased object pair of the multi-label variant: in training, c is present in a fraction p of
/// the images that contain b. "Exclusive" test images contain b without c; "co-occur" ones contain both.
/// </summary>
/// <param name="B">The object (label) id whose recognition is being biased.</param>
/// <param name="C">The context object (label) id that usually accompanies <paramref name="B"/>.</param>
public sealed record BiasedPair(int B, int C);
