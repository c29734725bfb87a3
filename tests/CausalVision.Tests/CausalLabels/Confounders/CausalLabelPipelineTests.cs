using CausalVision.Backbones;
using CausalVision.CausalLabels;
using CausalVision.CausalLabels.Confounders;
using CausalVision.Synthetic;
using TorchSharp.Modules;

namespace CausalVision.Tests.CausalLabels.Confounders;

public sealed class CausalLabelPipelineTests
{
    [Fact]
    public void Run_TinyCausalModel_InstallsKMeansDictionaryAndEvaluates()
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            MultiLabel = true, ImageSize = 32, ShapeCount = 2, ColorCount = 2, MaxObjectsPerImage = 3,
            BiasedPairCount = 1, TrainSize = 8, TestIidSize = 1, TestOodSize = 8, Seed = 2,
        });
        manual_seed(0);
        using var model = new CausalLabelModelBuilder()
            .WithBackbone(new PatchBackbone()).WithLabels(bench.Info.Classes)
            .WithConfounders(5).WithModelDim(8).WithHeads(2).WithDecoderLayers(1).WithSeed(0)
            .Build();
        var pair = bench.BiasedPairs[0];
        var result = CausalLabelPipeline.Run(
            model, bench.Train, bench.TestOod,
            new CausalLabelTrainerOptions { Stage1Epochs = 1, CausalEpochs = 1, BatchSize = 4 },
            [new CausalVision.Metrics.BiasedPair(pair.Biased, pair.Context, double.NaN, double.NaN)]);
        Assert.Equal(8, result.Images);
        Assert.InRange(result.Map, 0, 1);
        Assert.Equal(1.0, model.Intervention!.Prior.sum().item<float>(), 5);
        Assert.True(model.Intervention.Centres.abs().sum().item<float>() > 0); // K-means centres replaced the zero initial ones
    }

    [Fact]
    public void Controls_TinyModel_EveryRowFromOneCheckpointWithSwapRows()
    {
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            MultiLabel = true, ImageSize = 32, ShapeCount = 2, ColorCount = 2, MaxObjectsPerImage = 3,
            BiasedPairCount = 1, TrainSize = 8, TestIidSize = 1, TestOodSize = 8, Seed = 2,
        });
        var pair = bench.BiasedPairs[0];
        CausalLabelModel Build(CausalLabelVariant variant, InterventionForm form, int k)
        {
            manual_seed(0);
            return new CausalLabelModelBuilder()
                .WithBackbone(new PatchBackbone()).WithLabels(bench.Info.Classes)
                .WithConfounders(k).WithModelDim(8).WithHeads(2).WithDecoderLayers(1).WithSeed(0)
                .Configure(o => o.InterventionForm = form).WithVariant(variant)
                .Build();
        }

        var rows = CausalLabelControls.Run(
            Build, bench.Train, bench.TestOod, [new CausalVision.Metrics.BiasedPair(pair.Biased, pair.Context, double.NaN, double.NaN)],
            new CausalLabelTrainerOptions { Stage1Epochs = 1, CausalEpochs = 1, BatchSize = 4 },
            new CausalLabelControlSet { K = 3, Forms = [InterventionForm.Grounded], Controls = [DictionaryControl.PriorMean], SweepK = [2] });
        Assert.Equal(
            ["Decouple (stage 1)", "Decouple +1 epochs", "Causal Grounded K=3", "Causal Grounded K=3, test-time swap to random, matched mean/cov",
             "Causal Grounded K=3, test-time swap to K = 1 at E_P[c]", "Causal Grounded K=3 control: K = 1 at E_P[c]", "Causal Grounded K=2"],
            rows.Select(r => r.Name).ToArray());
        Assert.Null(rows[0].CausalOnly);
        Assert.All(rows.Skip(2), r => Assert.InRange(r.CausalOnly!.Map, 0, 1));
        Assert.All(rows, r => Assert.Equal(8, r.Fused.Images));
    }

    /// <summary>A 4x4-stride patch conv: 32x32 images give 64 tokens of 6 dims.</summary>
    private sealed class PatchBackbone : Backbone
    {
        private readonly Conv2d conv;

        public PatchBackbone()
            : base("patch", 6, 3, 0)
        {
            conv = nn.Conv2d(3, 6, 4, stride: 4);
            RegisterComponents();
        }

        public override int FeatureStride => 4;

        public override Tensor ForwardHead(Tensor pooled) => throw new InvalidOperationException();

        public override BackboneFeatures forward(Tensor images)
        {
            ValidateImages(images, 4);
            using var scope = NewDisposeScope();
            var map = nn.functional.relu(conv.call(images));
            return new BackboneFeatures(map.mean([2L, 3L]), map, map.flatten(2).transpose(1, 2)).MoveToOuterDisposeScope();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                conv.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
