// The "vscnet-rows" and "vscnet-p-sweep" experiments: VSCNet's components (+L, +K, +G, +C, +F) against the
// reference rows (ERM, Group DRO, the unbiased ceiling, the tags -> class oracle) on frozen backbone feature
// maps of the built-in benchmark, every row at the same number of optimiser steps and on the same batches.
using System.Globalization;
using CausalVision.Backbones;
using CausalVision.Evaluation;
using CausalVision.Vscnet.Fva;
using CausalVision.Graph.Cim;
using CausalVision.Graph.Masks;
using CausalVision.Vscnet;
using CausalVision.Metrics;
using CausalVision.Synthetic;
using CausalVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Samples;

/// <summary>VSCNet settings of the experiments (from the command line).</summary>
internal sealed record VscSettings(int InputSize, int Regions, int Stage1Epochs, int Stage2Epochs, int BatchSize, double LearningRate, bool PaperDefaults, int HierarchyMinMembers);

/// <summary>Builds the VSCNet experiment definitions.</summary>
internal static class VscNetRows
{
    public static readonly string[] Names = ["vscnet-rows", "vscnet-p-sweep"];

    private const VscNetAblation L = VscNetAblation.Locating;
    private const VscNetAblation K = VscNetAblation.Knowledge;
    private const VscNetAblation G = VscNetAblation.Graph;
    private const VscNetAblation C = VscNetAblation.Causal;

    public static ExperimentDefinition Create(string name, ExperimentSettings s, VscSettings v) => name switch
    {
        "vscnet-rows" => Rows(s, v),
        "vscnet-p-sweep" => Sweep(s, v),
        _ => throw new ArgumentException($"unknown experiment '{name}'; known: {string.Join(", ", Names)}."),
    };

    private static ExperimentDefinition Rows(ExperimentSettings s, VscSettings v)
    {
        var rows = new List<ExperimentRow>
        {
            new("erm", c => Head(c, s, v, s.P, TrainingObjective.Erm, oracle: false), description: "ERM: linear head on F_v (the pooled map)"),
            new("group-dro", c => Head(c, s, v, s.P, TrainingObjective.GroupDro, oracle: false), description: "Group DRO (Sagawa et al. 2020) over (class, context) groups"),
            new("ceiling", c => Head(c, s, v, 0, TrainingObjective.Erm, oracle: false), description: "ERM on the unbiased variant (p = 1/contexts)"),
            new("oracle", c => Head(c, s, v, s.P, TrainingObjective.Erm, oracle: true), description: "tags -> class oracle (privileged: the objects drawn)"),
            new("vsc-L", c => Vsc(c, s, v, s.P, L, VscPredictionHead.Fusion), description: "FVA regions and tags, fused with F_v"),
            new("vsc-LK", c => Vsc(c, s, v, s.P, L | K, VscPredictionHead.Fusion), description: "+ the exemplar hierarchy (prototypes, eq. 7 refinement)"),
            new("vsc-LKG", c => Vsc(c, s, v, s.P, L | K | G, VscPredictionHead.Fusion), description: "+ the region/tag/prototype graph"),
            new("vsc-LKGC", c => Vsc(c, s, v, s.P, L | K | G | C, VscPredictionHead.Fusion), description: "+ CIM (masks, causal/trivial graphs, intervention)"),
            new("vsc-full", c => Vsc(c, s, v, s.P, VscNetAblation.Full, VscPredictionHead.Fusion), description: "full VSCNet: + the hierarchy vote P_k in the fusion (eq. 14)"),
            new("vsc-full-fc", c => Vsc(c, s, v, s.P, VscNetAblation.Full, VscPredictionHead.CausalClassifier), description: "full VSCNet predicting with f_c(F_c) alone"),
            new("vsc-L-tags", c => Vsc(c, s, v, s.P, L, VscPredictionHead.Tags), description: "+L predicting from the predicted tags alone (VscPredictionHead.Tags)"),
            new("vsc-full-gce", c => Vsc(c, s, v, s.P, VscNetAblation.Full, VscPredictionHead.Fusion, Disc), description: "full VSCNet, CIM's trivial branch trained with DisC's GCE (no mask budget)"),
            new("vsc-full-fc-gce", c => Vsc(c, s, v, s.P, VscNetAblation.Full, VscPredictionHead.CausalClassifier, Disc), description: "full VSCNet with DisC's GCE, predicting with f_c alone"),

            // Group-balanced sampling (uses the group labels, like Group DRO): every (class, context) group is drawn
            // alike, so the tag heads and the graph see as many conflicting images as aligned ones.
            new("erm-balanced", c => Head(c, s, v, s.P, TrainingObjective.Erm, oracle: false, DataSampling.GroupBalanced), description: "ERM with group-balanced sampling (DataSampling.GroupBalanced)"),
            new("vsc-full-balanced", c => Vsc(c, s, v, s.P, VscNetAblation.Full, VscPredictionHead.Fusion, balanced: true), description: "full VSCNet, both stages with group-balanced sampling"),
            new("vsc-full-fc-balanced", c => Vsc(c, s, v, s.P, VscNetAblation.Full, VscPredictionHead.CausalClassifier, balanced: true), description: "full VSCNet with group-balanced sampling, predicting with f_c alone"),
            new("vsc-L-tags-balanced", c => Vsc(c, s, v, s.P, L, VscPredictionHead.Tags, balanced: true), description: "+L tags-only head (concept bottleneck) with group-balanced sampling: tag heads trained on balanced groups"),
        };
        return new ExperimentDefinition { Name = "vscnet-rows", Baseline = "erm", Rows = rows, Recipe = Recipe(s, v, $"p = {Str(s.P)}") };
    }

