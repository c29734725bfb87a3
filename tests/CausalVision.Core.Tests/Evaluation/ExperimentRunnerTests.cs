using System.Text.Json;
using CausalVision.Evaluation;

namespace CausalVision.Tests.Evaluation;

public sealed class ExperimentRunnerTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-exp-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Row "base" scores seed / 10; row "better" scores seed / 10 + 0.1 + tiny seed-dependent noise.
    private static ExperimentDefinition Definition(Dictionary<string, int> calls, List<string>? order = null) => new()
    {
        Name = "toy",
        Baseline = "base",
        Recipe = "toy recipe",
        Rows =
        [
            new ExperimentRow("base", c =>
            {
                Count(calls, order, c);
                File.WriteAllText(Path.Combine(c.RowDirectory, "last.ckpt"), c.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var shared = c.Shared("data", () => new object());
                return new Dictionary<string, double> { ["acc"] = c.Seed / 10.0 };
            }),
            new ExperimentRow(
                "better",
                c =>
                {
                    Count(calls, order, c);
                    Assert.Equal(c.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(c.ExtendsDirectory!, "last.ckpt")));
                    return new Dictionary<string, double> { ["acc"] = (c.Seed / 10.0) + 0.1 + (c.Seed == 1 ? 0.01 : 0) };
                },
                extends: "base"),
        ],
    };

    private static void Count(Dictionary<string, int> calls, List<string>? order, ExperimentRunContext c)
    {
        var key = $"{c.Row}/{c.Seed}";
        calls[key] = calls.GetValueOrDefault(key) + 1;
        order?.Add(key);
    }

    [Fact]
    public void Run_SummaryJson_HasExactlyTheContract()
    {
        ExperimentRunner.Run(Definition([]), new ExperimentRunnerOptions { Seeds = [0, 1, 2], OutputDirectory = dir });

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var root = doc.RootElement;
        Assert.Equal(["experiment", "baseline", "rows"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("toy", root.GetProperty("experiment").GetString());
        Assert.Equal("base", root.GetProperty("baseline").GetString());
        var rows = root.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(["base", "better"], rows.Select(r => r.GetProperty("name").GetString()));
        foreach (var row in rows)
        {
            Assert.Equal(["name", "seeds", "metrics", "vs_baseline", "seconds"], row.EnumerateObject().Select(p => p.Name));
            Assert.Equal([0, 1, 2], row.GetProperty("seeds").EnumerateArray().Select(s => s.GetInt32()));
            Assert.Equal(["mean", "ci_low", "ci_high"], row.GetProperty("metrics").GetProperty("acc").EnumerateObject().Select(p => p.Name));
            Assert.Equal(["diff", "ci_low", "ci_high"], row.GetProperty("vs_baseline").GetProperty("acc").EnumerateObject().Select(p => p.Name));
            Assert.True(row.GetProperty("seconds").GetDouble() >= 0);
        }

        // base: 0, 0.1, 0.2 -> mean 0.1, s = 0.1, half = t(0.975, 2) * 0.1 / sqrt(3).
        var half = 4.302652729911275 * 0.1 / Math.Sqrt(3);
        var acc = rows[0].GetProperty("metrics").GetProperty("acc");
        Assert.Equal(0.1, acc.GetProperty("mean").GetDouble(), 12);
        Assert.Equal(0.1 - half, acc.GetProperty("ci_low").GetDouble(), 6);
        Assert.Equal(0.1 + half, acc.GetProperty("ci_high").GetDouble(), 6);

        // better - base per seed: 0.10, 0.11, 0.10 -> mean 0.103333, s = 0.005774.
        var diff = rows[1].GetProperty("vs_baseline").GetProperty("acc");
        var dHalf = 4.302652729911275 * Math.Sqrt(0.0000666666666667 / 2) / Math.Sqrt(3);
        Assert.Equal(0.1033333333, diff.GetProperty("diff").GetDouble(), 8);
        Assert.Equal(0.1033333333 - dHalf, diff.GetProperty("ci_low").GetDouble(), 6);
        Assert.Equal(0.0, rows[0].GetProperty("vs_baseline").GetProperty("acc").GetProperty("diff").GetDouble());
    }

    [Fact]
    public void Run_OneSeed_IntervalsAreNull()
    {
        ExperimentRunner.Run(Definition([]), new ExperimentRunnerOptions { Seeds = [4], OutputDirectory = dir });

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var acc = doc.RootElement.GetProperty("rows")[0].GetProperty("metrics").GetProperty("acc");
        Assert.Equal(0.4, acc.GetProperty("mean").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, acc.GetProperty("ci_low").ValueKind);
    }

    [Fact]
    public void Run_Rerun_SkipsDoneRowsAndRunsOnlyMissingOnes()
    {
        var calls = new Dictionary<string, int>();
        var options = new ExperimentRunnerOptions { Seeds = [0, 1], OutputDirectory = dir };
        var first = ExperimentRunner.Run(Definition(calls), options);
        Assert.Equal(4, calls.Values.Sum());

        var again = ExperimentRunner.Run(Definition(calls), options);
        Assert.Equal(4, calls.Values.Sum());
        Assert.Equal(ExperimentReport.ToJson(first), ExperimentReport.ToJson(again));

        // Losing one (row, seed) result reruns exactly that one; a new seed runs both rows.
        File.Delete(ExperimentRunner.ResultPath(dir, "better", 1));
        options.Seeds = [0, 1, 2];
        ExperimentRunner.Run(Definition(calls), options);
        Assert.Equal(2, calls["better/1"]);
        Assert.Equal(1, calls["base/1"]);
        Assert.Equal(1, calls["base/2"]);
        Assert.Equal(7, calls.Values.Sum());
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Run_RowsOfASeedRunTogether_InDefinitionOrder()
    {
        var order = new List<string>();
        ExperimentRunner.Run(Definition([], order), new ExperimentRunnerOptions { Seeds = [3, 5], OutputDirectory = dir });

        Assert.Equal(["base/3", "better/3", "base/5", "better/5"], order);
    }

    [Fact]
    public void Run_CsvAndMarkdown_ListEverySeedAndTheRecipe()
    {
        ExperimentRunner.Run(Definition([]), new ExperimentRunnerOptions { Seeds = [0, 1], OutputDirectory = dir });

        var csv = File.ReadAllLines(Path.Combine(dir, "results.csv"));
        Assert.Equal("row,seed,metric,value", csv[0]);
        Assert.Contains("base,1,acc,0.1", csv);
        Assert.Contains("better,0,acc,0.1", csv);
        Assert.Equal(2, csv.Count(l => l.StartsWith("base,", StringComparison.Ordinal) && l.Contains(",seconds,", StringComparison.Ordinal)));
        var md = File.ReadAllText(Path.Combine(dir, "summary.md"));
        Assert.Contains("toy recipe", md, StringComparison.Ordinal);
        Assert.Contains("| better |", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_SharedValues_AreCreatedOncePerSeedAndDisposed()
    {
        var created = new List<Disposable>();
        ExperimentRow Row(string name) => new(name, c =>
        {
            c.Shared("x", () =>
            {
                var d = new Disposable();
                created.Add(d);
                return d;
            });
            return new Dictionary<string, double> { ["m"] = 1 };
        });
        var def = new ExperimentDefinition { Name = "s", Baseline = "a", Rows = [Row("a"), Row("b")] };

        ExperimentRunner.Run(def, new ExperimentRunnerOptions { Seeds = [0, 1], OutputDirectory = dir });

        Assert.Equal(2, created.Count);
        Assert.All(created, d => Assert.True(d.Disposed));
    }

    [Fact]
    public void Validate_BadDefinitions_Throw()
    {
        static IReadOnlyDictionary<string, double> Noop(ExperimentRunContext c) => new Dictionary<string, double>();
        Assert.Throws<ArgumentException>(() => new ExperimentDefinition { Name = "x", Baseline = "zzz", Rows = [new("a", Noop)] }.Validate());
        Assert.Throws<ArgumentException>(() => new ExperimentDefinition { Name = "x", Baseline = "a", Rows = [new("a", Noop), new("a", Noop)] }.Validate());
        Assert.Throws<ArgumentException>(() => new ExperimentDefinition { Name = "x", Baseline = "a", Rows = [new("b", Noop, extends: "a"), new("a", Noop)] }.Validate());
        Assert.Throws<ArgumentException>(() => new ExperimentRow("a/b", Noop));
    }

    private sealed class Disposable : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
