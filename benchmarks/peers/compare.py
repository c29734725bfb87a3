#!/usr/bin/python3
"""Side-by-side comparison harness: CausalVision (TorchSharp) vs PyTorch eager / scikit-learn.

Run through `./build.sh compare` (which builds the .NET side and installs the peers). Each case
is a pair of commands printing one JSON line {"impl", "metric", "values": [...], ...}. Pairs run
alternately (A B A B ...) `--rounds` times in fresh processes; the table shows medians over all
timed values and the ratio ours / peer (< 1 means we are faster). Results go to
artifacts/compare/compare.md and compare.csv. Before timing, the VSCNet and paper-B mirrors must
reproduce the library's exported outputs (`--skip-checks` to skip).

Opt-in cases (not in the default --cases): "pipeline", the image input pipeline (JPEG/PNG ImageFolder, RandomResizedCrop,
flip, normalise, batches from 2 loader workers) in images/s; its image folder is written once by the .NET side's
make-images into artifacts/compare/ and reused. It needs torchvision for /usr/bin/python3 (python3-torchvision).
"""
import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "artifacts", "compare")
# Both sides' launchers can be replaced (the GPU script runs a self-contained .NET side and the card's Python):
# CAUSALVISION_COMPARE_OURS and CAUSALVISION_COMPARE_PY, each a space-separated command prefix.
OURS = os.environ.get("CAUSALVISION_COMPARE_OURS",
                      "eng/torch-env.sh dotnet artifacts/bin/CausalVision.Compare/release/CausalVision.Compare.dll").split()
PY = os.environ.get("CAUSALVISION_COMPARE_PY", "/usr/bin/python3").split()
MALLOC_TUNED = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"
# --isa avx2: both sides limited to AVX2 + FMA on an AVX-512 CPU (the .NET JIT: DOTNET_EnableAVX512 in .NET 10, the
# older DOTNET_EnableAVX512F no longer turns Vector512 off; libtorch's ATen kernels and its
# bundled MKL, oneDNN, OpenBLAS's kernel choice), to measure what an AVX2-only CPU gets.
AVX2_ENV = {"DOTNET_EnableAVX512": "0", "DOTNET_EnableAVX512F": "0", "ATEN_CPU_CAPABILITY": "avx2",
            "MKL_ENABLE_INSTRUCTIONS": "AVX2", "DNNL_MAX_CPU_ISA": "AVX2", "OPENBLAS_CORETYPE": "Haswell"}


