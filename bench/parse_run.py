#!/usr/bin/env python3
"""Parse the transcript of `mplsrepl run ... --color never` (or of bench/peer/article.sh, whose
lines carry the same texts after "peer: ") into timing figures, as one JSON object per file.

  create   "7 containers up with FRR in X s"
  steps    "step N took X s"  (step 1 = networks + containers + FRR start)
  checks   sum of the "(X s)" waits of the checks of each step (convergence waits)
  total    "N checks passed in X s" / "all checks passed in X s": start to all green (teardown excluded)
  passed   that line seen, and no FAIL
"""
import json, re, sys

def parse(text):
    out = {"create": None, "steps": {}, "checks": {}, "ncheck": {}, "passed": False, "failed": False, "total": None}
    step = 1  # peer transcripts have no "== step" headers before their first step
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("peer: "):
            line = line[6:]
        m = re.match(r"== step (\d+):", line)
        if m:
            step = int(m.group(1))
            continue
        m = re.search(r"(\d+) containers up with FRR in ([\d.]+) s", line)
        if m:
            out["create"] = float(m.group(2))
        m = re.match(r"step (\d+) took ([\d.]+) s", line)
        if m:
            out["steps"][m.group(1)] = float(m.group(2))
            step = int(m.group(1)) + 1
            continue
        m = re.match(r"ok .*\(([\d.]+) s\)$", line)
        if m:
            k = str(step)
            out["checks"][k] = out["checks"].get(k, 0.0) + float(m.group(1))
        if line.startswith("ok "):
            out["ncheck"][str(step)] = out["ncheck"].get(str(step), 0) + 1
        m = re.search(r"checks passed in ([\d.]+) s", line)
        if m:
            out["passed"] = True
            out["total"] = float(m.group(1))
        if line.startswith("FAIL") or " FAIL " in f" {line} ":
            out["failed"] = True
    out["passed"] = out["passed"] and not out["failed"]
    return out

if __name__ == "__main__":
    for path in sys.argv[1:]:
        with open(path, errors="replace") as f:
            print(json.dumps(parse(f.read())))
