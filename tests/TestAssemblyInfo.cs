// TorchSharp keeps native global state (the RNG, thread settings, the dispose-scope stacks),
// so the test classes of one assembly run one after another.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
