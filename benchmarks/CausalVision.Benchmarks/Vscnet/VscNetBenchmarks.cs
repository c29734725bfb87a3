using BenchmarkDotNet.Attributes;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Vscnet.Fva;
using CausalVision.Vscnet;
using CausalVision.Runtime;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Benchmarks.Vscnet;

/// <summary>
/// VSCNet end to end (ResNet-18 with the small-input stem): one training step of the plain backbone classifier (the
/// baseline; the Ratio column gives each stage's cost relative to it), of stage 1 (backbone + CSNet, L_AL) and of
/// stage 2 (CSNet frozen: HAR, graph, CIM, fusion, L_ff) at the given batch, and the inference latency of one image.
/// </summary>
[BenchmarkCategory("Vscnet")]
public class VscNetBenchmarks
{
    private const int Tags = 24;
    private const int Classes = 10;
    private VscNet baseline = null!;
    private VscNet stage1 = null!;
    private VscNet stage2 = null!;
    private VscNet inference = null!;
    private ExemplarHierarchy hierarchy = null!;
    private optim.Optimizer baselineOptimizer = null!;
    private optim.Optimizer stage1Optimizer = null!;
    private optim.Optimizer stage2Optimizer = null!;
    private Tensor images = null!;
    private Tensor one = null!;
    private Tensor labels = null!;
    private Tensor steps = null!;

    /// <summary>Gets the devices to measure: <c>CAUSALVISION_BENCH_DEVICES</c> (comma-separated, default "cpu").</summary>
    public static IEnumerable<string> Devices => BenchmarkDevices.Values;

    /// <summary>Gets or sets the device ("cpu" or "cuda").</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the batch size.</summary>
    [Params(64)]
    public int Batch { get; set; }

    /// <summary>Gets or sets the image side.</summary>
    [Params(32)]
    public int ImageSize { get; set; }

    /// <summary>Builds the models, a hierarchy and a batch once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = TorchRuntime.ResolveDevice(Device);
        baseline = Build(VscNetAblation.Base, device);
        stage1 = Build(VscNetAblation.Full, device);
        stage2 = Build(VscNetAblation.Full, device);
        inference = Build(VscNetAblation.Full, device);
        images = rand(new long[] { Batch, 3, ImageSize, ImageSize }, device: device);
        one = images[..1].clone();
        labels = randint(0, Classes, Batch, device: device);
        var ids = Enumerable.Range(0, Batch).Select(b => (IReadOnlyList<int>)new[] { b % Tags, (b * 7 + 3) % Tags, (b * 5 + 1) % Tags }).ToArray();
        steps = FvaLoss.SelectStepTargets(ids, stage1.Regions, Tags, device);
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            using var o = stage2.call(images);
            var hidden = o.Fva!.HiddenStates.reshape(-1, o.Fva.HiddenStates.shape[2]);
            var n = (int)hidden.shape[0];
            hierarchy = ExemplarHierarchy.Build(hidden, Enumerable.Range(0, n).Select(i => (long)(i % Tags)).ToArray(), Enumerable.Range(0, n).Select(i => (long)(i % Classes)).ToArray(), Tags, Classes, new HierarchyOptions { MinMembers = 1, PurityThreshold = 0 }, device);
        }

        stage2.SetHierarchy(hierarchy);
        stage2.SetStage(VscNetStage.Classification);
        inference.SetHierarchy(hierarchy);
        inference.SetStage(VscNetStage.Classification);
        inference.eval();
        baselineOptimizer = new LeanAdam(baseline.parameters().Where(p => p.requires_grad), 5e-4);
        stage1Optimizer = new LeanAdam(stage1.parameters().Where(p => p.requires_grad), 5e-4);
        stage2Optimizer = new LeanAdam(stage2.parameters().Where(p => p.requires_grad), 5e-4);
    }

    /// <summary>The plain backbone classifier's training step (baseline).</summary>
    /// <returns>The loss.</returns>
    [Benchmark(Baseline = true, Description = "BackboneStep")]
    public float BackboneStep() => Step(baseline, baselineOptimizer, stage: 1);

    /// <summary>A stage-1 training step (backbone + CSNet, L_AL).</summary>
    /// <returns>The loss.</returns>
    [Benchmark(Description = "Stage1Step")]
    public float Stage1Step() => Step(stage1, stage1Optimizer, stage: 1);

    /// <summary>A stage-2 training step (CSNet frozen; HAR, graph, CIM, fusion; L_ff).</summary>
    /// <returns>The loss.</returns>
    [Benchmark(Description = "Stage2Step")]
    public float Stage2Step() => Step(stage2, stage2Optimizer, stage: 2);

    /// <summary>Inference of one image with the full model.</summary>
    /// <returns>The top probability.</returns>
    [Benchmark(Description = "InferencePerImage")]
    public float InferencePerImage()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var o = inference.call(one);
        return o.Probabilities.max().item<float>();
    }

    /// <summary>Releases native memory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        baselineOptimizer.Dispose();
        stage1Optimizer.Dispose();
        stage2Optimizer.Dispose();
        images.Dispose();
        one.Dispose();
        labels.Dispose();
        steps.Dispose();
        baseline.Dispose();
        stage1.Dispose();
        stage2.Dispose();
        inference.Dispose();
        hierarchy.Dispose();
    }

    private static VscNet Build(VscNetAblation ablation, Device device)
    {
        var model = new VscNetBuilder()
            .WithBackbone("resnet18")
            .Configure(o => o.Backbone.Options.SmallInputStem = true)
            .WithRegions(5)
            .WithTagVocabulary(Enumerable.Range(0, Tags).Select(i => $"t{i}"))
            .WithClasses(Classes)
            .WithAblation(ablation)
            .WithSeed(0)
            .Build();
        model.to(device);
        return model;
    }

    private float Step(VscNet model, optim.Optimizer optimizer, int stage)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        using var o = model.call(images);
        using var loss = stage == 1 ? VscNetLoss.Stage1(model, o, labels, steps) : VscNetLoss.Stage2(model, o, labels);
        loss.Total.backward();
        optimizer.step();
        return loss.Total.item<float>();
    }
}
