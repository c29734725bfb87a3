// TorchSharp keeps native global state (the RNG, thread settings, the dispose-scope stacks),
// so the test classes of one assembly run one after another.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace CausalVision.Testing.Generated
{
    internal static class TorchLoadCheck
    {
        /// <summary>
        /// A plain `dotnet test` on Debian 12 cannot load libtorch: say why once, up front,
        /// instead of leaving only TorchSharp's misleading per-test stack traces.
        /// </summary>
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void Check()
        {
            if (!CausalVision.Runtime.TorchRuntime.IsAvailable)
            {
                System.Console.Error.WriteLine("CausalVision tests: TorchSharp's native library did not load. On Debian 12 / Ubuntu 22.04 run the tests with ./build.sh test (or eng/torch-env.sh dotnet test); see README 'Platform requirements'.");
                return;
            }

            // Test tensors are tiny: one intra-op thread is faster (no OpenMP hand-off) and keeps results
            // independent of the machine's core count.
            TorchSharp.torch.set_num_threads(1);
        }
    }
}
