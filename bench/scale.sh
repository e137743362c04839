#!/usr/bin/env bash
# Scale: deploy and convergence time of a ring of N P routers + 2 PEs + 4 CEs (bench/gen_ring.py),
# fast profile, one run per N, for N in NS (default "10 25 50"). A size is attempted only if the
# previous one went green within LIMIT seconds (default 900). Prints, per N: routers, create
# (networks + containers + FRR), each step's time, total to all green.
#
#   DOCKER_HOST=tcp://127.0.0.1:23752 bench/scale.sh            # NS="10 25 50" LIMIT=900
#
# Logs and the generated labs go to $OUT (default target/bench/scale-<date>/). Each lab is removed
# before (`mplsrepl down ringN`) and after (--down) its run.
set -uo pipefail
cd "$(dirname "$0")/.."
NS=${NS:-10 25 50}
LIMIT=${LIMIT:-900}
MPLSREPL=${MPLSREPL:-target/release/mplsrepl}
OUT=${OUT:-target/bench/scale-$(date +%Y%m%d-%H%M%S)}
: "${DOCKER_HOST:?set DOCKER_HOST to the lab engine (see bench/README.md)}"
export DOCKER_HOST
if [ -z "${NO_BUILD:-}" ]; then cargo build --release -q || exit 1; fi
mkdir -p "$OUT"
for n in $NS; do
    script=$(python3 bench/gen_ring.py "$n" "$OUT") || exit 1
    "$MPLSREPL" down "ring$n" >/dev/null 2>&1
    log="$OUT/ring$n.log"
    t0=$(date +%s)
    timeout $((LIMIT * 2)) "$MPLSREPL" run "$script" --profile fast --down --color never >"$log" 2>&1
    rc=$?
    wall=$(( $(date +%s) - t0 ))
    "$MPLSREPL" down "ring$n" >/dev/null 2>&1    # also after a timeout
    python3 - "$n" "$log" "$rc" "$wall" <<'PY'
import sys; sys.path.insert(0, "bench")
from parse_run import parse
n, log, rc, wall = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
r = parse(open(log, errors="replace").read())
steps = ", ".join(f"step {k} {v:.1f} s" for k, v in sorted(r["steps"].items(), key=lambda kv: int(kv[0])))
state = f"green, total {r['total']:.1f} s" if r["passed"] else f"NOT green (exit {rc}, {wall} s wall; see {log})"
print(f"ring N={n}: {int(n) + 6} routers, create {r['create']} s; {steps}; {state}")
PY
    if [ $rc -ne 0 ] || [ "$wall" -gt "$LIMIT" ]; then
        echo "stopping: N=$n was not green within ${LIMIT} s (${wall} s, exit $rc); larger rings not attempted"
        break
    fi
done
