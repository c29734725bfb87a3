// Per-phase profile of one Lloyd iteration on the .NET side (CausalVision.Compare kmeans-profile).
// The libtorch phases replay the ops of KMeans' libtorch path on the whole matrix (one chunk at the
// default ChunkElements for 100,000 x 80), in process CPU ms; the fused kernel is timed as whole fits of 1 and 3
// iterations from the same centres (per iteration = the difference / 2), as the numpy side does.
using System.CommandLine;
using System.Diagnostics;
using CausalVision.Clustering.KMeans;
using TorchSharp;
using static TorchSharp.torch;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;

namespace CausalVision.Compare;

/// <summary>The kmeans-profile case.</summary>
internal static class KMeansProfile
{
    /// <summary>The <c>kmeans-profile</c> command.</summary>
    public static Command Command()
    {
        var data = CaseOptions.Required<string>("--data", "FILE", "The data: raw little-endian float32 [rows, dim].");
        var centres = CaseOptions.Required<string>("--centres", "FILE", "The centres: raw float32 [k, dim].");
        var rows = CaseOptions.Int("--rows", 100000, "Rows of --data.");
        var dim = CaseOptions.Int("--dim", 512, "Columns of --data.");
        var k = CaseOptions.Int("--k", 80, "Rows of --centres.");
        var reps = CaseOptions.Int("--reps", 3, "Repetitions of each phase (the least is reported).");
        var command = new Command("kmeans-profile", "Per-phase profile of one Lloyd iteration, in process CPU ms.") { data, centres, rows, dim, k, reps };
        command.SetCase(r => Run(r.GetRequiredValue(data), r.GetRequiredValue(centres), r.GetValue(rows), r.GetValue(dim), r.GetValue(k), r.GetValue(reps)));
        return command;
    }

    /// <summary>Times the phases; prints one JSON line.</summary>
    private static int Run(string data, string centres, int rows, int dim, int k, int reps)
    {
        using var x = Cases.ReadMatrix(data, rows, dim);
        using var c = Cases.ReadMatrix(centres, k, dim);
        var flop = 2.0 * rows * dim * k;
        var res = new Dictionary<string, object>();
        // Process CPU time (user + system, all threads), the least of reps: on a shared, oversubscribed machine wall
        // time mostly measures the other tenants. With --threads 1 it is this thread's time plus page-fault work.
        var proc = Process.GetCurrentProcess();
        double Time(Action f)
        {
            var t = new List<double>();
            for (var r = 0; r < reps; r++)
            {
                using var scope = NewDisposeScope();
                proc.Refresh();
                var c0 = proc.TotalProcessorTime;
                f();
                proc.Refresh();
                t.Add((proc.TotalProcessorTime - c0).TotalMilliseconds);
            }

            t.Sort();
            return Math.Round(t[0], 2);
        }

        var ct = c.t().contiguous();
        res["gemm_full_ms"] = Time(() => x.matmul(ct));
        res["gemm_chunk256_ms"] = Time(() =>
        {
            for (long s = 0; s < rows; s += 256)
            {
                using var inner = NewDisposeScope();
                x.narrow(0, s, Math.Min(256, rows - s)).matmul(ct);
            }
        });
        res["gemm_full_gflops"] = Math.Round(flop / (double)res["gemm_full_ms"] / 1e6, 2);
        res["gemm_chunk256_gflops"] = Math.Round(flop / (double)res["gemm_chunk256_ms"] / 1e6, 2);
        var cNorm = c.pow(2).sum(1).unsqueeze(0);
        res["c_norms_ms"] = Time(() => c.pow(2).sum(1).unsqueeze(0));
        res["x_norms_ms"] = Time(() => x.pow(2).sum(1));
        res["addmm_ms"] = Time(() => addmm(cNorm, x, c.t(), beta: 1, alpha: -2));
        var dist = addmm(cNorm, x, c.t(), beta: 1, alpha: -2);
        res["min_dim1_ms"] = Time(() => dist.min(1));
        var (values, labels) = dist.min(1);
        var labelsOut = empty(rows, ScalarType.Int64);
        var minOut = empty(rows, ScalarType.Float32);
        res["copy_out_ms"] = Time(() =>
        {
            labelsOut.copy_(labels);
            minOut.copy_((values + x.pow(2).sum(1)).clamp_min_(0));
        });
        res["index_add_sums_ms"] = Time(() => zeros(new long[] { k, dim }, x.dtype).index_add_(0, labels, x, 1.0));
        res["index_add_counts_ms"] = Time(() => zeros(k, x.dtype).index_add_(0, labels, ones(rows, x.dtype), 1.0));
        var sums = zeros(new long[] { k, dim }, x.dtype).index_add_(0, labels, x, 1.0);
        var counts = zeros(k, x.dtype).index_add_(0, labels, ones(rows, x.dtype), 1.0);
        res["divide_shift_equal_syncs_ms"] = Time(() =>
        {
            var next = sums / counts.unsqueeze(1);
            _ = (next - c).pow(2).sum(ScalarType.Float64).item<double>();
            _ = labels.equal(labelsOut).all().item<bool>();
            _ = (counts == 0).nonzero().shape;
        });
        foreach (var kernel in new[] { KMeansKernel.Torch, KMeansKernel.Fused, KMeansKernel.Fused256 })
        {
            double Fit(int iterations) => Time(() =>
            {
                using var km = new KMeansModel(new KMeansOptions { Clusters = k, MaxIterations = iterations, Tolerance = 0, Kernel = kernel });
                km.Fit(x, c);
            });
            var one = Fit(1);
            var three = Fit(3);
            var name = kernel.ToString().ToLowerInvariant();
            res[$"{name}_fit_max_iter_1_ms"] = one;
            res[$"{name}_fit_max_iter_3_ms"] = three;
            res[$"{name}_per_iteration_ms"] = Math.Round((three - one) / 2, 2);
        }

        Result.Print(Result.TorchSharpImpl + " (libtorch phases; fused kernel fits)", "profile_min_cpu_ms", Array.Empty<double>(), res);
        return 0;
    }
}
