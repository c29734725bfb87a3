using CausalVision.CausalLabels;

namespace CausalVision.Tests.Reliability;

/// <summary>
/// Seeded mutation fuzzing of the confounder dictionary file, the safetensors state file and the legacy CVCONFDICT
/// layout (still read): each mutant loads with a valid dictionary or throws <see cref="InvalidDataException"/> (never
/// another exception type, never a native abort). <see cref="Fuzzer.Iterations"/> mutants per layout (2,000 in CI;
/// <c>./build.sh fuzz --iterations N</c> for more).
/// </summary>
public sealed class ConfounderDictionaryFuzzTests
{
    private static void Check(byte[] bytes)
    {
        using var d = ConfounderDictionary.Load(new MemoryStream(bytes));
        Assert.True(d.Centres.isfinite().all().item<bool>(), "non-finite centres");
        Assert.Equal([d.Count], d.Prior.shape);
        Assert.True((d.Prior >= 0).all().item<bool>(), "negative prior");
        Assert.InRange(d.Prior.sum(ScalarType.Float64).item<double>(), 1 - 1e-4, 1 + 1e-4);
    }

    [Fact]
    public void ConfounderDictionary_Mutants_LoadOrThrowInvalidData()
    {
        byte[] seed;
        using (var scope = NewDisposeScope())
        {
            using var d = ConfounderDictionary.FromAssignments(randn(12, 4), tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2 }), 3);
            using var ms = new MemoryStream();
            d.Save(ms);
            seed = ms.ToArray();
        }

        // Half the mutants keep a valid safetensors container (metadata and tensors mutated), so the checks behind it are fuzzed too.
        var k = 0;
        Fuzzer.Run<InvalidDataException>("confounder dictionary", seed, bytes =>
        {
            if (k++ % 2 == 1)
            {
                bytes = StateFileMutator.Mutate(seed, new Random(1_000_003 + k));
            }

            Check(bytes);
        }, seed: 10);
    }

    [Fact]
    public void ConfounderDictionaryLegacy_Mutants_LoadOrThrowInvalidData()
        => Fuzzer.Run<InvalidDataException>("confounder dictionary (legacy CVCONFDICT)", LegacyFixtures.Bytes("confounders.cvconfdict"), Check, seed: 20);
}
