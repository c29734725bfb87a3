using CausalVision.Samples.Train;

namespace CausalVision.Tests.Reliability;

/// <summary>The Train sample fails fast, with one line and exit code 2, on a bad command line.</summary>
public sealed class TrainCommandLineTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "cv-traincl-" + Guid.NewGuid().ToString("N"));

    public TrainCommandLineTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (int Code, string Error) Run(params string[] args)
    {
        var entry = typeof(TrainArguments).Assembly.EntryPoint!;
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            var code = (int)entry.Invoke(null, [args])!;
            return (code, error.ToString());
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    [Fact]
    public void Main_OutIsAnExistingFile_ExitsTwoBeforeTraining()
    {
        var file = Path.Combine(dir, "taken");
        File.WriteAllText(file, "x");
        var (code, error) = Run("--layout", "synthetic", "--epochs", "1", "--out", file);
        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("is an existing file", error);
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("--epochs", "1", "--epochs", "2")]
    [InlineData("--batch=4", "--batch", "4")]
    [InlineData("--resume", "--resume")]
    public void Parse_RepeatedOption_IsRejected(params string[] args) =>
        Assert.Contains("more than once", Assert.Throws<UsageException>(() => TrainArguments.Parse(args)).Message);

    [Fact]
    public void Parse_ForceWithoutResume_IsRejected() =>
        Assert.Throws<UsageException>(() => TrainArguments.Parse(["--force"]));

    [Fact]
    public void Main_UnknownBackbone_ExitsTwoBeforeLoadingData()
    {
        var (code, error) = Run("--layout", "manifest", "--data", Path.Combine(dir, "missing"), "--backbone", "nope", "--out", dir);
        Assert.Equal(2, code);
        Assert.Contains("unknown backbone 'nope'", error);
    }
}
