#!/usr/bin/env python3
"""Prints a compact Markdown table from an experiment's summary.json (the runner's contract):
mean [95 % CI] of chosen metrics per row, and the paired difference vs the baseline for chosen metrics.

    eng/summary-table.py OUT/summary.json --metrics iid_acc,ood_acc,worst_group_acc --diff worst_group_acc,ood_acc [--rows a,b]
"""
import argparse
import json


def cell(m, key, scale):
    if m is None:
        return "-"
    v = m.get(key)
    lo, hi = m.get("ci_low"), m.get("ci_high")
    if v is None:
        return "-"
    if lo is None or hi is None:
        return f"{v * scale:.3f}"
    return f"{v * scale:.3f} [{lo * scale:.3f}, {hi * scale:.3f}]"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("summary")
    p.add_argument("--metrics", required=True)
    p.add_argument("--diff", default="")
    p.add_argument("--rows", default="")
    p.add_argument("--scale", type=float, default=1.0)
    a = p.parse_args()
    d = json.load(open(a.summary))
    metrics = [m for m in a.metrics.split(",") if m]
    diffs = [m for m in a.diff.split(",") if m]
    wanted = [r for r in a.rows.split(",") if r]
    rows = [r for r in d["rows"] if not wanted or r["name"] in wanted]
    head = ["row", "n"] + metrics + [f"{m} - {d['baseline']}" for m in diffs]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = [r["name"], str(len(r["seeds"]))]
        cells += [cell(r["metrics"].get(m), "mean", a.scale) for m in metrics]
        for m in diffs:
            if r["name"] == d["baseline"]:
                cells.append("(baseline)")
                continue
            v = r["vs_baseline"].get(m)
            c = cell(v, "diff", a.scale)
            if v and v.get("ci_low") is not None and (v["ci_low"] > 0 or v["ci_high"] < 0):
                c += " *"
            cells.append(c)
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
