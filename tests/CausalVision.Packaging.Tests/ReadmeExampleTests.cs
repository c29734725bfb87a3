// Every package README's C# example compiles against the built assemblies, so they cannot rot.
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CausalVision.Packaging.Tests;

public sealed class ReadmeExampleTests
{
    public static TheoryData<string> Packages => new() { "CausalVision.Core", "CausalVision.Graph", "CausalVision.Clustering", "CausalVision" };

    [Theory]
    [MemberData(nameof(Packages))]
    public void ReadmeExample_CompilesAgainstTheLibraries(string project)
    {
        var readme = Path.Combine(RepoPaths.Root, "src", project, "README.md");
        var blocks = Regex.Matches(File.ReadAllText(readme), "```csharp\\n(.*?)```", RegexOptions.Singleline);
        Assert.True(blocks.Count == 1, $"{readme}: expected one ```csharp block, found {blocks.Count}");
        var code = blocks[0].Groups[1].Value;
        var lines = code.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.InRange(lines, 15, 35);

        var errors = Compile(code, project);
        Assert.True(errors.Count == 0, $"{readme}:\n{string.Join("\n", errors)}");
    }

    [Fact]
    public void RootReadme_UsingTheLibraryExample_Compiles()
    {
        var readme = Path.Combine(RepoPaths.Root, "README.md");
        var text = File.ReadAllText(readme);
        var section = text.IndexOf("## Using the library", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no 'Using the library' section.");
        var block = Regex.Match(text[section..], "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "README.md: no ```csharp block under 'Using the library'.");

        var errors = Compile(block.Groups[1].Value, "root");
        Assert.True(errors.Count == 0, $"{readme}:\n{string.Join("\n", errors)}");
    }

    [Fact]
    public void Compile_BrokenExample_ReportsErrors()
    {
        // The check itself can fail: a placeholder variable (the old README's `images`) is an error.
        var errors = Compile("using CausalVision.Synthetic;\nvar why = images.Count;\n", "probe");
        Assert.Contains(errors, e => e.Contains("images", StringComparison.Ordinal));
    }

    // What `dotnet new console` projects get through ImplicitUsings (the examples are Program.cs files).
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static List<string> Compile(string code, string name)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var tree = CSharpSyntaxTree.ParseText(code, parse);
        var usings = CSharpSyntaxTree.ParseText(ImplicitUsings, parse);
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var local = Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith("CausalVision.", StringComparison.Ordinal) || n is "TorchSharp.dll" or "SkiaSharp.dll" || n.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)))
            .Where(f => !Path.GetFileName(f).StartsWith("CausalVision.Packaging", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("CausalVision.Testing", StringComparison.Ordinal));
        var references = platform.Where(p => Path.GetFileName(p).StartsWith("System", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Concat(local)
            .GroupBy(Path.GetFileName, StringComparer.Ordinal)
            .Select(g => MetadataReference.CreateFromFile(g.First()));
        var compilation = CSharpCompilation.Create(
            "ReadmeExample_" + name.Replace('.', '_'),
            [usings, tree],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        return result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
    }
}
