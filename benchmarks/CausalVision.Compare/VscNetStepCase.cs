// The VSCNet stage-2 training step (Meng et al., AAAI 2025, eq. 16: L_ff = L_cls + alpha_gf L_gf), the .NET side of
// the pair whose PyTorch eager twin is benchmarks/peers/vscnet_stage2_step.py.
//
// Fixed configuration (both sides; every size can be changed with the flags below, the defaults are what compare.py
// runs): ResNet-18 backbone with the small-input stem (3x3 conv1, no max-pool, stride 8), images 32x32, batch 16,
// J = 4 regions, M = 40 tags, S = 10 classes, P = 64 prototypes; all other options are VscNetOptions' defaults
// (W = 256 node features, 128 hidden, one GCN layer with BatchNorm, CIM mask encoder 1 layer, linear CIM heads, L2
// causal loss, KL to uniform, "add" intervention with a cyclic random permutation, fusion width 512, backbone and
// visual classifier frozen in stage 2). Adam over the trainable stage-2 parameters with the trainer's stage-2 settings
// (lr 5e-4, weight decay 1e-3).
//
// The exemplar hierarchy is not clustered (no stage 1 is run): it is constructed with fixed sizes from a seeded
// System.Random and installed through the public ExemplarHierarchy.Load (the stream is written in the legacy CVEXEMPLARS
// version-1 layout, which Load still reads). The same numbers are written under --work as raw little-endian float32 files plus
// hierarchy.json, which the Python side reads.
//
//   vscnet-step [--batch 16] [--size 32] [--regions 4] [--tags 40] [--classes 10] [--prototypes 64] [--steps 10]
//               [--warmup 3] [--threads N] [--lr 5e-4] [--weight-decay 1e-3] [--seed 0]
//               [--work artifacts/compare/vscnet] [--export-weights DIR]
//
// --export-weights DIR writes, before the timed steps: the hierarchy files, the state dict (one raw file per tensor,
// index.json with names, shapes, dtypes), the named parameters with their requires_grad (params.json), a fixed input
// batch, the eval-mode outputs (logits, probabilities, refined tag probabilities, matched prototypes and similarities,
// P_k, adjacency, node and edge masks), one train-mode step (logits, the CIM permutation, the loss terms, every
// gradient, the parameters after Adam) and the eval-mode logits after it. It first redraws CSNet's zero-initialised
// theta weight (std 0.1) so that the regions differ. `vscnet_stage2_step.py --check DIR` replays all of it.
using System.CommandLine;
using System.Text;
using System.Text.Json;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Vscnet;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Compare;

/// <summary>VSCNet stage-2 step case (see the file header).</summary>
internal static class VscNetStepCase
{
    /// <summary>The <c>vscnet-step</c> command.</summary>
    public static Command Command()
    {
        var batch = CaseOptions.Int("--batch", 16, "Batch size (>= 2).");
        var size = CaseOptions.Int("--size", 32, "Image side in pixels (a multiple of 8).");
        var regions = CaseOptions.Int("--regions", 4, "J, the FVA regions.");
        var tags = CaseOptions.Int("--tags", 40, "M, the tag vocabulary (>= 5).");
        var classes = CaseOptions.Int("--classes", 10, "S, the classes (>= 2).");
        var prototypes = CaseOptions.Int("--prototypes", 64, "P, the prototypes of the exemplar hierarchy.");
        var steps = CaseOptions.Int("--steps", 10, "Timed steps.");
        var warmup = CaseOptions.Int("--warmup", 3, "Untimed steps before them.");
        var lr = CaseOptions.Double("--lr", 5e-4, "Adam learning rate.");
        var weightDecay = CaseOptions.Double("--weight-decay", 1e-3, "Adam weight decay.");
        var seed = CaseOptions.Int("--seed", 0, "Seed of the model, the hierarchy and the batch.");
        var work = new Option<string>("--work") { HelpName = "DIR", Description = "Where the hierarchy files for the Python side go.", DefaultValueFactory = _ => Path.Combine("artifacts", "compare", "vscnet") };
        var exportWeights = new Option<string?>("--export-weights") { HelpName = "DIR", Description = "Write the weights, a fixed batch and the reference outputs for vscnet_stage2_step.py --check DIR." };
        var command = new Command("vscnet-step", "VSCNet stage-2 training step (see VscNetStepCase.cs).") { batch, size, regions, tags, classes, prototypes, steps, warmup, lr, weightDecay, seed, work, exportWeights };
        command.SetCase(r => Run(
            r.GetValue(batch), r.GetValue(size), r.GetValue(regions), r.GetValue(tags), r.GetValue(classes), r.GetValue(prototypes), r.GetValue(steps), r.GetValue(warmup),
            r.GetValue(lr), r.GetValue(weightDecay), r.GetValue(seed), r.GetRequiredValue(work), r.GetValue(exportWeights) ?? string.Empty));
        return command;
    }

