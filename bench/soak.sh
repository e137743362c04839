#!/usr/bin/env bash
# Soak: every shipped lab of scripts/ run RUNS times on FRR 10 (default 10), and the seed and the
# dual-stack lab RUNS8 times on FRR 8 (default 5), each with `mplsrepl run --repeat`, fast
# profile. Prints per lab and image: runs passed, the whole run's median and max, the widest
# step spread (p90 / median), and the host's load average (1 min) sampled every 10 s while the
# lab ran, as mean and max. A soak beside a compile on 2 cores is itself a cause of timing
# flakes: run it with nothing else running.
#
#   DOCKER_HOST=tcp://127.0.0.1:23750 bench/soak.sh              # RUNS=10 RUNS8=5
#   LABS="scripts/mpls_vpn.rhai" RUNS=3 RUNS8=0 bench/soak.sh     # a quicker look
#
# Each lab's transcript and JSON report go to $OUT (default target/bench/soak-<date>/).
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
RUNS8=${RUNS8:-5}
LABS=${LABS:-scripts/mpls_vpn.rhai scripts/mpls_vpn_isis.rhai scripts/mpls_vpn_sr.rhai scripts/mpls_vpn_v6.rhai scripts/overlap.rhai scripts/failover.rhai scripts/l2vpn.rhai}
LABS8=${LABS8:-scripts/mpls_vpn.rhai scripts/mpls_vpn_v6.rhai}
MPLSREPL=${MPLSREPL:-target/release/mplsrepl}
OUT=${OUT:-target/bench/soak-$(date +%Y%m%d-%H%M%S)}
: "${DOCKER_HOST:?set DOCKER_HOST to the lab engine (see bench/README.md)}"
export DOCKER_HOST
if [ -z "${NO_BUILD:-}" ]; then cargo build --release -q || exit 1; fi
mkdir -p "$OUT"

soak() {
    local lab=$1 image=$2 runs=$3
    local name
    name=$(basename "$lab" .rhai)-$(echo "$image" | tr ':' '-')
    local load="$OUT/$name.load"
    : >"$load"
    (while :; do cut -d' ' -f1 /proc/loadavg >>"$load"; sleep 10; done) &
    local sampler=$!
    "$MPLSREPL" run "$lab" --profile fast --image "$image" --repeat "$runs" \
        --lab-name "soak_$(basename "$lab" .rhai)" --capture-dir "$OUT/captures" \
        --report "$OUT/$name.json" --color never >"$OUT/$name.log" 2>&1
    kill "$sampler" 2>/dev/null
    python3 - "$name" "$OUT/$name.log" "$load" <<'PY'
import re, sys
name, log, load = sys.argv[1:4]
text = open(log, errors="replace").read()
head = re.search(r"== (\d+) runs of .*: (\d+) passed, (\d+) failed ==", text)
whole = re.search(r"whole run: median ([\d.]+) s, max ([\d.]+) s", text)
spread = 0.0
for m in re.finditer(r"^  step \d+: .*?\s([\d.]+) s\s+([\d.]+) s\s+([\d.]+) s$", text, re.M):
    median, p90 = float(m.group(1)), float(m.group(2))
    if median > 0:
        spread = max(spread, p90 / median)
loads = [float(x) for x in open(load).read().split()] or [0.0]
if head:
    runs, passed = head.group(1), head.group(2)
    w = f"median {whole.group(1)} s, max {whole.group(2)} s" if whole else "no whole-run time"
    print(f"{name}: {passed}/{runs} passed; whole run {w}; widest step p90/median {spread:.2f}; "
          f"load {sum(loads) / len(loads):.2f} mean, {max(loads):.2f} max")
else:
    print(f"{name}: no summary (see {log})")
PY
}

for lab in $LABS; do soak "$lab" labfrr:10 "$RUNS"; done
if [ "$RUNS8" -gt 0 ]; then
    for lab in $LABS8; do soak "$lab" labfrr:8 "$RUNS8"; done
fi
