#!/usr/bin/env bash
# Median wall time of the whole `mplsrepl plan scripts/mpls_vpn.rhai` command (process start,
# the plan itself, one run of the script since session 9, printing), over RUNS runs; and the in-process
# figure from `cargo bench --bench plan`. Target: well under 100 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-30}
cargo build --release -q
python3 - "$RUNS" <<'PY'
import subprocess, sys, time, statistics
runs = int(sys.argv[1])
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(["target/release/mplsrepl", "plan", "scripts/mpls_vpn.rhai"], check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1e3)
times.sort()
print(f"mplsrepl plan scripts/mpls_vpn.rhai, {runs} runs: median {statistics.median(times):.1f} ms, "
      f"min {times[0]:.1f} ms, max {times[-1]:.1f} ms")
PY
cargo bench -q --bench plan 2>/dev/null | tail -1
