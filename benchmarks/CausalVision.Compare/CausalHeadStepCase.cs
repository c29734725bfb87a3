// The paper-B intervention head's training step (stage 3 of CausalLabelTrainer), against the PyTorch
// eager mirror in benchmarks/peers/causal_head_step.py.
//
// "The head" = everything after the backbone: a spatial feature map [B, D, H, W] as a frozen ResNet's
// last stage gives it -> tokens [B, H W, D] (the backbone's own flatten(2).transpose(1, 2)) ->
// CausalLabelHead (label-query decoder "Decouple", group-wise baseline classifier, confounder
// intervention "Causal" = cross-attention over LN(X + P c) weighted by P(c), fused by SumLogits) ->
// the trainer's loss (CausalLabelTrainer.ComputeLoss, BCE with logits) -> backward -> AdamW step
// (the trainer's optimiser: lr 1e-3, weight decay 1e-4, every head parameter trainable, as in stage 3
// with the default FreezeDecoderInCausalStage = false). Training mode: dropout 0.1 on.
//
// Default config (documented in --help of the Python side too): ResNet-50 at 224 px -> D = 2048,
// 7 x 7 tokens; 20 labels (PASCAL VOC); K = 80 confounders (the slides' best, the library default);
// batch 16; the library's head defaults d = 256, 8 heads, 2 decoder layers, FFN 1024. The confounder
// dictionary lives in backbone space (Dc = D, as CausalLabelModelBuilder sets it), so the intervention
// has its bias-free conf_proj D -> d.
//
// The dictionary (centres [K, D] = |N(0, 1)| seeded, prior [K] from seeded cluster sizes) is written as raw
// little-endian float32 to --work (centres.f32, prior.f32, dictionary.json) so the Python side installs
// the identical one. --export-weights DIR writes the head's state dict, a fixed input, its eval-mode
// logits, the loss, a few gradients and those parameters after one AdamW step, for `causal_head_step.py --check DIR`.
using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using CausalVision.CausalLabels;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Compare;

/// <summary>The <c>causal-head-step</c> case: CausalLabelHead training step on a backbone-shaped feature map.</summary>
internal static class CausalHeadStepCase
{
    /// <summary>Parameters whose gradients the export carries (one early, one in the intervention, the projection of the dictionary).</summary>
    private static readonly string[] GradientNames =
    [
        "decoder.input_proj.weight",
        "decoder.layers.1.cross_attn.k_proj.weight",
        "intervention.conf_proj.weight",
        "intervention.cross_attn.v_proj.weight",
        "intervention.fc2.W",
        "baseline.b",
    ];

    /// <summary>The <c>causal-head-step</c> command.</summary>
    public static Command Command()
    {
        var batch = CaseOptions.Int("--batch", 16, "Batch size.");
        var channels = CaseOptions.Int("--channels", 2048, "D, the backbone feature dimension (ResNet-50: 2048).");
        var size = CaseOptions.Int("--size", 7, "H = W of the feature map (ResNet-50 at 224 px: 7).");
        var labels = CaseOptions.Int("--labels", 20, "L, the labels (PASCAL VOC: 20).");
        var confounders = CaseOptions.Int("--confounders", 80, "K, the confounders.");
        var modelDim = CaseOptions.Int("--model-dim", 256, "d, the head's width.");
        var heads = CaseOptions.Int("--heads", 8, "Attention heads.");
        var layers = CaseOptions.Int("--layers", 2, "Decoder layers.");
        var ffn = CaseOptions.Int("--ffn", 1024, "Feed-forward width.");
        var steps = CaseOptions.Int("--steps", 20, "Timed steps.");
        var warmup = CaseOptions.Int("--warmup", 3, "Untimed steps before them.");
        var work = new Option<string>("--work") { HelpName = "DIR", Description = "Where the confounder dictionary for the Python side goes.", DefaultValueFactory = _ => Path.Combine("artifacts", "compare", "causal-head") };
        var exportWeights = new Option<string?>("--export-weights") { HelpName = "DIR", Description = "Write the weights, a fixed input and the reference outputs for causal_head_step.py --check DIR." };
        var command = new Command("causal-head-step", "Paper B's intervention head training step on a backbone-shaped feature map (see CausalHeadStepCase.cs).")
        {
            batch, channels, size, labels, confounders, modelDim, heads, layers, ffn, steps, warmup, work, exportWeights,
        };
        command.SetCase(r => Run(
            r.GetValue(batch), r.GetValue(channels), r.GetValue(size), r.GetValue(labels), r.GetValue(confounders), r.GetValue(modelDim), r.GetValue(heads), r.GetValue(layers),
            r.GetValue(ffn), r.GetValue(steps), r.GetValue(warmup), r.GetRequiredValue(work), r.GetValue(exportWeights) ?? string.Empty));
        return command;
    }

