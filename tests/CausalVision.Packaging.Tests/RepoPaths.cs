namespace CausalVision.Packaging.Tests;

/// <summary>Finds the repository root from the test output folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CausalVision.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("CausalVision.sln not found above " + AppContext.BaseDirectory);
    }
}
