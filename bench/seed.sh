#!/usr/bin/env bash
# Time from nothing to all seed checks green: `mplsrepl run scripts/mpls_vpn.rhai --down`,
# RUNS runs per profile (default 3; profiles "article" = the article's default timers, "fast"),
# runs interleaved across profiles. Prints per run, then medians of: create (networks +
# containers + FRR start), each step's wall time and its convergence waits (sum of the "(X s)"
# of its checks), and total wall time (process start to exit, teardown excluded: see below).
#
#   DOCKER_HOST=tcp://127.0.0.1:23752 bench/seed.sh            # RUNS=3 PROFILES="article fast"
#   RUNS=5 PROFILES=fast NO_BUILD=1 MPLSREPL=/tmp/mplsrepl bench/seed.sh
#
# Logs go to $OUT (default target/bench/seed-<date>/). The lab is removed before each run
# (`mplsrepl down mpls_vpn`, idempotent) and by `--down` after it.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
PROFILES=${PROFILES:-article fast}
MPLSREPL=${MPLSREPL:-target/release/mplsrepl}
OUT=${OUT:-target/bench/seed-$(date +%Y%m%d-%H%M%S)}
: "${DOCKER_HOST:?set DOCKER_HOST to the lab engine, e.g. tcp://127.0.0.1:23752 (see bench/README.md)}"
export DOCKER_HOST
if [ -z "${NO_BUILD:-}" ]; then cargo build --release -q || exit 1; fi
mkdir -p "$OUT"
echo "seed lab on $DOCKER_HOST, $RUNS runs per profile ($PROFILES), logs in $OUT"

for i in $(seq 1 "$RUNS"); do
    for p in $PROFILES; do
        "$MPLSREPL" down mpls_vpn >/dev/null 2>&1
        log="$OUT/mplsrepl-$p-$i.log"
        t0=$(date +%s.%N)
        "$MPLSREPL" run scripts/mpls_vpn.rhai --profile "$p" --down --color never >"$log" 2>&1
        rc=$?
        t1=$(date +%s.%N)
        echo "wall $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') rc $rc" >>"$log"
        python3 - "$p" "$i" "$log" <<'PY'
import sys; sys.path.insert(0, "bench")
from parse_run import parse
p, i, log = sys.argv[1:4]
r = parse(open(log, errors="replace").read())
steps = ", ".join(f"{k}: {v:.1f}" for k, v in r["steps"].items())
state = f"green in {r['total']:.1f} s" if r["passed"] else f"FAILED: see {log}"
print(f"  run {i} {p:8s} create {r['create']} s, steps [{steps}] s, {state}")
PY
    done
done
python3 bench/summary.py mplsrepl "$OUT"/mplsrepl-*.log