    private static int Run(int batch, int channels, int size, int labels, int k, int modelDim, int heads, int layers, int ffn, int steps, int warmup, string work, string exportDir)
    {
        var options = new CausalLabelOptions
        {
            NumLabels = labels,
            InputDim = channels,
            ConfounderDim = channels,
            NumConfounders = k,
            ModelDim = modelDim,
            Heads = heads,
            DecoderLayers = layers,
            FeedForwardDim = ffn,

            // The Python peer implements the LayerNorm form of the intervention.
            InterventionForm = InterventionForm.LayerNorm,
        };
        if (batch < 1 || size < 1)
        {
            throw new ArgumentException($"--batch and --size must be at least 1; got {batch} and {size}.");
        }

        manual_seed(0);
        using var head = new CausalLabelHead(options);
        using (var dictionary = MakeDictionary(k, channels, 1234))
        {
            head.SetDictionary(dictionary);
        }

        WriteDictionary(work, head.Intervention!);

        if (exportDir.Length > 0)
        {
            Export(exportDir, head, options, batch, size, k);
        }

        var gen = new Generator(7);
        using var map = randn([batch, channels, size, size], generator: gen).relu_().to(CompareDevice.Current);
        using var targets = (rand([batch, labels], generator: gen) < 0.3).to(float32).to(CompareDevice.Current);
        head.to(CompareDevice.Current);
        head.train();
        using var optimizer = new LeanAdamW(head.parameters(), 1e-3, weight_decay: 1e-4);
        var times = Result.TimeSteps(warmup, steps, () =>
        {
            optimizer.zero_grad();
            var tokens = map.flatten(2).transpose(1, 2);
            using var parts = head.ForwardParts(tokens);
            var loss = CausalLabelTrainer.ComputeLoss(parts.Logits, targets, MultiLabelLoss.BinaryCrossEntropy);
            loss.backward();
            optimizer.step();
            _ = loss.item<float>();
        });

        gen.Dispose();
        Result.Print(Result.TorchSharpImpl + " (CausalLabelHead)", "step_ms", times, new Dictionary<string, object>
        {
            ["params"] = head.parameters().Sum(p => p.numel()),
            ["config"] = $"B{batch} D{channels} {size}x{size} L{labels} K{k} d{options.ModelDim} h{options.Heads} layers{options.DecoderLayers} ffn{options.FeedForwardDim}",
        });
        return 0;
    }

    // Seeded stand-in for a K-means dictionary over post-ReLU backbone features: non-negative centres and a
    // non-uniform prior from cluster sizes 1..100.
    private static ConfounderDictionary MakeDictionary(int k, int dim, ulong seed)
    {
        using var gen = new Generator(seed);
        using var scope = NewDisposeScope();
        var centres = randn([k, dim], generator: gen).abs();
        var counts = randint(1, 101, [k], generator: gen).to(float64);
        return ConfounderDictionary.FromCentres(centres, counts);
    }