    private static ExperimentDefinition Sweep(ExperimentSettings s, VscSettings v)
    {
        var rows = new List<ExperimentRow>();
        foreach (var p in s.SweepPs)
        {
            rows.Add(new($"erm@p={Str(p)}", c => Head(c, s, v, p, TrainingObjective.Erm, oracle: false)));
            rows.Add(new($"full@p={Str(p)}", c => Vsc(c, s, v, p, VscNetAblation.Full, VscPredictionHead.Fusion)));
            rows.Add(new($"full-fc@p={Str(p)}", c => Vsc(c, s, v, p, VscNetAblation.Full, VscPredictionHead.CausalClassifier)));
            rows.Add(new($"L-tags@p={Str(p)}", c => Vsc(c, s, v, p, L, VscPredictionHead.Tags)));
        }

        return new ExperimentDefinition { Name = "vscnet-p-sweep", Baseline = rows[0].Name, Rows = rows, Recipe = Recipe(s, v, $"p in {{{string.Join(", ", s.SweepPs.Select(Str))}}}") };
    }

    private static string Recipe(ExperimentSettings s, VscSettings v, string p) =>
        $"built-in benchmark, SyntheticBenchmarkOptions.Robustness ({p}; 6 classes x 6 contexts = 36 groups; objects of radius 8-12 px at {s.ImageSize} px), "
        + $"{s.TrainSize} train / {s.ValidationSize} val (training distribution) / {s.TestSize / 3} test_iid / {s.TestSize} test_ood images, benchmark seed = run seed; "
        + $"frozen '{s.Backbone}' backbone on the images resized to {v.InputSize} px, its last feature map cached once per seed and standardised per channel with the training split's statistics (no augmentation). "
        + $"Every row trains {v.Stage1Epochs + v.Stage2Epochs} epochs of batch {v.BatchSize} on the same batch order (FeatureHeadTrainer.EpochOrder): "
        + $"linear rows (erm, group-dro, ceiling, oracle) with FeatureHeadTrainer (Adam lr {Str(s.LearningRate)}, Group DRO step {Str(s.GroupDroStep)}); "
        + $"VSCNet rows {v.Stage1Epochs} stage-1 epochs (shared by every VSCNet row of a seed) + {v.Stage2Epochs} stage-2 epochs, Adam lr {Str(v.LearningRate)}, J = {v.Regions} regions, hierarchy clusters of at least {v.HierarchyMinMembers} regions, "
        + (v.PaperDefaults ? "paper/authors'-code defaults for FVA, CIM and eq. 7; " : "FvaOptions.Localising(), CimOptions.Selective(), eq. 7 temperature 0.05; ")
        + "the epoch is selected on validation mean-group accuracy (the ceiling on its own unbiased validation split). Test metrics: test_ood unless prefixed iid_ or val_.";

    private static SyntheticBenchmark Bench(ExperimentRunContext c, ExperimentSettings s, double p) =>
        c.Shared($"bench@{Str(p)}", () => SyntheticBenchmark.Generate(BaselineRows.Options(s, p, c.Seed)));

