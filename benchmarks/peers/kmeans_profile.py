#!/usr/bin/python3
"""Per-phase profile of one Lloyd iteration on the numpy / OpenBLAS side (scikit-learn's building blocks).

scikit-learn's Lloyd (sklearn/cluster/_k_means_lloyd.pyx) works in chunks of 256 rows: one sgemm
-2 X C^T into a [256, K] buffer, + ||c||^2, argmin per row, and the row added to its centre's sum,
all in one pass. Times are process CPU ms (user + system; least of --reps): on a shared machine wall time
mostly measures the other tenants. This script times the same phases with numpy on the same shape, plus the sgemm
rate (GFLOP/s = 2 N D K / time) on the whole matrix and in 256-row chunks, and one full
scikit-learn iteration (fit with max_iter=1 minus nothing: it includes the final label pass).
Prints one JSON line.
"""
import argparse
import json
import time

import numpy as np


def timed(f, reps):
    out = []
    for _ in range(reps):
        t0 = time.process_time()
        f()
        out.append((time.process_time() - t0) * 1000.0)
    return min(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--centres", required=True)
    p.add_argument("--rows", type=int, default=100000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--k", type=int, default=80)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    from threadpoolctl import threadpool_limits, threadpool_info
    x = np.fromfile(a.data, dtype="<f4").reshape(a.rows, a.dim)
    c = np.fromfile(a.centres, dtype="<f4").reshape(a.k, a.dim)
    flop = 2.0 * a.rows * a.dim * a.k
    res = {"impl": "numpy " + np.__version__ + " / " + ", ".join(sorted({i["internal_api"] + " " + str(i.get("version")) for i in threadpool_info()}))}
    with threadpool_limits(limits=a.threads):
        ct = np.ascontiguousarray(c.T)
        res["gemm_full_ms"] = timed(lambda: x @ ct, a.reps)
        buf = np.empty((256, a.k), np.float32)

        def chunked():
            for s in range(0, a.rows, 256):
                np.matmul(x[s:s + 256], ct, out=buf[:min(256, a.rows - s)])
        res["gemm_chunk256_ms"] = timed(chunked, a.reps)
        res["gemm_full_gflops"] = flop / res["gemm_full_ms"] / 1e6
        res["gemm_chunk256_gflops"] = flop / res["gemm_chunk256_ms"] / 1e6
        res["x_norms_ms"] = timed(lambda: np.einsum("ij,ij->i", x, x), a.reps)
        d = x @ ct
        cn = (c * c).sum(1)
        res["add_cnorm_ms"] = timed(lambda: np.add(d * -2.0, cn, out=d), a.reps)
        res["argmin_ms"] = timed(lambda: d.argmin(1), a.reps)
        labels = d.argmin(1)

            # scikit-learn adds each row to its centre's sum inside the chunk loop (no numpy equivalent that is not
        # slower than the whole iteration); one-hot GEMM gives the order of that cost: K x N x D multiply-adds.
        onehot = np.zeros((a.k, a.rows), np.float32)
        onehot[labels, np.arange(a.rows)] = 1.0
        res["update_onehot_gemm_ms"] = timed(lambda: onehot @ x, a.reps)
        from sklearn.cluster import KMeans
        import warnings
        warnings.simplefilter("ignore")

        def one_iter():
            KMeans(n_clusters=a.k, init=c, n_init=1, max_iter=1, tol=0, algorithm="lloyd").fit(x)
        res["sklearn_fit_max_iter_1_ms"] = timed(one_iter, a.reps)

        def two_iter():
            KMeans(n_clusters=a.k, init=c, n_init=1, max_iter=3, tol=0, algorithm="lloyd").fit(x)
        res["sklearn_fit_max_iter_3_ms"] = timed(two_iter, a.reps)
        res["sklearn_per_iteration_ms"] = (res["sklearn_fit_max_iter_3_ms"] - res["sklearn_fit_max_iter_1_ms"]) / 2
    print(json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in res.items()}))


if __name__ == "__main__":
    main()