    private static int Run(int batch, int size, int regions, int tagCount, int classCount, int prototypes, int steps, int warmup, double lr, double weightDecay, int seed, string work, string export)
    {
        if (batch < 2 || size < 8 || size % 8 != 0 || regions < 1 || tagCount < 5 || classCount < 2 || prototypes < 1 || steps < 0 || warmup < 0)
        {
            throw new ArgumentException("vscnet-step: need batch >= 2, size a multiple of 8, regions >= 1, tags >= 5, classes >= 2, prototypes >= 1, steps and warmup >= 0.");
        }

        using var model = new VscNetBuilder()
            .WithTagVocabulary(Enumerable.Range(0, tagCount).Select(i => $"tag{i}"))
            .WithClasses(Enumerable.Range(0, classCount).Select(i => $"class{i}"))
            .WithBackbone("resnet18")
            .WithRegions(regions)
            .WithSeed(seed)
            .Configure(o =>
            {
                o.Backbone.Options.SmallInputStem = true;
                o.Backbone.Options.ImageSize = size;
                o.Training.BatchSize = batch;
                o.Training.LearningRate = lr;
                o.Training.WeightDecay = weightDecay;
                o.Training.Seed = seed;
            })
            .Build();
        using var trainer = new VscNetTrainer(model);
        var hidden = model.SpatialNet!.HiddenSize;
        using var hierarchy = MakeHierarchy(work, hidden, tagCount, classCount, prototypes, seed);
        model.SetHierarchy(hierarchy);
        model.SetStage(VscNetStage.Classification);
        model.to(CompareDevice.Current);
        model.train();

        // The trainer's stage-2 optimiser: Adam over the stage-2 parameters that require gradients.
        var trainable = model.Stage2Parameters().Where(p => p.requires_grad).ToArray();
        using var optimizer = new LeanAdam(trainable, lr, weight_decay: weightDecay);

        manual_seed(seed + 1);
        using var x = randn(batch, 3, size, size).to(CompareDevice.Current);
        using var y = randint(0, classCount, batch).to(CompareDevice.Current);
        using var tags = (rand(batch, tagCount) < 0.15).to(ScalarType.Float32).to(CompareDevice.Current);

        if (export.Length > 0)
        {
            Export(export, model, optimizer, x, y, work);
        }

        var times = Result.TimeSteps(warmup, steps, () => _ = trainer.TrainStep(optimizer, x, y, tags));

        Result.Print(Result.TorchSharpImpl + " (CausalVision VSCNet)", "step_ms", times, new Dictionary<string, object>
        {
            ["params"] = trainable.Sum(p => p.numel()),
            ["total_params"] = model.parameters().Sum(p => p.numel()),
        });
        return 0;
    }