def cpu_description(isa):
    """Vendor, model and vector ISA of this CPU (from /proc/cpuinfo), e.g. 'AuthenticAMD AMD EPYC (family 25 model 17),
    AVX-512 (F, BW, VL) + AVX2 + FMA'. The vector ISA decides which kernels run on both sides, so the table is per CPU."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    info.setdefault(k.strip(), v.strip())
    except OSError:
        return platform.processor() or platform.machine()
    flags = set(info.get("flags", "").split())
    vec = []
    if "avx512f" in flags:
        vec.append("AVX-512 (" + ", ".join(x[6:].upper() for x in ("avx512f", "avx512bw", "avx512vl", "avx512dq") if x in flags) + ")")
    vec += [name for flag, name in (("avx2", "AVX2"), ("fma", "FMA")) if flag in flags]
    text = (f"{info.get('vendor_id', '?')} {info.get('model name', '?')} (family {info.get('cpu family', '?')} "
            f"model {info.get('model', '?')}), {' + '.join(vec) or 'no AVX2'}")
    if isa == "avx2":
        text += "; AVX2-only emulated on both sides (" + " ".join(f"{k}={v}" for k, v in AVX2_ENV.items()) + ")"
    return text


def load_average():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def run(cmd, env):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-2000:] + p.stderr[-4000:])
        raise SystemExit(f"compare: command failed ({p.returncode}): {' '.join(cmd)}")
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise SystemExit(f"compare: no JSON result from: {' '.join(cmd)}\n{p.stdout[-2000:]}")
    res = json.loads(lines[-1])
    res["wall_s"] = time.perf_counter() - t0
    return res


def make_kmeans_data(rows, dim, k, seed):
    import numpy as np
    path = os.path.join(OUT, f"kmeans_{rows}x{dim}.f32")
    cpath = os.path.join(OUT, f"kmeans_{rows}x{dim}_k{k}_init.f32")
    if not (os.path.exists(path) and os.path.exists(cpath)):
        rng = np.random.default_rng(seed)
        centres = rng.normal(0, 4, size=(k, dim)).astype(np.float32)
        labels = rng.integers(0, k, size=rows)
        x = (centres[labels] + rng.normal(0, 1.5, size=(rows, dim))).astype(np.float32)
        x.astype("<f4").tofile(path)
        init = x[rng.choice(rows, size=k, replace=False)]
        init.astype("<f4").tofile(cpath)
    return path, cpath


def make_image_folder(count, seed):
    """The ImageFolder tree of the pipeline case (half JPEG, half PNG, 256-500 px), written once by the .NET side's
    make-images and reused while its images.json matches."""
    path = os.path.join(OUT, f"images_{count}_s{seed}")
    try:
        with open(os.path.join(path, "images.json")) as f:
            made = json.load(f)
        if made.get("images") == count and made.get("seed") == seed:
            return path
    except (OSError, ValueError):
        pass
    cmd = OURS + ["make-images", "--out", path, "--count", str(count), "--seed", str(seed)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-2000:] + p.stderr[-4000:])
        raise SystemExit(f"compare: command failed ({p.returncode}): {' '.join(cmd)}")
    print("compare: image folder " + p.stdout.strip().splitlines()[-1], flush=True)
    return path


def cases(a):
    """(name, ours, peer, rounds) per case; rounds None = --rounds."""
    t = str(a.threads)
    out = []
    dev = ["--device", a.device]
    gpu = a.device != "cpu"
    if "resnet18" in a.cases:
        common = ["--batch", str(a.batch), "--size", str(a.size), "--steps", str(a.steps), "--warmup", "3", "--threads", t] + dev
        out.append(("ResNet-18 train step (batch %d, %dx%d, Adam)" % (a.batch, a.size, a.size),
                    OURS + ["resnet18-step"] + common, PY + ["benchmarks/peers/resnet18_step.py"] + common, None))
        out.append(("ResNet-18 train step, TorchSharp's stock Adam (batch %d, %dx%d)" % (a.batch, a.size, a.size),
                    OURS + ["resnet18-step", "--optimizer", "torchsharp"] + common,
                    PY + ["benchmarks/peers/resnet18_step.py"] + common, None))
    if "resnet18" in a.cases and not gpu:
        # Both sides with glibc malloc keeping freed memory (no mmap/munmap of activations each step): most of a
        # CPU step's page faults go away, on both sides alike.
        out.append(("ResNet-18 train step, both sides with GLIBC_TUNABLES=" + MALLOC_TUNED,
                    ["env", "GLIBC_TUNABLES=" + MALLOC_TUNED] + OURS + ["resnet18-step"] + common,
                    ["env", "GLIBC_TUNABLES=" + MALLOC_TUNED] + PY + ["benchmarks/peers/resnet18_step.py"] + common, None))
    if "vscnet" in a.cases:
        # The .NET side writes the synthetic hierarchy the peer reads: it runs first in round 0 (and in the prepare step).
        common = ["--batch", "16", "--size", "32", "--steps", str(a.steps), "--warmup", "3", "--threads", t,
                  "--work", "artifacts/compare/vscnet"] + dev
        out.append(("VSCNet stage-2 train step (ResNet-18, batch 16, 32x32, J=4, Adam)",
                    OURS + ["vscnet-step"] + common, PY + ["benchmarks/peers/vscnet_stage2_step.py"] + common, None))
    if "causal-head" in a.cases:
        common = ["--steps", str(a.steps), "--warmup", "3", "--threads", t, "--work", "artifacts/compare/causal-head"] + dev
        out.append(("Paper-B intervention head train step (2048x7x7 map, 20 labels, K=80, batch 16, AdamW)",
                    OURS + ["causal-head-step"] + common, PY + ["benchmarks/peers/causal_head_step.py"] + common, None))
    if "kmeans" in a.cases and gpu:
        # On a GPU the peer is a PyTorch eager Lloyd on the same card (scikit-learn has no GPU path).
        data, init = make_kmeans_data(a.rows, a.dim, a.k, 0)
        common = ["--data", data, "--rows", str(a.rows), "--dim", str(a.dim), "--k", str(a.k), "--threads", t,
                  "--max-iter", "100", "--tol", "1e-4", "--init", "file", "--centres", init] + dev
        out.append(("K-means Lloyd %dx%d, K=%d, same initial centres, %s" % (a.rows, a.dim, a.k, a.device),
                    OURS + ["kmeans"] + common, PY + ["benchmarks/peers/kmeans_torch.py"] + common, None))
    if "kmeans" in a.cases and not gpu:
        data, init = make_kmeans_data(a.rows, a.dim, a.k, 0)
        common = ["--data", data, "--rows", str(a.rows), "--dim", str(a.dim), "--k", str(a.k), "--threads", t,
                  "--max-iter", "100", "--tol", "1e-4"]
        out.append(("K-means Lloyd %dx%d, K=%d, same initial centres" % (a.rows, a.dim, a.k),
                    OURS + ["kmeans", "--init", "file", "--centres", init, "--kernel", a.kmeans_kernel] + common,
                    PY + ["benchmarks/peers/kmeans_sklearn.py", "--init", "file", "--centres", init] + common, None))
        seeds = ["--seeds", str(a.kmeans_seeds)]
        out.append(("K-means %dx%d, K=%d, each side's k-means++, mean of seeds 0-%d" % (a.rows, a.dim, a.k, a.kmeans_seeds - 1),
                    OURS + ["kmeans", "--init", "kmeans++", "--kernel", a.kmeans_kernel] + seeds + common,
                    PY + ["benchmarks/peers/kmeans_sklearn.py", "--init", "kmeans++"] + seeds + common, 1))
    if "art" in a.cases and not gpu:
        common = ["--rows", str(a.art_rows), "--dim", "64", "--threads", t]
        out.append(("AM-ART fit, %d x 64 (batched vs naive per-cluster loop)" % a.art_rows,
                    OURS + ["art", "--impl", "batched"] + common, OURS + ["art", "--impl", "naive"] + common, None))
    if "onnx" in a.cases:
        # Imported ML.NET ResNet-18 (ResNet18.onnx, 224 px) inference: TorchSharp vs ONNX Runtime on the same file.
        for batch, steps, warmup in ((1, 20, 3), (32, 3, 1)):
            common = ["--batch", str(batch), "--steps", str(steps), "--warmup", str(warmup), "--threads", t]
            ort = OURS + ["onnx-resnet18", "--impl", "ort"] + common
            out.append(("ResNet-18 ONNX inference, batch %d, 224x224, BN folded + channels-last vs ONNX Runtime" % batch,
                        OURS + ["onnx-resnet18", "--impl", "torchsharp", "--fold-bn", "true", "--channels-last", "true"] + common,
                        ort, None))
            out.append(("ResNet-18 ONNX inference, batch %d, 224x224, as imported (NCHW, BN run) vs ONNX Runtime" % batch,
                        OURS + ["onnx-resnet18", "--impl", "torchsharp"] + common, ort, None))
    if "pipeline" in a.cases:
        # CPU work on both sides whatever --device says: decoding and augmenting in loader workers, then collation.
        data = make_image_folder(a.pipeline_images, 0)
        common = ["--data", data, "--batch", str(a.pipeline_batch), "--image-size", str(a.image_size),
                  "--workers", str(a.pipeline_workers), "--batches", str(a.pipeline_batches),
                  "--warmup", str(a.pipeline_warmup), "--threads", t]
        out.append(("Image pipeline: ImageFolder of %d JPEG+PNG (256-500 px), RandomResizedCrop %d + flip + normalise, "
                    "batch %d, %d loader workers" % (a.pipeline_images, a.image_size, a.pipeline_batch, a.pipeline_workers),
                    OURS + ["image-pipeline"] + common, PY + ["benchmarks/peers/image_pipeline.py"] + common, None))
    return out


def equivalence_checks(a, env):
    """Before timing, prove the PyTorch mirrors still compute what the library computes: the .NET side exports its
    weights, a fixed batch and its outputs; the peer loads them and must reproduce the outputs (its --check asserts
    the tolerances). A library change that the mirror does not follow stops the harness here."""
    t = str(a.threads)
    checks = []
    if "vscnet" in a.cases:
        d = "artifacts/compare/vscnet-check"
        checks.append(("VSCNet", OURS + ["vscnet-step", "--steps", "0", "--warmup", "0", "--threads", t,
                                         "--work", "artifacts/compare/vscnet", "--export-weights", d],
                       PY + ["benchmarks/peers/vscnet_stage2_step.py", "--check", d, "--threads", t]))
    if "causal-head" in a.cases:
        d = "artifacts/compare/causal-head-check"
        checks.append(("paper-B head", OURS + ["causal-head-step", "--steps", "1", "--warmup", "0", "--threads", t,
                                               "--work", "artifacts/compare/causal-head", "--export-weights", d],
                       PY + ["benchmarks/peers/causal_head_step.py", "--check", d, "--threads", t]))
    for name, export, check in checks:
        for cmd in (export, check):
            p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
            if p.returncode != 0:
                sys.stderr.write(p.stdout[-3000:] + p.stderr[-3000:])
                raise SystemExit(f"compare: the {name} peer no longer matches the library ({' '.join(cmd)} exited "
                                 f"{p.returncode}); fix the mirror before timing it.")
        print(f"compare: {name} peer reproduces the library's outputs (numeric check passed)", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", default="resnet18,vscnet,causal-head,kmeans,art,onnx")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--rows", type=int, default=100000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--k", type=int, default=80)
    p.add_argument("--kmeans-seeds", type=int, default=12)
    p.add_argument("--art-rows", type=int, default=5000)
    p.add_argument("--kmeans-kernel", choices=("auto", "torch", "fused", "fused256"), default="auto",
                   help="our K-means assignment kernel (KMeansOptions.Kernel); torch = the libtorch addmm + min path")
    p.add_argument("--pipeline-images", type=int, default=640, help="pipeline case: images in the folder (10 classes)")
    p.add_argument("--pipeline-batch", type=int, default=64, help="pipeline case: batch size")
    p.add_argument("--pipeline-workers", type=int, default=2, help="pipeline case: loader workers on each side")
    p.add_argument("--pipeline-batches", type=int, default=8, help="pipeline case: timed batches per round")
    p.add_argument("--pipeline-warmup", type=int, default=2, help="pipeline case: untimed batches before them")
    p.add_argument("--image-size", type=int, default=224, help="pipeline case: RandomResizedCrop output side")
    p.add_argument("--skip-checks", action="store_true", help="skip the peers' numeric equivalence checks")
    p.add_argument("--device", default="cpu", help="cpu or cuda: both sides run there (CUDA needs torch >= 2.0 on the peer side)")
    p.add_argument("--isa", choices=("native", "avx2"), default="native",
                   help="avx2: limit both sides to AVX2 + FMA (emulates an AVX2-only CPU on an AVX-512 one)")
    a = p.parse_args()
    a.cases = a.cases.split(",")
    os.makedirs(OUT, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), MKL_NUM_THREADS=str(a.threads),
               OPENBLAS_NUM_THREADS=str(a.threads))
    if a.isa == "avx2":
        env.update(AVX2_ENV)
    load_start = load_average()
    if not a.skip_checks:
        equivalence_checks(a, env)
    rows = []
    for name, ours, peer, rounds in cases(a):
        res = {"ours": [], "peer": []}
        for r in range(rounds or a.rounds):
            order = [("ours", ours), ("peer", peer)] if r % 2 == 0 else [("peer", peer), ("ours", ours)]
            for side, cmd in order:
                res[side].append(run(cmd, env))
        med = {s: statistics.median([v for x in res[s] for v in x["values"]]) for s in res}
        extra = {}
        # Process CPU time per fit where a side reports it: on a shared, oversubscribed machine it is far less noisy
        # than wall time (with one thread per side, wall = CPU + time spent waiting for a core).
        if all(any("cpu_values" in x for x in res[s]) for s in res):
            cpu = {s: statistics.median([v for x in res[s] for v in x.get("cpu_values", [])]) for s in res}
            extra.update(ours_cpu_ms=round(cpu["ours"], 2), peer_cpu_ms=round(cpu["peer"], 2),
                         cpu_ratio=round(cpu["ours"] / cpu["peer"], 3))
        for s in res:
            # The range of all timed values, so that noise can be told from a difference.
            vals = [v for x in res[s] for v in x["values"]]
            extra[f"{s}_range"] = "%.4g-%.4g" % (min(vals), max(vals))
        for s in res:
            # Side facts (inertia, clusters, per-phase medians ...): the median over rounds when numeric.
            for key in ("inertia", "inertia_best", "inertia_worst", "iterations", "clusters", "params", "fwd_ms", "bwd_ms",
                        "opt_ms", "faults_per_step", "gpu_peak_mib", "gpu_live_mib", "elapsed_ms", "pixel_mean"):
                vals = [x[key] for x in res[s] if key in x]
                if vals:
                    extra[f"{s}_{key}"] = statistics.median(vals) if isinstance(vals[0], (int, float)) else vals[-1]
            # The wait for each timed batch (pipeline case): the median over all rounds' batches.
            waits = [v for x in res[s] for v in x.get("batch_ms", [])]
            if waits:
                extra[f"{s}_batch_wait_ms"] = statistics.median(waits)
        metric = res["ours"][0]["metric"]
        if metric.endswith("_per_s"):
            metric += " (higher is better: ratio > 1 means ours is faster)"
        row = {"case": name, "metric": metric, "ours_impl": res["ours"][0]["impl"],
               "ours_median": round(med["ours"], 2), "peer_impl": res["peer"][0]["impl"],
               "peer_median": round(med["peer"], 2), "ratio": round(med["ours"] / med["peer"], 3), **extra}
        rows.append(row)
        print(json.dumps(row), flush=True)

    machine = f"{cpu_description(a.isa)}, {os.cpu_count()} cores, {platform.platform()}; load average (1 min) " \
              f"{load_start} at start, {load_average()} at end"
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(os.path.join(OUT, "compare.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    blas = "unknown"
    try:
        blas = subprocess.run(PY + ["-c", "from threadpoolctl import threadpool_info as i; import numpy; "
                                          "print(', '.join(sorted({x['internal_api'] + ' ' + str(x.get('version')) for x in i()})))"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    with open(os.path.join(OUT, "compare.md"), "w") as f:
        seeds = f"; K-means++: one round of {a.kmeans_seeds} seeds" if "kmeans" in a.cases else ""
        f.write(f"Machine: {machine}; threads per side: {a.threads}; rounds: {a.rounds} (alternating{seeds}); "
                f"peers' BLAS: {blas}.\n\n")
        f.write("| case | metric | CausalVision | median | peer | median | ratio (ours/peer) | notes |\n|---|---|---|---|---|---|---|---|\n")
        for r in rows:
            notes = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items() if k.startswith(("ours_", "peer_", "cpu_")) and k not in ("ours_impl", "ours_median", "peer_impl", "peer_median"))
            f.write(f"| {r['case']} | {r['metric']} | {r['ours_impl']} | {r['ours_median']} | {r['peer_impl']} | {r['peer_median']} | {r['ratio']} | {notes} |\n")
    print(open(os.path.join(OUT, "compare.md")).read())


if __name__ == "__main__":
    main()
