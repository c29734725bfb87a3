using CausalVision.CausalLabels;

namespace CausalVision.Tests.Reliability;

/// <summary>
/// Seeded mutation fuzzing of the confounder dictionary file: each mutant loads with finite centres or
/// throws <see cref="InvalidDataException"/> (never another exception type, never a native abort).
/// <see cref="Fuzzer.Iterations"/> mutants (2,000 in CI; <c>./build.sh fuzz --iterations N</c> for more).
/// </summary>
public sealed class ConfounderDictionaryFuzzTests
{
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

        Fuzzer.Run<InvalidDataException>("confounder dictionary", seed, bytes =>
        {
            using var d = ConfounderDictionary.Load(new MemoryStream(bytes));
            Assert.Null(TrainingLoopCheck(d));
        }, seed: 10);
    }

    private static string? TrainingLoopCheck(ConfounderDictionary d) => d.Centres.isfinite().all().item<bool>() ? null : "non-finite centres";
}
