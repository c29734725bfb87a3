// BenchmarkDotNet entry point: ./build.sh bench '<filter>' (or dotnet run -c Release -- --filter '*').
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(CausalVision.Benchmarks.BenchmarkConfig).Assembly).Run(args, new CausalVision.Benchmarks.BenchmarkConfig());