    // A hierarchy of fixed size P: prototype p has tag p mod M and a seeded class; prototypes are complement coded
    // [u, 1 - u] with u ~ U(0, 1); tag distributions put 0.6 on the prototype's tag and 0.4 on three other tags; class
    // distributions 0.7 on its class and 0.3 on another; the feature range is [-0.3 - U(0, 0.1), 0.3 + U(0, 0.1)].
    private static ExemplarHierarchy MakeHierarchy(string work, long hidden, int tagCount, int classCount, int count, int seed)
    {
        var rng = new Random(1000 + seed);
        var h = (int)hidden;
        var protos = new float[count * 2 * h];
        var tagDist = new float[count * tagCount];
        var classDist = new float[count * classCount];
        var protoTags = new long[count];
        var protoClasses = new long[count];
        for (var p = 0; p < count; p++)
        {
            for (var d = 0; d < h; d++)
            {
                var u = (float)rng.NextDouble();
                protos[(p * 2 * h) + d] = u;
                protos[(p * 2 * h) + h + d] = 1f - u;
            }

            protoTags[p] = p % tagCount;
            tagDist[(p * tagCount) + protoTags[p]] += 0.6f;
            for (var k = 0; k < 3; k++)
            {
                var other = (protoTags[p] + 1 + rng.Next(tagCount - 1)) % tagCount;
                tagDist[(p * tagCount) + other] += 0.4f / 3f;
            }

            protoClasses[p] = rng.Next(classCount);
            classDist[(p * classCount) + protoClasses[p]] += 0.7f;
            classDist[(p * classCount) + ((protoClasses[p] + 1 + rng.Next(classCount - 1)) % classCount)] += 0.3f;
        }

        var min = new float[h];
        var max = new float[h];
        for (var d = 0; d < h; d++)
        {
            min[d] = -0.3f - (0.1f * (float)rng.NextDouble());
            max[d] = 0.3f + (0.1f * (float)rng.NextDouble());
        }

        Directory.CreateDirectory(work);
        WriteFloats(Path.Combine(work, "prototypes.f32"), protos);
        WriteFloats(Path.Combine(work, "tag_distribution.f32"), tagDist);
        WriteFloats(Path.Combine(work, "class_distribution.f32"), classDist);
        WriteFloats(Path.Combine(work, "feature_min.f32"), min);
        WriteFloats(Path.Combine(work, "feature_max.f32"), max);
        var meta = new Dictionary<string, object>
        {
            ["prototypes"] = new[] { count, 2 * h },
            ["tag_distribution"] = new[] { count, tagCount },
            ["class_distribution"] = new[] { count, classCount },
            ["feature_min"] = new[] { h },
            ["feature_max"] = new[] { h },
            ["prototype_tags"] = protoTags,
            ["prototype_classes"] = protoClasses,
            ["seed"] = seed,
        };
        File.WriteAllText(Path.Combine(work, "hierarchy.json"), JsonSerializer.Serialize(meta));

        // ExemplarHierarchy's legacy CVEXEMPLARS version-1 stream: magic, version, M, S, cluster count, prototypes, tags, classes,
        // tag and class distributions, member counts, feature min and max.
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("CVEXEMPLARS");
            w.Write(1);
            w.Write(tagCount);
            w.Write(classCount);
            w.Write(count);
            WriteTensor(w, [count, 2 * h], protos);
            WriteLongs(w, protoTags);
            WriteLongs(w, protoClasses);
            WriteTensor(w, [count, tagCount], tagDist);
            WriteTensor(w, [count, classCount], classDist);
            WriteLongs(w, Enumerable.Repeat(5L, count).ToArray());
            WriteTensor(w, [h], min);
            WriteTensor(w, [h], max);
        }

