// A tiny, version-independent random generator (SplitMix64, Steele et al. 2014) so that a seed
// gives the same images on every .NET version and every thread (System.Random's algorithm is an
// implementation detail).
namespace CausalVision.Synthetic;

/// <summary>SplitMix64: a 64-bit state, one multiply-xorshift output function.</summary>
internal struct SyntheticRandom
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong state;

    /// <summary>Initializes a new instance of the <see cref="SyntheticRandom"/> struct.</summary>
    /// <param name="seed">The seed.</param>
    public SyntheticRandom(ulong seed) => state = seed;

    /// <summary>Hashes a seed and a stream/index into a new, well-mixed seed.</summary>
    /// <param name="seed">The parent seed.</param>
    /// <param name="stream">The stream or index.</param>
    /// <returns>The child seed.</returns>
    public static ulong Derive(ulong seed, ulong stream) => Finalize(seed ^ Finalize(stream + Gamma));

    /// <summary>Hashes three integers to a uniform float in [0, 1) (used by the noise texture).</summary>
    /// <param name="seed">The per-image seed.</param>
    /// <param name="x">Lattice x.</param>
    /// <param name="y">Lattice y.</param>
    /// <returns>A float in [0, 1).</returns>
    public static float Hash01(ulong seed, int x, int y)
    {
        var h = Finalize(seed ^ Finalize(((ulong)(uint)x << 32) | (uint)y));
        return (h >> 40) * (1.0f / (1 << 24));
    }

    /// <summary>Returns the next 64 random bits.</summary>
    /// <returns>The bits.</returns>
    public ulong NextULong()
    {
        state += Gamma;
        return Finalize(state);
    }

    /// <summary>Returns a uniform double in [0, 1).</summary>
    /// <returns>The number.</returns>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns a uniform float in [lo, hi).</summary>
    /// <param name="lo">Lower bound.</param>
    /// <param name="hi">Upper bound.</param>
    /// <returns>The number.</returns>
    public float NextFloat(double lo, double hi) => (float)(lo + ((hi - lo) * NextDouble()));

    /// <summary>Returns a uniform integer in [0, n).</summary>
    /// <param name="n">The exclusive bound (positive).</param>
    /// <returns>The integer.</returns>
    public int NextInt(int n) => (int)(((NextULong() >> 33) * (ulong)n) >> 31);

    /// <summary>Returns a uniform integer in [lo, hi] (inclusive).</summary>
    /// <param name="lo">Lower bound.</param>
    /// <param name="hi">Upper bound (inclusive).</param>
    /// <returns>The integer.</returns>
    public int NextInclusive(int lo, int hi) => lo + NextInt(hi - lo + 1);

    /// <summary>Returns true with probability <paramref name="p"/>.</summary>
    /// <param name="p">The probability.</param>
    /// <returns>The outcome.</returns>
    public bool Bernoulli(double p) => NextDouble() < p;

    private static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
