#!/usr/bin/python3
"""scikit-learn peer: KMeans (Lloyd) on a raw float32 matrix written by compare.py.

Two modes, both n_init=1: `--init file` starts from the given centres (equal start for both
sides, so time and inertia compare the iterations alone); `--init kmeans++` uses sklearn's own
seeding, once per seed in --seed .. --seed + --seeds - 1 (one seed's luck decides whether a
cluster is missed, so the mean over seeds is what compares). Prints one JSON line with every
fit's wall time and process CPU time, the mean, best and worst inertia and the mean iteration count.
"""
import argparse
import json
import os
import time

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--k", type=int, default=80)
    p.add_argument("--init", default="file")
    p.add_argument("--centres")
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--max-iter", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", type=int, default=1)
    a = p.parse_args()
    from threadpoolctl import threadpool_limits
    from sklearn.cluster import KMeans
    x = np.fromfile(a.data, dtype="<f4").reshape(a.rows, a.dim)
    init = "k-means++"
    if a.init == "file":
        init = np.fromfile(a.centres, dtype="<f4").reshape(a.k, a.dim)
    seeds = [a.seed] if a.init == "file" else list(range(a.seed, a.seed + a.seeds))
    times, cpu, inertias, iters = [], [], [], []
    with threadpool_limits(limits=a.threads):
        for seed in seeds:
            km = KMeans(n_clusters=a.k, init=init, n_init=1, max_iter=a.max_iter, tol=a.tol,
                        algorithm="lloyd", random_state=seed)
            t0, c0 = time.perf_counter(), time.process_time()
            km.fit(x)
            times.append((time.perf_counter() - t0) * 1000.0)
            cpu.append((time.process_time() - c0) * 1000.0)
            inertias.append(float(km.inertia_))
            iters.append(int(km.n_iter_))
    import sklearn
    print(json.dumps({"impl": "scikit-learn " + sklearn.__version__, "metric": "fit_ms", "values": times,
                      "cpu_values": cpu, "inertia": sum(inertias) / len(inertias),
                      "inertia_best": min(inertias), "inertia_worst": max(inertias), "iterations": sum(iters) / len(iters),
                      "fits": len(seeds)}))


if __name__ == "__main__":
    main()
