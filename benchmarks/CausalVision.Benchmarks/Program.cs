// BenchmarkDotNet entry point: ./build.sh bench '<filter>' (or dotnet run -c Release -- --filter '*').
// A --job on the command line replaces the default job (it still runs in-process, see BenchmarkConfig).
using BenchmarkDotNet.Running;
using CausalVision.Benchmarks;

var namesJob = args.Any(a => a is "--job" or "-j");
BenchmarkSwitcher.FromAssembly(typeof(BenchmarkConfig).Assembly).Run(args, new BenchmarkConfig(defaultJob: !namesJob));
