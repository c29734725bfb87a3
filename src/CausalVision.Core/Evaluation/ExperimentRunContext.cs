// What a row sees when it runs for one seed.
namespace CausalVision.Evaluation;

/// <summary>
/// The context of one (row, seed) run: the seed, folders, and a per-seed cache shared by the rows
/// of that seed (e.g. frozen backbone features computed once and used by every linear-head row).
/// </summary>
/// <remarks>
/// Every row of one seed must draw its data and its data order from <see cref="Seed"/> only, so
/// that rows are paired: the difference between two rows of one seed is the difference between
/// the methods, not between data draws.
/// </remarks>
public sealed class ExperimentRunContext
{
    private readonly Dictionary<string, object> shared;

    internal ExperimentRunContext(int seed, string row, string seedDirectory, string rowDirectory, string? extendsDirectory, Dictionary<string, object> shared, Action<string> log)
    {
        Seed = seed;
        Row = row;
        SeedDirectory = seedDirectory;
        RowDirectory = rowDirectory;
        ExtendsDirectory = extendsDirectory;
        this.shared = shared;
        Log = log;
    }

    /// <summary>Gets the seed: the data, the data order and the initialisation of every row of this seed derive from it.</summary>
    public int Seed { get; }

    /// <summary>Gets the row name.</summary>
    public string Row { get; }

    /// <summary>Gets the folder shared by the rows of this seed (<c>out/seed-S</c>), created.</summary>
    public string SeedDirectory { get; }

    /// <summary>Gets this row's own folder for checkpoints (<c>out/seed-S/ROW</c>), created.</summary>
    public string RowDirectory { get; }

    /// <summary>Gets the folder of the row this one extends (its checkpoint lives there), or null.</summary>
    public string? ExtendsDirectory { get; }

    /// <summary>Gets the progress logger.</summary>
    public Action<string> Log { get; }

    /// <summary>
    /// Returns the value cached under <paramref name="key"/> for this seed, creating it on first
    /// use. Values that are <see cref="IDisposable"/> are disposed after the seed's last row.
    /// </summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="key">The cache key.</param>
    /// <param name="create">Creates the value.</param>
    /// <returns>The cached value.</returns>
    public T Shared<T>(string key, Func<T> create)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(create);
        if (shared.TryGetValue(key, out var value))
        {
            return (T)value;
        }

        var created = create();
        shared[key] = created;
        return created;
    }
}
