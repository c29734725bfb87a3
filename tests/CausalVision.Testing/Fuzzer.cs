// A small seeded mutation fuzzer for file parsers: every input must either load (and pass the
// caller's invariant checks) or throw the parser's documented exception type.
using System.Text;
using Xunit;

namespace CausalVision.Testing;

/// <summary>
/// Seeded, deterministic byte-level mutation fuzzing. Each iteration applies one to four random
/// mutations (bit flips, interesting bytes, inserted tokens such as an escaped lone surrogate, a NUL,
/// a BOM or a huge number, deleted or duplicated ranges, truncation) to a valid seed file.
/// </summary>
/// <remarks>
/// The iteration count is <see cref="DefaultIterations"/> in CI; the environment variable
/// <c>CV_FUZZ_ITERATIONS</c> overrides it for the long run (<c>./build.sh fuzz --iterations N</c>).
/// </remarks>
public static class Fuzzer
{
    /// <summary>Mutations per format in the normal test run.</summary>
    public const int DefaultIterations = 2000;

    private static readonly byte[][] Tokens =
    [
        "\\ud800"u8.ToArray(), "\\udc00"u8.ToArray(), "\\u0000"u8.ToArray(), [0xEF, 0xBB, 0xBF], [0xC3, 0x28], [0xED, 0xA0, 0x80],
        [0xFF, 0xFE], [0], "99999999999999999999"u8.ToArray(), "-1"u8.ToArray(), "9223372036854775807"u8.ToArray(),
        "4294967295"u8.ToArray(), "1e308"u8.ToArray(), "NaN"u8.ToArray(), "\""u8.ToArray(), ","u8.ToArray(), ";"u8.ToArray(),
        "\n"u8.ToArray(), "\r\n"u8.ToArray(), "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), "null"u8.ToArray(),
        "../"u8.ToArray(), "/etc/passwd"u8.ToArray(), "\"a\":1,\"a\":2,"u8.ToArray(),
        [0x7F, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0x80, 0, 0, 0],
    ];

    /// <summary>Gets the iteration count: <c>CV_FUZZ_ITERATIONS</c> when set, else <see cref="DefaultIterations"/>.</summary>
    public static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("CV_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : DefaultIterations;

    /// <summary>Returns a mutated copy of <paramref name="seed"/>.</summary>
    /// <param name="seed">The valid input.</param>
    /// <param name="random">The generator (seeded by the caller).</param>
    /// <returns>The mutant.</returns>
    public static byte[] Mutate(byte[] seed, Random random)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(random);
        var data = new List<byte>(seed);
        var count = 1 + random.Next(4);
        for (var m = 0; m < count; m++)
        {
            var pos = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(8))
            {
                case 0 when data.Count > 0:
                    data[pos] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[pos] = (byte)new[] { 0, 0xFF, 0x7F, 0x80, 0x22, 0x5C, 0x2C, 0x0A }[random.Next(8)];
                    break;
                case 2:
                    data.InsertRange(pos, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 3 when data.Count > 0:
                    data.RemoveRange(pos, Math.Min(data.Count - pos, 1 + random.Next(16)));
                    break;
                case 4 when data.Count > 0:
                    var len = Math.Min(data.Count - pos, 1 + random.Next(32));
                    data.InsertRange(random.Next(data.Count), data.GetRange(pos, len));
                    break;
                case 5 when data.Count > 0:
                    data.RemoveRange(pos, data.Count - pos);
                    break;
                case 6 when data.Count > 0:
                    data[pos] = (byte)random.Next(256);
                    break;
                default:
                    var token = Tokens[random.Next(Tokens.Length)];
                    for (var i = 0; i < token.Length && pos + i < data.Count; i++)
                    {
                        data[pos + i] = token[i];
                    }

                    break;
            }
        }

        return [.. data];
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> mutants of <paramref name="seedInput"/> through
    /// <paramref name="load"/> and fails (listing the first cases) when any throws something other
    /// than <typeparamref name="TDocumented"/> (invariant failures raised by <paramref name="load"/> count as failures).
    /// </summary>
    /// <typeparam name="TDocumented">The documented exception family (e.g. <see cref="InvalidDataException"/>).</typeparam>
    /// <param name="format">The format name for the report.</param>
    /// <param name="seedInput">A valid input.</param>
    /// <param name="load">Loads a mutant and checks the loaded value's invariants.</param>
    /// <param name="seed">The random seed.</param>
    /// <param name="iterations">Mutations to try; null uses <see cref="Iterations"/>.</param>
    /// <returns>(loaded, rejected) counts.</returns>
    public static (int Loaded, int Rejected) Run<TDocumented>(string format, byte[] seedInput, Action<byte[]> load, int seed, int? iterations = null)
        where TDocumented : Exception
    {
        ArgumentNullException.ThrowIfNull(load);
        var random = new Random(seed);
        var n = iterations ?? Iterations;
        int loaded = 0, rejected = 0;
        var failures = new List<string>();
        for (var i = 0; i < n; i++)
        {
            var mutant = Mutate(seedInput, random);
            try
            {
                load(mutant);
                loaded++;
            }
            catch (TDocumented)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                failures.Add($"{format} #{i}: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
            }
        }

        var summary = $"{format}: {n} mutants, {loaded} loaded, {rejected} rejected with {typeof(TDocumented).Name}, {failures.Count} undocumented";
        Console.WriteLine(summary);
        Assert.True(failures.Count == 0, summary + ":\n" + string.Join("\n", failures.Take(10)));
        return (loaded, rejected);
    }

    /// <summary>UTF-8 bytes of <paramref name="text"/>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