        stream.Position = 0;
        return ExemplarHierarchy.Load(stream);
    }

    private static void WriteTensor(BinaryWriter w, long[] shape, float[] values)
    {
        w.Write((long)shape.Length);
        foreach (var s in shape)
        {
            w.Write(s);
        }

        w.Write(false);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    private static void WriteLongs(BinaryWriter w, long[] values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    private static void WriteFloats(string path, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian)
        {
            throw new InvalidOperationException("vscnet-step writes little-endian float32 files and needs a little-endian machine.");
        }

        File.WriteAllBytes(path, bytes);
    }

    private static string WriteTensorFile(string dir, string name, Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        var file = name.Replace('/', '_') + (c.dtype == ScalarType.Int64 ? ".i64" : ".f32");
        byte[] bytes;
        if (c.dtype == ScalarType.Int64)
        {
            var v = c.numel() == 0 ? [] : c.data<long>().ToArray();
            bytes = new byte[v.Length * 8];
            Buffer.BlockCopy(v, 0, bytes, 0, bytes.Length);
        }
        else
        {
            using var f = c.to(ScalarType.Float32);
            var v = f.numel() == 0 ? [] : f.data<float>().ToArray();
            bytes = new byte[v.Length * 4];
            Buffer.BlockCopy(v, 0, bytes, 0, bytes.Length);
        }

        File.WriteAllBytes(Path.Combine(dir, file), bytes);
        return file;
    }

    // See the file header. Runs before the timed steps; its one optimiser step is part of the check, not of the timing.
    private static void Export(string dir, VscNet model, optim.Optimizer optimizer, Tensor x, Tensor y, string work)
    {
        Directory.CreateDirectory(dir);

        // CSNet's theta weight starts at zero (every region would be the same centre crop); for the check it is
        // redrawn so that the J regions, their grid samples and the graph differ, as after stage 1.
        using (no_grad())
        {
            nn.init.normal_(model.named_parameters().Single(p => p.name == "csnet.fc_loc.2.weight").parameter, 0, 0.1);
        }

        foreach (var f in new[] { "prototypes.f32", "tag_distribution.f32", "class_distribution.f32", "feature_min.f32", "feature_max.f32", "hierarchy.json" })
        {
            File.Copy(Path.Combine(work, f), Path.Combine(dir, f), overwrite: true);
        }

        var index = new List<Dictionary<string, object>>();
        foreach (var (name, t) in model.state_dict())
        {
            index.Add(new Dictionary<string, object> { ["name"] = name, ["shape"] = t.shape, ["dtype"] = t.dtype == ScalarType.Int64 ? "int64" : "float32", ["file"] = WriteTensorFile(dir, "sd." + name, t) });
        }

        File.WriteAllText(Path.Combine(dir, "index.json"), JsonSerializer.Serialize(index));
        var ps = model.named_parameters().Select(p => new Dictionary<string, object> { ["name"] = p.name, ["shape"] = p.parameter.shape, ["requires_grad"] = p.parameter.requires_grad }).ToList();
        File.WriteAllText(Path.Combine(dir, "params.json"), JsonSerializer.Serialize(ps));

        var outputs = new Dictionary<string, object>
        {
            ["x"] = new Dictionary<string, object> { ["shape"] = x.shape, ["file"] = WriteTensorFile(dir, "x", x) },
            ["y"] = new Dictionary<string, object> { ["shape"] = y.shape, ["file"] = WriteTensorFile(dir, "y", y) },
        };

        using (var scope = NewDisposeScope())
        {
            model.eval();
            using (no_grad())
            {
                using var o = model.call(x);
                outputs["logits_eval"] = new Dictionary<string, object> { ["shape"] = o.Logits.shape, ["file"] = WriteTensorFile(dir, "logits_eval", o.Logits) };
                outputs["probs_eval"] = new Dictionary<string, object> { ["shape"] = o.Probabilities.shape, ["file"] = WriteTensorFile(dir, "probs_eval", o.Probabilities) };
                foreach (var (key, v) in new[] { ("tag_probs", o.TagProbabilities!), ("matched", o.MatchedPrototypes!), ("match_sim", o.MatchSimilarity!), ("knowledge", o.KnowledgeVote!), ("adjacency", o.Adjacency!), ("node_mask", o.NodeMask!), ("edge_mask", o.EdgeMask!) })
                {
                    outputs[key + "_eval"] = new Dictionary<string, object> { ["shape"] = v.shape, ["file"] = WriteTensorFile(dir, key + "_eval", v) };
                }
            }

            // One train-mode step, written out as TrainStep does it, so that the permutation and the terms can be kept.
            model.train();
            optimizer.zero_grad();
            using var t = model.call(x);
            using var loss = VscNetLoss.Stage2(model, t, y);
            outputs["logits_train"] = new Dictionary<string, object> { ["shape"] = t.Logits.shape, ["file"] = WriteTensorFile(dir, "logits_train", t.Logits) };
            outputs["permutation"] = new Dictionary<string, object> { ["shape"] = t.Permutation!.shape, ["file"] = WriteTensorFile(dir, "permutation", t.Permutation) };
            outputs["loss"] = new Dictionary<string, double>
            {
                ["total"] = loss.Total.item<float>(),
                ["cls"] = loss.Classification.item<float>(),
                ["gf"] = loss.GraphLoss!.item<float>(),
                ["kl"] = loss.Kl!.item<float>(),
                ["causal"] = loss.Causal!.item<float>(),
                ["intervened"] = loss.Intervened!.item<float>(),
            };
            loss.Total.backward();
            var grads = new Dictionary<string, object>();
            foreach (var (name, p) in model.named_parameters().Where(p => p.parameter.requires_grad))
            {
                grads[name] = new Dictionary<string, object> { ["shape"] = p.shape, ["file"] = WriteTensorFile(dir, "grad." + name, p.grad!) };
            }

            outputs["grads"] = grads;
            optimizer.step();

            var after = new Dictionary<string, object>();
            foreach (var (name, p) in model.named_parameters().Where(p => p.parameter.requires_grad))
            {
                after[name] = new Dictionary<string, object> { ["shape"] = p.shape, ["file"] = WriteTensorFile(dir, "after." + name, p) };
            }

            outputs["params_after_step"] = after;
            model.eval();
            using (no_grad())
            {
                using var o = model.call(x);
                outputs["logits_after_step"] = new Dictionary<string, object> { ["shape"] = o.Logits.shape, ["file"] = WriteTensorFile(dir, "logits_after_step", o.Logits) };
            }

            model.train();
        }

        File.WriteAllText(Path.Combine(dir, "outputs.json"), JsonSerializer.Serialize(outputs));
        Console.Error.WriteLine($"vscnet-step: exported weights, inputs and reference outputs to {dir}");
    }
}