    /// <summary>The standardised feature maps of a split (training statistics of the same benchmark).</summary>
    private static FeatureMapSet Maps(ExperimentRunContext c, ExperimentSettings s, VscSettings v, double p, SyntheticSplitKind kind)
    {
        var bench = Bench(c, s, p);
        var isReference = kind == SyntheticSplitKind.Train && p == s.P;
        if (!isReference)
        {
            // The biased training split of --p fixes the standardisation of every split of the seed.
            _ = Maps(c, s, v, s.P, SyntheticSplitKind.Train);
        }

        var key = kind == SyntheticSplitKind.TestOod ? "maps/test_ood" : $"maps/{SyntheticSplit.NameOf(kind)}@{Str(p)}";
        return c.Shared(key, () =>
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var backbone = c.Shared("backbone", () => BackboneRegistry.Create(s.Backbone, new BackboneOptions { ImageSize = v.InputSize, Seed = c.Seed, PretrainedPath = s.Pretrained }));
            var split = kind switch
            {
                SyntheticSplitKind.Train => bench.Train,
                SyntheticSplitKind.Validation => bench.Validation,
                SyntheticSplitKind.TestIid => bench.TestIid,
                _ => bench.TestOod,
            };
            var maps = SyntheticFeatures.MapsFromBackbone(backbone, bench, split, v.InputSize);
            var stats = isReference
                ? c.Shared("map-stats", maps.ChannelStatistics)
                : c.Shared<(float[] Mean, float[] Std)>("map-stats", () => throw new InvalidOperationException("the training maps are standardised first"));
            maps.Standardize(stats.Mean, stats.Std);
            c.Log($"maps {key}: {split.Count} images, [{maps.Dim}, {maps.Height}, {maps.Width}] in {watch.Elapsed.TotalSeconds:0.0} s");
            return maps;
        });
    }

    private static Dictionary<string, double> Head(ExperimentRunContext c, ExperimentSettings s, VscSettings v, double p, TrainingObjective objective, bool oracle, DataSampling sampling = DataSampling.Shuffle)
    {
        var iidP = p == 0 ? s.P : p;
        FeatureSet Features(double q, SyntheticSplitKind kind)
        {
            var b = Bench(c, s, q);
            var key = kind == SyntheticSplitKind.TestOod ? "test_ood" : $"{SyntheticSplit.NameOf(kind)}@{Str(q)}";
            return oracle
                ? c.Shared($"tags/{key}", () => SyntheticFeatures.FromTags(b, kind switch
                {
                    SyntheticSplitKind.Train => b.Train,
                    SyntheticSplitKind.Validation => b.Validation,
                    SyntheticSplitKind.TestIid => b.TestIid,
                    _ => b.TestOod,
                }))
                : c.Shared($"pooled/{key}", () => Maps(c, s, v, q, kind).Pooled());
        }

        var train = Features(p, SyntheticSplitKind.Train);
        var val = Features(p, SyntheticSplitKind.Validation);
        var iid = Features(iidP, SyntheticSplitKind.TestIid);
        var ood = Features(s.P, SyntheticSplitKind.TestOod);
        var head = new FeatureHeadTrainer(new FeatureHeadTrainerOptions
        {
            Objective = objective,
            Sampling = sampling,
            GroupDroStepSize = s.GroupDroStep,
            Epochs = v.Stage1Epochs + v.Stage2Epochs,
            BatchSize = v.BatchSize,
            LearningRate = s.LearningRate,
            Seed = c.Seed,
            Selection = SelectionMetric.MeanGroupAccuracy,
        }).Fit(train, val);
        var mi = head.Evaluate(iid);
        var mo = head.Evaluate(ood);
        var mv = head.Evaluate(val);
        var m = Scores(mi, mo, mv);
        m["selected_epoch"] = head.SelectedEpoch;
        return m;
    }

    private static Dictionary<string, double> Scores(GroupMetricsResult iid, GroupMetricsResult ood, GroupMetricsResult val) => new(StringComparer.Ordinal)
    {
        ["iid_acc"] = iid.Accuracy,
        ["ood_acc"] = ood.Accuracy,
        ["iid_ood_gap"] = GroupMetrics.IidOodGap(iid.Accuracy, ood.Accuracy),
        ["worst_group_acc"] = ood.WorstGroupAccuracy,
        ["mean_group_acc"] = ood.MeanGroupAccuracy,
        ["shortcut_rate"] = ood.ShortcutRate,
        ["val_acc"] = val.Accuracy,
        ["val_mean_group_acc"] = val.MeanGroupAccuracy,
        ["val_worst_group_acc"] = val.WorstGroupAccuracy,
    };

    /// <summary>DisC (Fan et al., NeurIPS 2022): the trivial branch learns the shortcut with the generalised cross-entropy and
    /// the causal terms weight each sample by CE_n / (CE_c + CE_n), i.e. up-weight the samples the shortcut gets wrong;
    /// without the mask budget (with it both masks collapsed in the toy-graph test).</summary>
    private static void Disc(VscNetOptions o)
    {
        o.Cim.TrivialObjective = Graph.Cim.CimTrivialObjective.GeneralizedCrossEntropy;
        o.Cim.MaskBudgetWeight = 0;
    }

    private static Dictionary<string, double> Vsc(ExperimentRunContext c, ExperimentSettings s, VscSettings v, double p, VscNetAblation ablation, VscPredictionHead prediction, Action<VscNetOptions>? tweak = null, bool balanced = false)
    {
        var train = Maps(c, s, v, p, SyntheticSplitKind.Train);
        var val = Maps(c, s, v, p, SyntheticSplitKind.Validation);
        var iid = Maps(c, s, v, p, SyntheticSplitKind.TestIid);
        var ood = Maps(c, s, v, s.P, SyntheticSplitKind.TestOod);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var backbone = new PrecomputedBackbone(train.Dim);
        using var model = Build(backbone, train, v, c.Seed, ablation, prediction, tweak);
        using var trainer = new VscNetTrainer(model);

        // Stage 1 depends on neither +K, +G, +C nor the head: it is trained once per (seed, p) and every VSCNet row
        // of that seed continues from it (the same steps on the same batches as if each row had trained it).
        var stage1 = c.Shared($"vsc-stage1@{Str(p)}{(balanced ? "/balanced" : "")}", () =>
        {
            using var first = Build(new PrecomputedBackbone(train.Dim), train, v, c.Seed, L, VscPredictionHead.Fusion);
            using var firstTrainer = new VscNetTrainer(first);
            first.SetStage(VscNetStage.Alignment);
            RunEpochs(first, firstTrainer, train, v, c.Seed, 0, v.Stage1Epochs, first.Stage1Parameters(), null, balanced);
            var keep = new StateBag();
            foreach (var (name, t) in first.state_dict())
            {
                if (name.StartsWith("csnet.", StringComparison.Ordinal) || name.StartsWith("classifier.", StringComparison.Ordinal))
                {
                    keep.State[name] = t.detach().clone().DetachFromDisposeScope();
                }
            }

            c.Log($"stage 1 @p={Str(p)}{(balanced ? " (group-balanced)" : "")}: {v.Stage1Epochs} epochs in {watch.Elapsed.TotalSeconds:0.0} s");
            return keep;
        });
        using (no_grad())
        {
            var own = model.state_dict();
            foreach (var (name, t) in stage1.State)
            {
                own[name].copy_(t);
            }
        }

        if (ablation.HasFlag(K))
        {
            // The hierarchy depends on stage 1 and the training split only: built once per (seed, p).
            var hierarchy = c.Shared($"vsc-hierarchy@{Str(p)}{(balanced ? "/balanced" : "")}", () =>
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                model.SetStage(VscNetStage.Alignment);
                // The trainer owns what it builds; the seed's rows share a copy.
                using var stream = new MemoryStream();
                trainer.BuildHierarchy(train.AsDataset()).Save(stream);
                stream.Position = 0;
                var built = Clustering.Hierarchy.ExemplarHierarchy.Load(stream);
                c.Log($"hierarchy @p={Str(p)}: {built.Count} prototypes in {clock.Elapsed.TotalSeconds:0.0} s");
                return built;
            });
            model.SetHierarchy(hierarchy);
        }

        model.SetStage(VscNetStage.Classification);
        var selected = RunEpochs(model, trainer, train, v, c.Seed, v.Stage1Epochs, v.Stage2Epochs, model.Stage2Parameters(), val, balanced);
        var m = Scores(Evaluate(model, iid, null), Evaluate(model, ood, null), Evaluate(model, val, null));
        var extra = new Dictionary<string, double>();
        Evaluate(model, ood, extra);
        foreach (var (k, x) in extra)
        {
            m[k] = x;
        }

        m["selected_epoch"] = selected;
        return m;
    }

    private static VscNet Build(Backbone backbone, FeatureMapSet train, VscSettings v, int seed, VscNetAblation ablation, VscPredictionHead prediction, Action<VscNetOptions>? tweak = null)
    {
        return new VscNetBuilder()
            .WithBackbone(backbone)
            .ForDataset(train.Info)
            .WithRegions(v.Regions)
            .WithAblation(ablation)
            .WithSeed(seed)
            .Configure(o =>
            {
                o.Training.Seed = seed;
                o.Training.BatchSize = v.BatchSize;
                o.Training.LearningRate = v.LearningRate;
                o.NodeFeatures = 128;
                o.Fusion.FusedFeatures = 256;
                // Compute, not accuracy: at the default (2 members) ART leaves ~3,500 prototypes from 12,000 regions and
                // matching every region against all of them dominates stage 2 on this CPU.
                o.Hierarchy.MinMembers = v.HierarchyMinMembers;
                if (!v.PaperDefaults)
                {
                    var steps = o.Fva.Steps;
                    o.Fva = FvaOptions.Localising();
                    o.Fva.Steps = steps;
                    if (ablation.HasFlag(C))
                    {
                        o.Cim = CimOptions.Selective();
                    }

                    o.Refinement.PrototypeTemperature = 0.05;
                }

                o.GraphEncoder.HiddenFeatures = 128; // the graph encoder without +C
                o.Cim.HiddenFeatures = 128;          // CIM's encoders with +C

                o.Prediction = prediction;
                if (ablation.HasFlag(C))
                {
                    tweak?.Invoke(o);
                }
            })
            .Build();
    }

    /// <summary>Trains <paramref name="epochs"/> epochs from global epoch <paramref name="first"/> (0-based, the order of
    /// FeatureHeadTrainer.EpochOrder, or its GroupBalancedEpochOrder when <paramref name="balanced"/>); with a validation set,
    /// restores the epoch of best validation mean-group accuracy.</summary>
    private static int RunEpochs(VscNet model, VscNetTrainer trainer, FeatureMapSet train, VscSettings v, int seed, int first, int epochs, IEnumerable<TorchSharp.Modules.Parameter> parameters, FeatureMapSet? val, bool balanced)
    {
        var groups = Enumerable.Range(0, train.Count).Select(i => ((long)train.Labels[i] * train.ContextCount) + train.Contexts[i]).ToArray();
        using var optimizer = new LeanAdam(parameters.Where(q => q.requires_grad).ToArray(), v.LearningRate, weight_decay: 1e-4);
        var labels = train.Labels.Select(y => (long)y).ToArray();
        var tagCount = train.Info.TagCount;
        var best = double.NegativeInfinity;
        var bestEpoch = 0;
        Dictionary<string, Tensor>? bestState = null;
        try
        {
            for (var e = 0; e < epochs; e++)
            {
                model.train();
                var order = balanced ? FeatureHeadTrainer.GroupBalancedEpochOrder(groups, seed, first + e) : FeatureHeadTrainer.EpochOrder(train.Count, seed, first + e);
                for (var start = 0; start < order.Length; start += v.BatchSize)
                {
                    var idx = order.Skip(start).Take(v.BatchSize).Select(i => (int)i).ToArray();
                    if (idx.Length < 2)
                    {
                        continue;
                    }

                    using var scope = NewDisposeScope();
                    var x = train.Batch(idx);
                    var y = tensor(idx.Select(i => labels[i]).ToArray());
                    var tags = new float[idx.Length * tagCount];
                    for (var k = 0; k < idx.Length; k++)
                    {
                        foreach (var t in train.Samples[idx[k]].Tags)
                        {
                            tags[(k * tagCount) + t] = 1f;
                        }
                    }

                    trainer.TrainStep(optimizer, x, y, tensor(tags, [idx.Length, tagCount]));
                }

                if (val is null)
                {
                    continue;
                }

                var score = Evaluate(model, val, null).MeanGroupAccuracy;
                if (score > best)
                {
                    best = score;
                    bestEpoch = first + e + 1;
                    DisposeState(bestState);
                    bestState = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
                }
            }

            if (bestState is not null)
            {
                using var noGrad = no_grad();
                var own = model.state_dict();
                foreach (var (name, t) in bestState)
                {
                    own[name].copy_(t);
                }
            }

            return val is null ? first + epochs : bestEpoch;
        }
        finally
        {
            DisposeState(bestState);
        }
    }

    private static void DisposeState(Dictionary<string, Tensor>? state)
    {
        foreach (var t in state?.Values ?? Enumerable.Empty<Tensor>())
        {
            t.Dispose();
        }
    }

    /// <summary>Group metrics of the model's prediction; with <paramref name="extra"/>, also f_c's accuracy, the
    /// region-in-object rate and the node-mask sparsity.</summary>
    private static GroupMetricsResult Evaluate(VscNet model, FeatureMapSet data, Dictionary<string, double>? extra)
    {
        model.eval();
        using var noGrad = no_grad();
        var predictions = new int[data.Count];
        var causal = new List<int>();
        var thetas = new List<float>();
        double maskSum = 0, maskLow = 0, maskNodes = 0;
        // Tag recall: the image's |T| most probable tags (max over regions) against its tags, on images whose context
        // is (aligned) or is not (conflicting) tied to their class.
        double[] tagHits = new double[2], tagTotal = new double[2];
        var steps = 0;
        const int Batch = 128;
        for (var start = 0; start < data.Count; start += Batch)
        {
            using var scope = NewDisposeScope();
            var idx = Enumerable.Range(start, Math.Min(Batch, data.Count - start)).ToArray();
            using var o = model.call(data.Batch(idx));
            o.Probabilities.argmax(1).to(ScalarType.Int32).data<int>().CopyTo(predictions.AsSpan(start, idx.Length));
            if (extra is null)
            {
                continue;
            }

            if (o.CausalLogits is not null)
            {
                causal.AddRange(o.CausalLogits.argmax(1).to(ScalarType.Int32).data<int>().ToArray());
            }

            if (o.Fva is not null)
            {
                steps = (int)o.Fva.Thetas.shape[1];
                thetas.AddRange(o.Fva.Thetas.contiguous().data<float>().ToArray());
            }

            if (o.TagProbabilities is not null)
            {
                var imageTags = o.TagProbabilities.amax(1).contiguous();
                var m = (int)imageTags.shape[1];
                var values = imageTags.data<float>().ToArray();
                for (var k = 0; k < idx.Length; k++)
                {
                    var info = data.Samples[idx[k]];
                    var truth = info.Tags.Distinct().ToArray();
                    var top = Enumerable.Range(0, m).OrderByDescending(t => values[(k * m) + t]).Take(truth.Length).ToHashSet();
                    var g = info.ContextMatchesClass ? 0 : 1;
                    tagHits[g] += truth.Count(top.Contains);
                    tagTotal[g] += truth.Length;
                }
            }

            if (o.NodeMask is not null)
            {
                var r = MaskSparsity.Compute(o.NodeMask);
                if (r.Nodes > 0)
                {
                    maskSum += r.Mean * r.Nodes;
                    maskLow += r.FractionBelowHalf * r.Nodes;
                    maskNodes += r.Nodes;
                }
            }
        }

        var result = GroupMetrics.Compute(predictions, data.Labels, data.Contexts, data.TiedContexts);
        if (extra is not null)
        {
            if (causal.Count == data.Count)
            {
                var fc = GroupMetrics.Compute([.. causal], data.Labels, data.Contexts, data.TiedContexts);
                extra["fc_ood_acc"] = fc.Accuracy;
                extra["fc_worst_group_acc"] = fc.WorstGroupAccuracy;
            }

            if (steps > 0)
            {
                var rate = RegionInObjectRate.FromThetas(thetas.ToArray(), steps, data.Samples, data.ImageSize);
                extra["region_in_object"] = rate.Rate;
                extra["region_in_object_chance"] = rate.ChanceRate;
            }

            if (tagTotal[0] + tagTotal[1] > 0)
            {
                extra["tag_recall_aligned"] = tagTotal[0] > 0 ? tagHits[0] / tagTotal[0] : double.NaN;
                extra["tag_recall_conflicting"] = tagTotal[1] > 0 ? tagHits[1] / tagTotal[1] : double.NaN;
            }

            if (maskNodes > 0)
            {
                extra["mask_mean"] = maskSum / maskNodes;
                extra["mask_below_half"] = maskLow / maskNodes;
            }
        }

        return result;
    }

    private static string Str(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>Tensors shared by the rows of a seed; disposed with the seed's shared values.</summary>
internal sealed class StateBag : IDisposable
{
    public Dictionary<string, Tensor> State { get; } = new(StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var t in State.Values)
        {
            t.Dispose();
        }
    }
}