    private static void WriteDictionary(string dir, ConfounderIntervention intervention)
    {
        Directory.CreateDirectory(dir);
        WriteF32(Path.Combine(dir, "centres.f32"), intervention.Centres);
        WriteF32(Path.Combine(dir, "prior.f32"), intervention.Prior);
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["centres"] = new { file = "centres.f32", shape = intervention.Centres.shape },
            ["prior"] = new { file = "prior.f32", shape = intervention.Prior.shape },
            ["dtype"] = "float32-le",
        });
        WriteAtomic(Path.Combine(dir, "dictionary.json"), System.Text.Encoding.UTF8.GetBytes(json));
    }

    // State dict, a fixed input (map + targets), eval-mode logits (dropout off), the loss and the gradients
    // of GradientNames after one backward of that loss.
    private static void Export(string dir, CausalLabelHead head, CausalLabelOptions options, int batch, int size, int k)
    {
        Directory.CreateDirectory(dir);
        var tensors = new List<object>();
        foreach (var (name, t) in head.state_dict())
        {
            var file = "w_" + name + ".f32";
            WriteF32(Path.Combine(dir, file), t);
            tensors.Add(new { name, shape = t.shape, file });
        }

        using var gen = new Generator(99);
        using var map = randn([batch, options.InputDim, size, size], generator: gen).relu_();
        using var targets = (rand([batch, options.NumLabels], generator: gen) < 0.3).to(float32);
        head.eval();
        head.zero_grad();
        float lossValue;
        using (var scope = NewDisposeScope())
        {
            using var parts = head.ForwardParts(map.flatten(2).transpose(1, 2));
            var loss = CausalLabelTrainer.ComputeLoss(parts.Logits, targets, MultiLabelLoss.BinaryCrossEntropy);
            loss.backward();
            lossValue = loss.item<float>();
            WriteF32(Path.Combine(dir, "logits.f32"), parts.Logits);
            WriteF32(Path.Combine(dir, "baseline_logits.f32"), parts.BaselineLogits);
            WriteF32(Path.Combine(dir, "causal_logits.f32"), parts.CausalLogits!);
        }

        WriteF32(Path.Combine(dir, "input.f32"), map);
        WriteF32(Path.Combine(dir, "targets.f32"), targets);
        var grads = new List<object>();
        var named = head.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var name in GradientNames.Where(named.ContainsKey))
        {
            var file = "g_" + name + ".f32";
            WriteF32(Path.Combine(dir, file), named[name].grad!);
            grads.Add(new { name, file });
        }

        // One AdamW step from these gradients (fresh optimiser state, as the timed loop's first step): the
        // updated values of the same parameters, to check that both sides' optimisers agree. The weights are
        // restored afterwards so the timed run does not depend on --export-weights.
        var stepped = new List<object>();
        var saved = head.parameters().Select(p => p.detach().clone()).ToList();
        using (var optimizer = new LeanAdamW(head.parameters(), 1e-3, weight_decay: 1e-4))
        {
            optimizer.step();
        }

        foreach (var name in GradientNames.Where(named.ContainsKey))
        {
            var file = "s_" + name + ".f32";
            WriteF32(Path.Combine(dir, file), named[name]);
            stepped.Add(new { name, file });
        }

        using (torch.no_grad())
        {
            foreach (var (p, v) in head.parameters().Zip(saved))
            {
                p.copy_(v);
                v.Dispose();
            }
        }

        head.zero_grad();
        var index = new Dictionary<string, object>
        {
            ["config"] = new Dictionary<string, object>
            {
                ["batch"] = batch,
                ["channels"] = options.InputDim,
                ["size"] = size,
                ["labels"] = options.NumLabels,
                ["confounders"] = k,
                ["model_dim"] = options.ModelDim,
                ["heads"] = options.Heads,
                ["layers"] = options.DecoderLayers,
                ["ffn"] = options.FeedForwardDim,
            },
            ["params"] = head.parameters().Sum(p => p.numel()),
            ["tensors"] = tensors,
            ["input"] = new { file = "input.f32", shape = map.shape },
            ["targets"] = new { file = "targets.f32", shape = targets.shape },
            ["logits"] = new { file = "logits.f32", shape = new long[] { batch, options.NumLabels } },
            ["baseline_logits"] = "baseline_logits.f32",
            ["causal_logits"] = "causal_logits.f32",
            ["loss"] = lossValue,
            ["grads"] = grads,
            ["after_adamw_step"] = new { lr = 1e-3, weight_decay = 1e-4, tensors = stepped },
        };
        WriteAtomic(Path.Combine(dir, "index.json"), JsonSerializer.SerializeToUtf8Bytes(index, new JsonSerializerOptions { WriteIndented = true }));
        Console.Error.WriteLine($"causal-head-step: exported {tensors.Count} tensors, input, logits, loss {lossValue:G9} and {grads.Count} gradients to {dir}");
    }

    private static void WriteF32(string path, Tensor t)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new InvalidOperationException("The raw float32 files are little-endian; this machine is not.");
        }

        using var scope = NewDisposeScope();
        var values = t.detach().cpu().to(float32).contiguous().data<float>().ToArray();
        WriteAtomic(path, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    private static void WriteAtomic(string path, byte[] bytes)
    {
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}
