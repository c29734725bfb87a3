// # Walkthrough 2: VSCNet, trained small, explained, saved, reloaded and used on an image file
//
//     eng/torch-env.sh dotnet run samples/walkthroughs/02-vscnet.cs      # writes artifacts/walkthroughs/vscnet/
#:project ../../src/CausalVision/CausalVision.csproj
using CausalVision.Vscnet;
using CausalVision.Synthetic;
using CausalVision.Training;

var outDir = Path.Combine("artifacts", "walkthroughs", "vscnet");
Directory.CreateDirectory(outDir);

// ## 1. Data: the built-in benchmark at 32 px (the objects are the tags)
var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
{
    Seed = 1, ImageSize = 32, ClassCount = 4, ShapeCount = 3, ColorCount = 2, TrainSize = 160, TestIidSize = 32, TestOodSize = 32,
});

// ## 2. The model: backbone -> FVA regions and tags (+L) -> exemplar hierarchy (+K) -> graph (+G) -> CIM masks (+C) -> fusion (+F)
// The options of the causal path: regions that start apart and stay on the map, masks that can select, and a prototype
// temperature that lets eq. 7 move the tag ranking (see docs/notes/vscnet.md).
using var model = new VscNetBuilder()
    .ForDataset(bench.Info)
    .WithBackbone("resnet18")
    .WithRegions(3)
    .WithAblation(VscNetAblation.Full)
    .WithSeed(0) // reproducible initial weights (the builder seeds only when asked)
    .Configure(o =>
    {
        o.Backbone.Options.ImageSize = 32;
        o.Fva = CausalVision.Vscnet.Fva.FvaOptions.Localising();
        o.Fva.Steps = 3;
        o.Cim = CausalVision.Graph.Cim.CimOptions.Selective(); // eq. 10-13; VSCNet fills in its input width and classes
        o.Refinement.PrototypeTemperature = 0.05;             // eq. 7's tau
        o.NodeFeatures = 64;
        o.Cim.HiddenFeatures = 64;                            // with +C the graph encoders are CIM's
        o.Fusion.FusedFeatures = 64;
        o.Training.Stage1Epochs = 1;
        o.Training.Stage2Epochs = 1;
        o.Training.BatchSize = 32;
    })
    .Build();

// ## 3. Two-stage training (stage 1: regions and tags; the hierarchy; stage 2: graph, masks, fusion)
using var trainer = new VscNetTrainer(model);
var metrics = trainer.Run(bench.Train, bench.TestOod, new Progress<TrainingProgress>(p => { if (p.Metrics.Count > 0) Console.WriteLine(p); }));
Console.WriteLine("test_ood: " + string.Join(", ", metrics.Metrics.Select(kv => $"{kv.Key} {kv.Value:F3}")));
Console.WriteLine($"{metrics.History.Count} epochs (both stages), train loss " + string.Join(" -> ", metrics.History.Select(e => $"{e.TrainLoss:F2}")));

// ## 4. Why: regions, their tags before/after eq. 7, the matched prototypes and the causal node mask of one image
using var sample = bench.TestOod.Get(0);
using var batch = sample.Image.unsqueeze(0);
var why = model.Explain(batch)[0];
Console.WriteLine($"image 0: predicted {bench.Info.Classes[why.PredictedClass]} ({why.ClassProbabilities.Max():P0}), true {bench.Info.Classes[sample.Label]}");
for (var j = 0; j < why.Regions.Count; j++)
{
    var r = why.Regions[j];
    Console.WriteLine($"  region {j}: tags {string.Join(", ", r.TagsBefore.Take(2).Select(t => $"{t.Name} {t.Probability:P0}"))} -> {string.Join(", ", r.TagsAfter.Take(2).Select(t => $"{t.Name} {t.Probability:P0}"))}; prototype {r.Prototype} (similarity {r.PrototypeSimilarity:F2})");
}

if (why.NodeMask is { } mask)
{
    Console.WriteLine("  causal share of each graph node (regions, tags, prototypes): " + string.Join(" ", mask.Select(v => v.ToString("F2"))));
    var heatmap = Path.Combine(outDir, "masks.png");
    MaskRenderer.Save(why, heatmap, model.TagNames); // node mask column + edge-mask grid, one row per real node
    Console.WriteLine($"  masks: {heatmap}");
}

var overlay = Path.Combine(outDir, "regions.png");
RegionRenderer.Save(sample.Image, why, overlay, new RegionRendererOptions { Scale = 8 }); // upscaled: readable at 32 px
Console.WriteLine($"  overlay: {overlay}");

// What the matched prototypes stand for: each one's best-matching regions among 128 training images (a prototype
// keeps features and tag/class distributions, not the regions it clustered, so the gallery is collected afresh).
var references = Enumerable.Range(0, 128).Select(i => bench.Train.Get(i)).ToList();
using (var referenceImages = TorchSharp.torch.stack(references.Select(s => s.Image)))
{
    var gallery = PrototypeGallery.Collect(model, referenceImages);
    var galleryPng = Path.Combine(outDir, "gallery.png");
    gallery.Save(galleryPng, why.Regions.Select(r => r.Prototype).Where(p => p >= 0));
    Console.WriteLine($"  gallery: {galleryPng}");
}

references.ForEach(s => s.Dispose());

// ## 5. Ship it: one file, one call to reload, predictions from image files
var file = Path.Combine(outDir, "vscnet.safetensors");
model.Save(file);
using var reloaded = VscNet.Load(file);
var png = Path.Combine(outDir, "ood0.png");
CausalVision.Imaging.ImageDecoder.SavePng(new CausalVision.Imaging.ImageBuffer(3, 32, 32, bench.TestOod.Render(0)), png);
// Predict decodes to [0, 1] and resizes, as the trainer fed the images (pass your EvalTransform if you used one).
foreach (var p in reloaded.Predict([png], top: 2))
{
    Console.WriteLine($"{p.Source}: {string.Join(", ", p.Classes.Select(c => $"{c.Label} {c.Score:P0}"))}; tags {string.Join(", ", p.Tags.Select(t => t.Tag))}");
}
