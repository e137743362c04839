#!/usr/bin/env bash
# How `plan` of a bare topology scales: generated topologies of N routers in a chain, N
# parallel links between two routers (automatic interface names), and one network of N
# routers, for N doubling. Prints the median of RUNS runs for each and the ratio to the
# previous N: about 2 is linear, about 4 quadratic. Target: 5,000 routers under 2 s.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
cargo build --release -q
python3 - "$RUNS" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
runs = int(sys.argv[1])

def slash30(i, host):
    """The i-th /30 of 10.0.0.0/8 and one of its hosts, as full addresses."""
    a = (10 << 24) + i * 4
    dotted = lambda x: ".".join(str((x >> s) & 255) for s in (24, 16, 8, 0))
    return dotted(a), dotted(a + host)

def chain(n):
    lines = ["lab chain"]
    lines += [f"router R{i} p lo 10.255.{i // 250}.{i % 250 + 1}/32" for i in range(n)]
    for i in range(n - 1):
        net, one = slash30(i, 1)
        _, two = slash30(i, 2)
        lines.append(f"link l{i} {net}/30 {{ R{i} {one}, R{i + 1} {two} }}")
    return lines

def parallel(n):
    lines = ["lab parallel", "router A p lo 1.1.1.1/32", "router B p lo 2.2.2.2/32"]
    for i in range(n):
        net, one = slash30(i, 1)
        _, two = slash30(i, 2)
        lines.append(f"link l{i} {net}/30 {{ A {one}, B {two} }}")
    return lines

def network(n):
    lines = ["lab lan"]
    lines += [f"router R{i} p lo 10.255.{i // 250}.{i % 250 + 1}/32" for i in range(n)]
    ends = ", ".join(f"R{i} 10.{(i + 1) // 65536}.{((i + 1) // 256) % 256}.{(i + 1) % 256}" for i in range(n))
    lines.append(f"network lan 10.0.0.0/8 {{ {ends} }}")
    return lines

with tempfile.TemporaryDirectory() as d:
    for name, make in [("routers in a chain", chain), ("parallel links", parallel), ("routers on one network", network)]:
        previous = None
        for n in (1250, 2500, 5000, 10000):
            path = os.path.join(d, f"{name.split()[0]}{n}.topo")
            with open(path, "w") as f:
                f.write("\n".join(make(n)) + "\n")
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                subprocess.run(["target/release/mplsrepl", "plan", path], check=True, stdout=subprocess.DEVNULL)
                times.append(time.perf_counter() - t)
            median = statistics.median(times)
            ratio = f", x{median / previous:.1f} for twice as many" if previous else ""
            print(f"{n:>6} {name}: median {median * 1e3:.0f} ms of {runs}{ratio}")
            previous = median
PY
