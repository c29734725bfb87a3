#!/usr/bin/python3
"""PyTorch eager peer for K-means (Lloyd) on a device, for the GPU comparison.

Same data file and initial centres as kmeans_sklearn.py (`--init file`), same stopping rule as
scikit-learn: stop when the squared centre shift summed over centres is at most
tol * mean feature variance, or after --max-iter iterations. Each iteration: squared distances
through one matmul (|x|^2 - 2 x c^T + |c|^2), argmin, per-cluster sums by index_add, empty
clusters keep their centre. Prints one JSON line with the fit's wall time and inertia.
"""
import argparse
import json
import time

import numpy as np
import torch

import peer_device


def lloyd(x, centres, max_iter, tol):
    threshold = tol * x.var(0, unbiased=False).mean()
    xx = x.square().sum(1, keepdim=True)
    it = 0
    for it in range(1, max_iter + 1):
        d = xx - 2.0 * x @ centres.T + centres.square().sum(1)
        labels = d.argmin(1)
        sums = torch.zeros_like(centres).index_add_(0, labels, x)
        counts = torch.bincount(labels, minlength=centres.shape[0]).to(x.dtype).unsqueeze(1)
        new = torch.where(counts > 0, sums / counts.clamp_min(1), centres)
        shift = (new - centres).square().sum()
        centres = new
        if shift <= threshold:
            break
    d = xx - 2.0 * x @ centres.T + centres.square().sum(1)
    inertia = d.min(1).values.clamp_min(0).sum()
    return centres, float(inertia), it


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--k", type=int, default=80)
    p.add_argument("--init", default="file", choices=["file"])
    p.add_argument("--centres", required=True)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--max-iter", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    peer_device.add_argument(p)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    dev = peer_device.setup(a.device)
    x = torch.from_numpy(np.fromfile(a.data, dtype="<f4").reshape(a.rows, a.dim).copy()).to(dev)
    c0 = torch.from_numpy(np.fromfile(a.centres, dtype="<f4").reshape(a.k, a.dim).copy()).to(dev)
    times = []
    for _ in range(2):  # the first fit warms the kernels up and is not reported
        peer_device.sync(dev)
        t0 = time.perf_counter()
        _, inertia, iters = lloyd(x, c0.clone(), a.max_iter, a.tol)
        peer_device.sync(dev)
        times.append((time.perf_counter() - t0) * 1000.0)
    print(json.dumps({"impl": "pytorch " + torch.__version__ + " eager Lloyd", "metric": "fit_ms", "values": times[1:],
                      "inertia": inertia, "iterations": iters, "device": str(dev), **peer_device.memory_extras(dev)}))


if __name__ == "__main__":
    main()
