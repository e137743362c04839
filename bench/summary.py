#!/usr/bin/env python3
"""Medians over the run logs named TOOL-PROFILE-I.log (see parse_run.py for what is read).

  summary.py TITLE LOG...     prints one block per (tool, profile): green runs, medians of
                              create, each step (wall, and its check waits), total.
"""
import os, re, statistics, sys
sys.path.insert(0, os.path.dirname(__file__))
from parse_run import parse

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

def fmt(x):
    return "-" if x is None else f"{x:.1f}"

def load(paths):
    groups = {}
    for p in paths:
        m = re.match(r"(.+)-([a-z]+)-(\d+)\.log$", os.path.basename(p))
        if not m:
            continue
        with open(p, errors="replace") as f:
            groups.setdefault((m.group(1), m.group(2)), []).append((p, parse(f.read())))
    return groups

def report(groups):
    for (tool, profile), runs in sorted(groups.items()):
        green = [r for _, r in runs if r["passed"]]
        print(f"{tool} --profile {profile}: {len(green)}/{len(runs)} runs green; medians over the green runs")
        if not green:
            for p, r in runs:
                print(f"  failed: {p}")
            continue
        steps = sorted({k for r in green for k in r["steps"]}, key=int)
        print(f"  create (networks + containers + FRR)  {fmt(med([r['create'] for r in green]))} s")
        for k in steps:
            w = med([r["steps"].get(k) for r in green])
            c = med([r["checks"].get(k, 0.0) for r in green]) if k != "1" else None
            extra = f"   of which check/convergence waits {fmt(c)} s" if c is not None else ""
            print(f"  step {k:>2}  {fmt(w):>6} s{extra}")
        tot = [r["total"] for r in green]
        print(f"  total to all green  {fmt(med(tot))} s   (runs: {', '.join(fmt(t) for t in tot)})")

if __name__ == "__main__":
    print(f"== {sys.argv[1]} ==")
    report(load(sys.argv[2:]))
