using CausalVision.Backbones;
using CausalVision.Clustering.Art;
using CausalVision.Clustering.KMeans;
using CausalVision.Synthetic;
using CausalVision.Testing.Devices;
using CausalVision.Training;

namespace CausalVision.Graph.Tests.Devices;

/// <summary>CPU/CUDA parity. The [CudaFact] tests run only where a CUDA device is usable (the GPU machine; see
/// eng/gpu); the plain facts check the harness itself on the CPU, so a broken harness fails in CI, not on the card.</summary>
public sealed class DeviceParityTests
{
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in DeviceParityCases.All)
        {
            data.Add(c.Name);
        }

        return data;
    }

    private static ParityCase Case(string name) => DeviceParityCases.All.Single(c => c.Name == name);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Run_CpuTarget_MatchesAndLeaksNothing(string name)
    {
        ParityReport? report = null;
        TensorLeaks.AssertNone(() => report = DeviceParity.Run(Case(name), CPU));
        Assert.True(report!.Passed, report.ToString());
        Assert.True(report.Compared >= 2, report.ToString());
        Assert.Equal(0.0, report.WorstDiff);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Run_PerturbedTarget_ReportsMismatch(string name)
    {
        var report = DeviceParity.Run(Case(name), CPU, perturbTarget: 0.5);
        Assert.False(report.Passed, report.ToString());
        Assert.NotEmpty(report.Failures);
    }

    [CudaFact]
    public void Run_Cuda_EveryCaseMatchesCpu()
    {
        var reports = DeviceParityCases.All.Select(c => DeviceParity.Run(c, CUDA)).ToList();
        Assert.True(reports.All(r => r.Passed), string.Join("\n", reports));
    }

    [CudaFact]
    public void KMeansFit_Cuda_SameAssignmentsAsCpu()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var centres = randn(6, 16) * 4;
        var x = centres.index_select(0, randint(0, 6, 3000)) + randn(3000, 16);
        var init = x[..6].clone();
        using var cpu = new KMeans(new KMeansOptions { Clusters = 6, Restarts = 1, Seed = 0 }).Fit(x, init);
        using var gpu = new KMeans(new KMeansOptions { Clusters = 6, Restarts = 1, Seed = 0 }, CUDA).Fit(x.cuda(), init.cuda());
        Assert.Equal(cpu.Predict(x).data<long>().ToArray(), gpu.Predict(x.cuda()).cpu().data<long>().ToArray());
        Assert.Equal(cpu.Inertia, gpu.Inertia, 1e-3 * cpu.Inertia);
    }

    [CudaFact]
    public void FuzzyArtFit_CudaTensorPath_SameClustersAsCpu()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var data = rand(400, 8, dtype: float64);
        using var cpu = new FuzzyArt(new ArtOptions());
        using var gpu = new FuzzyArt(new ArtOptions(), CUDA);
        Assert.Equal(cpu.Fit(data), gpu.Fit(data.cuda()));
    }

    [CudaFact]
    public void ClassifierTrainerFit_DeviceCuda_TrainsWithFiniteLoss()
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions { ImageSize = 32, ClassCount = 3, TrainSize = 48, TestIidSize = 12, TestOodSize = 12, Seed = 7 });
        using var model = BackboneClassifier.Create("resnet18", 3);
        var result = new ClassifierTrainer(model, new TrainerOptions { Epochs = 1, BatchSize = 16, Device = "cuda", Seed = 3 }).Fit(bench.Train, null, bench.TestIid);
        Assert.True(double.IsFinite(result.Epochs[0].TrainLoss));
        Assert.Equal(DeviceType.CUDA, model.parameters().First().device_type);
    }
}
